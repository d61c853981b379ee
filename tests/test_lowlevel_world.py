"""The low-level functions in every world: detection, execution units, time,
checkpoints and shielding, called the way the world's code calls them."""

from __future__ import annotations

import math
import threading

import pytest

from aiologic.lowlevel import (
    AsyncLibraryNotFoundError,
    async_checkpoint,
    async_checkpoint_enabled,
    async_checkpoint_if_cancelled,
    async_clock,
    async_seconds_per_sleep,
    async_seconds_per_timeout,
    async_sleep,
    async_sleep_forever,
    async_sleep_until,
    create_async_event,
    create_green_event,
    current_async_library,
    current_async_task,
    current_async_task_ident,
    current_async_token,
    current_async_token_ident,
    current_green_library,
    current_green_task,
    current_green_task_ident,
    current_green_token,
    current_green_token_ident,
    current_thread,
    current_thread_ident,
    disable_checkpoints,
    enable_checkpoints,
    green_checkpoint,
    green_checkpoint_enabled,
    green_clock,
    green_seconds_per_sleep,
    green_seconds_per_timeout,
    green_sleep,
    green_sleep_forever,
    green_sleep_until,
    shield,
)

# The loop clocks of asyncio may run a timer up to its resolution early.
EARLY = 0.005


def test_library_names(world):
    async def body(w):
        if w.is_async:
            assert current_async_library() == w.library
            assert current_green_library() == "threading"
        else:
            assert current_green_library() == w.library
            assert current_async_library(failsafe=True) is None
            with pytest.raises(AsyncLibraryNotFoundError):
                current_async_library()

    world.run(body)


def test_two_tasks_have_different_idents(world):
    async def ident(w):
        await w.sleep(0.01)  # both alive at once: ids cannot be reused
        if w.is_async:
            return current_async_task_ident(), current_async_task(), current_async_token_ident()
        return current_green_task_ident(), current_green_task(), current_green_token_ident()

    async def body(w):
        first = await w.spawn(ident)
        second = await w.spawn(ident)
        (ident_a, task_a, token_a), (ident_b, task_b, token_b) = await first.join(), await second.join()
        assert ident_a != ident_b and task_a is not task_b
        assert ident_a[0] == ident_b[0] == w.library
        assert isinstance(ident_a[1], int) and isinstance(ident_a, tuple)
        if w.is_async:
            assert token_a == token_b == current_async_token_ident()  # one loop
            assert token_a == (w.library, id(current_async_token()))
            assert ident_a != current_async_task_ident()
        elif w.library != "threading":
            # greenlets of one hub (gevent, eventlet): the hub is the token
            assert token_a == token_b == current_green_token_ident()
            assert token_a == (w.library, id(current_green_token()))
            assert ident_a != current_green_task_ident()
        else:
            # threads are their own tokens
            assert token_a == ident_a and token_b == ident_b
            assert current_green_token_ident() == current_green_task_ident() == ("threading", current_thread_ident())
            assert current_green_token() is current_thread() is threading.current_thread()

    world.run(body)


def test_task_ident_is_stable_within_a_task(world):
    async def body(w):
        if w.is_async:
            before = current_async_task_ident()
            await w.sleep(0)
            assert current_async_task_ident() == before
            assert before == (w.library, id(current_async_task()))
        elif w.library != "threading":  # a greenlet of a hub
            before = current_green_task_ident()
            await w.sleep(0)
            assert current_green_task_ident() == before
            assert before == (w.library, id(current_green_task()))
        else:
            assert current_green_task_ident() == ("threading", threading.get_ident())
            assert current_green_task() is threading.current_thread()

    world.run(body)


def test_sleep_takes_its_time_by_the_library_clock(world):
    async def body(w):
        if w.is_async:
            start = async_clock()
            await async_sleep(0.05)
            elapsed = async_clock() - start
        else:
            start = green_clock()
            green_sleep(0.05)
            elapsed = green_clock() - start
        assert 0.05 - EARLY <= elapsed < 1.05

    world.run(body)


def test_sleep_until(world):
    async def body(w):
        if w.is_async:
            deadline = async_clock() + 0.03
            await async_sleep_until(deadline)
            assert async_clock() >= deadline - EARLY
            start = async_clock()
            await async_sleep_until(deadline - 10)  # in the past: at once
            assert async_clock() - start < 1
        else:
            deadline = green_clock() + 0.03
            green_sleep_until(deadline)
            assert green_clock() >= deadline
            green_sleep_until(0)

    world.run(body)


def test_sleep_validates_seconds(world):
    async def body(w):
        for bad, error in ((-1, ValueError), (math.nan, ValueError), ("1", TypeError)):
            with pytest.raises(error) as info:
                if w.is_async:
                    await async_sleep(bad)
                else:
                    green_sleep(bad)
            if error is ValueError:
                assert "seconds" in str(info.value)

    world.run(body)


