"""REvent: a reusable event, in every world and across worlds."""

from __future__ import annotations

import copy
import gc
import pickle
import random
import sys
import threading
import time
import weakref

import pytest

import aiologic
from aiologic.statistics import EventStatistics, WaiterInfo
from worlds import available_worlds, make_world, run_in_threads


async def wait_until(w, predicate, seconds=10):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await w.sleep(0.001)


def test_hierarchy_and_truth():
    assert aiologic.REvent.__bases__ == (aiologic.Event,)
    event = aiologic.REvent()
    assert not event and not event.is_set()
    event.set()
    assert event and event.is_set()
    event.set()  # a set event stays set
    assert event.is_set()
    event.clear()
    assert not event and not event.is_set()
    event.clear()  # clearing an unset event does nothing
    assert not event.is_set()


def test_set_clear_cycles(world):
    async def body(w):
        event = aiologic.REvent()
        for _ in range(3):
            start = time.monotonic()
            assert await w.wait(event, 0.02) is False
            assert time.monotonic() - start >= 0.02
            assert await w.wait(event, 0) is False
            event.set()
            assert await w.wait(event) is True
            assert await w.wait(event, 0) is True
            event.clear()
        assert event.waiting == 0

    world.run(body)


def test_set_then_clear_wakes_every_earlier_waiter(world):
    """A `clear()` right after `set()` takes no wake-up away; a wait that
    starts after the clear waits for the next set."""

    async def waiter(w, event, order, index):
        assert await w.wait(event, 10) is True
        order.append(index)

    async def body(w):
        event = aiologic.REvent()
        order = []
        handles = []
        for index in range(5):
            handles.append(await w.spawn(waiter, event, order, index))
            await wait_until(w, lambda: event.waiting == index + 1)
        event.set()
        event.clear()
        assert event.waiting == 0 and not event.is_set()
        for handle in handles:
            await handle.join()
        assert sorted(order) == list(range(5))
        if w.is_async and w.resumes_in_wake_order:
            assert order == list(range(5))  # oldest first
        late = await w.spawn(waiter, event, order, 5)
        await wait_until(w, lambda: event.waiting == 1)
        assert len(order) == 5  # still blocked: it waits for the next set
        event.set()
        await late.join()
        assert order[-1] == 5

    world.run(body)


def test_cancelled_waiter_loses_nothing(world):
    if not world.can_cancel:
        pytest.skip("threads cannot be cancelled")

    async def body(w):
        event = aiologic.REvent()
        other = await w.spawn(lambda w: w.wait(event, 10))
        await wait_until(w, lambda: event.waiting == 1)
        async with w.cancel_after(0.02) as scope:
            await w.wait(event)
        assert scope.cancelled and event.waiting == 1
        event.set()
        event.clear()
        assert await other.join() is True
        assert event.waiting == 0

    world.run(body)


def test_timeout_validation(world):
    async def body(w):
        event = aiologic.REvent()
        event.set()
        with pytest.raises(ValueError, match="timeout must be non-negative"):
            await w.wait(event, -1)
        with pytest.raises(ValueError, match="timeout must be non-NaN"):
            await w.wait(event, float("nan"))
        with pytest.raises(TypeError, match="timeout"):
            await w.wait(event, "1")
        assert await w.wait(event, float("inf")) is True

    world.run(body)


def test_timed_out_waiter_woken_in_the_window_returns_true():
    """The wake-versus-timeout race, forced: a set() that reaches a waiter
    whose timeout fired but which has not given up yet wins."""
    from aiologic_testing.races import pause_before_give_up

    event = aiologic.REvent()
    result = []
    with pause_before_give_up() as pause:
        thread = threading.Thread(target=lambda: result.append(event.wait(0.01)))
        thread.start()
        assert pause.paused.wait(10)
        event.set()
        event.clear()
        pause.resume()
        thread.join(10)
    assert result == [True] and event.waiting == 0 and not event.is_set()


def test_timed_out_waiter_gives_up_first():
    from aiologic_testing.races import pause_before_give_up

    event = aiologic.REvent()
    result = []
    with pause_before_give_up() as pause:
        thread = threading.Thread(target=lambda: result.append(event.wait(0.01)))
        thread.start()
        assert pause.paused.wait(10)
        pause.resume()
        thread.join(10)
    assert result == [False] and event.waiting == 0


def test_across_worlds(world_a, world_b):
    event = aiologic.REvent()
    cleared = [aiologic.Event(), aiologic.Event()]

    async def waiters(w):
        results = []
        for cycle in range(2):  # two set/clear cycles
            handles = [await w.spawn(lambda w: w.wait(event, 10)) for _ in range(3)]
            results.append([await handle.join() for handle in handles])
            assert await w.wait(cleared[cycle], 10)
        return results

    async def setter(w):
        for cycle in range(2):
            await wait_until(w, lambda: event.waiting == 3)
            seen = event.statistics()
            event.set()
            event.clear()
            cleared[cycle].set()
        return seen

    results, seen = run_in_threads((world_a, waiters), (world_b, setter))
    assert results == [[True] * 3] * 2
    assert not seen.is_set and len(seen.waiting) == 3
    assert {info.library for info in seen.waiting} == {make_world(world_a).library}
    assert event.statistics() == EventStatistics(False, ())


def test_statistics_names_the_waiter():
    event = aiologic.REvent()
    ident = []

    def target():
        ident.append(aiologic.lowlevel.current_green_task_ident())
        event.wait(10)

    thread = threading.Thread(target=target)
    thread.start()
    deadline = time.monotonic() + 10
    while event.waiting != 1:
        assert time.monotonic() < deadline
        time.sleep(0.001)
    assert event.statistics() == EventStatistics(False, (WaiterInfo("threading", ident[0], thread.ident),))
    event.set()
    thread.join(10)
    assert event.statistics() == EventStatistics(True, ())