def test_seconds_per_sleep_and_timeout(world):
    async def body(w):
        if w.is_async:
            values = async_seconds_per_sleep(), async_seconds_per_timeout()
        else:
            values = green_seconds_per_sleep(), green_seconds_per_timeout()
        assert all(isinstance(value, float) and value > 0 for value in values)
        if w.library == "threading":
            assert values == (threading.TIMEOUT_MAX, threading.TIMEOUT_MAX)

    world.run(body)


def test_sleep_forever_until_cancelled(world):
    if not world.can_cancel:
        pytest.skip("threads cannot be cancelled")

    async def body(w):
        clock = async_clock if w.is_async else green_clock
        start = clock()
        async with w.cancel_after(0.05) as scope:
            if w.is_async:
                await async_sleep_forever()
            else:  # a greenlet of a hub
                green_sleep_forever()
        assert scope.cancelled and clock() - start >= 0.05 - EARLY

    world.run(body)


def test_checkpoint_default_and_forced(world):
    """Checkpoints are on by default under trio only; a forced one is a
    schedule point and a cancel point everywhere."""
    import time

    async def body(w):
        if not w.is_async:
            assert green_checkpoint_enabled() is False
            green_checkpoint()
            green_checkpoint(force=True)  # yields the thread, returns
            with enable_checkpoints() as value:
                assert value is True and green_checkpoint_enabled()
                green_checkpoint()
            assert green_checkpoint_enabled() is False
            return
        assert async_checkpoint_enabled() is (w.library == "trio")
        # Only forced checkpoints in a loop: the timer that cancels it can
        # fire only if each one is a schedule point, and it ends the loop
        # only if each one is a cancel point.
        give_up = time.monotonic() + 5
        async with w.cancel_after(0.02) as scope:
            while time.monotonic() < give_up:
                await async_checkpoint(force=True)
        assert scope.cancelled

    world.run(body)


def test_trio_checkpoint_in_cancelled_scope_raises():
    trio = pytest.importorskip("trio")
    pytest.importorskip("aiologic_trio")

    async def main():
        with trio.CancelScope() as scope:
            scope.cancel()
            with pytest.raises(trio.Cancelled):
                await async_checkpoint()
            with pytest.raises(trio.Cancelled):
                await async_checkpoint_if_cancelled()
            async with disable_checkpoints() as value:
                assert value is False
                await async_checkpoint()  # off: nothing happens
                await async_checkpoint_if_cancelled()
            await async_checkpoint(force=True)
            pytest.fail("a forced checkpoint is a cancel point")
        assert scope.cancelled_caught

    trio.run(main)


def test_asyncio_checkpoint_does_nothing_by_default():
    asyncio = pytest.importorskip("asyncio")
    pytest.importorskip("aiologic_asyncio")

    async def main():
        task = asyncio.current_task()
        task.cancel()
        await async_checkpoint()  # off under asyncio: no schedule point
        await async_checkpoint_if_cancelled()
        with pytest.raises(asyncio.CancelledError):
            await async_checkpoint(force=True)
        if hasattr(task, "uncancel"):
            task.uncancel()
        async with enable_checkpoints():
            assert async_checkpoint_enabled()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await async_checkpoint()

    asyncio.run(main())


def test_shield_keeps_a_waiter_through_cancellation(world):
    if not world.can_cancel:
        pytest.skip("threads cannot be cancelled")

    async def setter(w, event):
        await w.sleep(0.05)
        assert event.set() is True

    async def body(w):
        event = create_async_event() if w.is_async else create_green_event()
        helper = await w.spawn(setter, event)
        cancelled = w.cancelled_exception()
        outcome = None
        async with w.cancel_after(0.01) as scope:
            try:
                if w.is_async:
                    outcome = await shield(event)
                else:  # a greenlet of a hub: a call is shielded
                    outcome = shield(event.wait)()
            except cancelled:
                # re-raised only after the shielded wait completed
                assert event.is_set() and not event.cancelled()
                raise
        assert scope.cancelled
        assert outcome is None
        assert event.is_set()
        await helper.join()

    world.run(body)


def test_shield_forms(world):
    async def body(w):
        if w.is_async:

            async def answer(x):
                await w.sleep(0)
                return x * 2

            shielded = shield(answer)
            assert shielded.__name__ == "answer"
            import inspect

            assert inspect.iscoroutinefunction(shielded)
            assert await shielded(21) == 42
            assert await shield(answer(4)) == 8
        else:

            def plain(x):
                return x + 1

            assert shield(plain)(1) == 2 and shield(plain).__name__ == "plain"
        with pytest.raises(TypeError):
            shield(42)

    world.run(body)


def test_green_event_shield_ignores_timeout():
    event = create_green_event(shield=True)
    timer = threading.Timer(0.05, event.set)
    timer.start()
    try:
        assert event.wait(0.001) is True
    finally:
        timer.join()