class MyREvent(aiologic.REvent):
    pass


def test_pickle_copy_repr_weakref():
    event = aiologic.REvent()
    assert repr(event) == f"<aiologic.REvent() at {id(event):#x} [unset, waiting=0]>"
    event.set()
    assert repr(event) == f"<aiologic.REvent() at {id(event):#x} [set]>"
    for clone in (pickle.loads(pickle.dumps(event)), copy.copy(event)):
        assert type(clone) is aiologic.REvent and not clone.is_set()
    mine = MyREvent()
    mine.set()
    for clone in (pickle.loads(pickle.dumps(mine)), copy.copy(mine)):
        assert type(clone) is MyREvent and not clone.is_set()
    assert repr(mine).startswith(f"<{__name__}.MyREvent() at ")
    ref = weakref.ref(event)
    del event
    gc.collect()
    assert ref() is None


def test_concurrent_clears_leave_one_generation():
    """Threads clearing and setting at once never strand a waiter: after the
    last set() every waiter has returned True."""
    event = aiologic.REvent()
    stop = time.monotonic() + 0.3
    results = []

    def churn():
        while time.monotonic() < stop:
            event.set()
            event.clear()

    def waiter():
        while time.monotonic() < stop:
            results.append(event.wait(5))

    threads = [threading.Thread(target=churn) for _ in range(2)]
    threads += [threading.Thread(target=waiter) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads[:2]:
        thread.join(10)
    event.set()  # a waiter blocked now must wake
    for thread in threads:
        thread.join(10)
    assert not any(thread.is_alive() for thread in threads)
    assert results and all(results)


def test_checkpoints_under_trio():
    pytest.importorskip("trio")
    pytest.importorskip("aiologic_trio")
    import trio
    from test_trio import StepCounter, schedule_points

    counter = StepCounter()

    async def main():
        event = aiologic.REvent()
        assert await schedule_points(counter, lambda: event.with_(0)) == (1, False)
        event.set()
        assert await schedule_points(counter, event.with_) == (1, True)
        with trio.CancelScope() as scope:
            scope.cancel()
            await event
        assert scope.cancelled_caught
        event.clear()
        with trio.move_on_after(0.01) as scope:
            await event
        assert scope.cancelled_caught and event.waiting == 0

    trio.run(main, instruments=[counter])


@pytest.fixture
def pressure():
    """Switch threads as often as CPython allows, to provoke races."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


@pytest.mark.stress
def test_stress_set_clear_across_worlds(pressure):
    """A thread sets and clears at random while waiters of every world wait
    with random timeouts and cancellations; a final set() must release every
    waiter still blocked (no wake-up lost to a clear), and a timed-out wait
    never returns early."""
    names = available_worlds()
    event = aiologic.REvent()
    stop = threading.Event()
    bad = []

    async def one_waiter(w, seed):
        rng = random.Random(seed)
        count = 0
        while not stop.is_set() or count < 5:
            count += 1
            timeout = rng.choice([None, None, 0, 0.0005, 0.002])
            cancel = rng.choice([0, 0.0005]) if w.can_cancel and rng.random() < 0.1 else None
            start = time.monotonic()
            if cancel is not None:
                async with w.cancel_after(cancel):
                    await w.wait(event, timeout)
                continue
            result = await w.wait(event, timeout)
            if timeout is None and result is not True:
                bad.append(("untimed wait returned", result))
            if result is False and time.monotonic() - start < timeout:
                bad.append(("early timeout", timeout))

    async def world_waiters(w, seed):
        handles = [await w.spawn(one_waiter, seed * 10 + i) for i in range(3)]
        for handle in handles:
            await handle.join()

    async def churn(w):
        rng = random.Random(99)
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            event.set()
            if rng.random() < 0.5:
                await w.sleep(0)
            event.clear()
            await w.sleep(rng.choice([0, 0, 0.0005]))
        stop.set()
        event.set()  # releases every waiter blocked now, and later ones

    jobs = [(name, world_waiters, seed) for seed, name in enumerate(names)]
    run_in_threads(*jobs, ("threading", churn), timeout=60)
    assert bad == [] and event.waiting == 0 and event.is_set()


def test_cancelled_waiter_woken_in_the_window_loses_nothing():
    """The wake-versus-cancel race, forced: set() and clear() run while a
    cancelled asyncio waiter is held before giving up. It ends cancelled;
    the other waiter, which waited for that same set(), returns True."""
    import asyncio

    from aiologic_testing.races import pause_before_give_up

    event = aiologic.REvent()
    ready, state, outcome = threading.Event(), {}, {}

    async def main():
        state["loop"] = asyncio.get_running_loop()
        first = state["first"] = asyncio.ensure_future(event.with_(10))
        second = asyncio.ensure_future(event.with_(10))
        while event.waiting < 2:
            await asyncio.sleep(0.001)
        ready.set()
        try:
            outcome["first"] = await first
        except asyncio.CancelledError:
            outcome["first"] = "cancelled"
        outcome["second"] = await asyncio.wait_for(second, 10)
        outcome["later"] = await event.with_(0.01)

    with pause_before_give_up() as pause:
        thread = threading.Thread(target=lambda: asyncio.run(main()))
        thread.start()
        assert ready.wait(10)
        state["loop"].call_soon_threadsafe(state["first"].cancel)
        assert pause.paused.wait(10)
        event.set()
        event.clear()
        assert pause.event.is_set()  # the set() reached the held waiter
        pause.resume()
        thread.join(10)
    assert not thread.is_alive()
    assert outcome == {"first": "cancelled", "second": True, "later": False}
    assert event.waiting == 0
