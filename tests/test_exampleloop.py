"""The third-party proof: exampleloop (a tiny loop of our own) and its backend
`aiologic-exampleloop`, found through the `aiologic.backends` entry point
with no change to the core. The world-parametrized suite and the backend
conformance suite (tests/test_conformance.py) run in its world too (the
`exampleloop` world comes from its `aiologic_testing.worlds` entry point);
this module tests the loop itself, the plugin's discovery, and what is
particular to exampleloop: its checkpoint defaults, its wake-up paths, its
answer to the wake-versus-cancel race."""

from __future__ import annotations

import ast
import asyncio
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

exampleloop = pytest.importorskip("exampleloop")
aiologic_exampleloop = pytest.importorskip("aiologic_exampleloop")

import sniffio  # noqa: E402

import aiologic  # noqa: E402
from aiologic.backends import get_backend, installed_backends  # noqa: E402
from aiologic.lowlevel import (  # noqa: E402
    AsyncLibraryNotFoundError,
    async_checkpoint,
    async_checkpoint_enabled,
    create_async_waiter,
    current_async_library,
    current_async_task,
    current_async_task_ident,
    current_async_token,
    enable_checkpoints,
)
from worlds import run_in_threads  # noqa: E402

Cancelled = exampleloop.Cancelled


def run_code(code, **env):
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


async def wait_until(predicate, seconds=10):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await exampleloop.sleep(0.001)


# -- the loop itself -------------------------------------------------------------


def test_loop_run_spawn_join():
    assert exampleloop.current_task() is None and exampleloop.current_loop() is None

    async def child(x):
        await exampleloop.sleep(0.01)
        return x * 2

    async def failing():
        raise ValueError("boom")

    async def main():
        me = exampleloop.current_task()
        assert me is not None and exampleloop.current_loop() is me.loop
        tasks = [exampleloop.spawn(child, i) for i in range(3)]
        assert [await task.join() for task in tasks] == [0, 2, 4]
        bad = exampleloop.spawn(failing)
        with pytest.raises(ValueError, match="boom"):
            await bad.join()
        with pytest.raises(RuntimeError, match="nested"):
            exampleloop.run(child, 1)
        with pytest.raises(RuntimeError, match="not an exampleloop operation"):
            await asyncio.sleep(0)
        return "done"

    assert exampleloop.run(main) == "done"
    assert exampleloop.current_task() is None and exampleloop.current_loop() is None
    with pytest.raises(RuntimeError):
        exampleloop.spawn(child, 1)


def test_sleep_is_never_early_and_cancellable():
    async def main():
        for delay in (0.001, 0.02, 0.05):
            start = time.monotonic()
            await exampleloop.sleep(delay)
            assert time.monotonic() - start >= delay
        sleeper = exampleloop.spawn(exampleloop.sleep, 10)
        await exampleloop.sleep(0.01)
        start = time.monotonic()
        sleeper.cancel()
        with pytest.raises(Cancelled):
            await sleeper.join()
        assert time.monotonic() - start < 5

    exampleloop.run(main)


def test_suspend_abort_and_reschedule():
    async def main():
        me = exampleloop.current_task()
        loop = exampleloop.current_loop()
        # A refused abort: the cancellation stays pending until the next
        # suspension point, and the task is resumed by the rescheduler.
        refusing = []
        loop.call_soon(me.cancel)
        loop.call_soon(lambda: refusing.append(me.cancel_requested))
        loop.call_soon(exampleloop.reschedule, me, "value")
        assert await exampleloop.suspend(lambda: False) == "value"
        assert refusing == [True] and me.cancel_requested
        with pytest.raises(Cancelled):
            await exampleloop.checkpoint()
        assert not me.cancel_requested  # delivered once
        # An accepted abort: Cancelled at once, nobody may reschedule.
        loop.call_soon(me.cancel)
        with pytest.raises(Cancelled):
            await exampleloop.suspend(lambda: True)
        with pytest.raises(RuntimeError, match="not suspended"):
            exampleloop.reschedule(me)
        # A pending cancellation is offered to the abort at once.
        me.cancel()
        aborted = []
        with pytest.raises(Cancelled):
            await exampleloop.suspend(lambda: aborted.append(1) or True)
        assert aborted == [1]
        # reschedule() and cancel() belong to the loop's thread.
        errors = []

        def other_thread():
            for call in (lambda: exampleloop.reschedule(me), me.cancel):
                try:
                    call()
                except RuntimeError as exc:
                    errors.append(exc)

        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        assert len(errors) == 2

    exampleloop.run(main)


def test_shielded_holds_cancellation_back():
    async def main():
        me = exampleloop.current_task()
        exampleloop.current_loop().call_later(0.01, me.cancel)
        with exampleloop.shielded():
            await exampleloop.sleep(0.05)  # not interrupted
            await exampleloop.checkpoint_if_cancelled()  # not raised while shielded
        assert me.cancel_requested
        with pytest.raises(Cancelled):
            await exampleloop.checkpoint_if_cancelled()
        await exampleloop.cancel_shielded_checkpoint()

    exampleloop.run(main)


def test_call_soon_threadsafe_wakes_the_selector():
    async def main():
        loop = exampleloop.current_loop()
        me = exampleloop.current_task()
        before = loop.selects

        def later():
            time.sleep(0.2)
            loop.call_soon_threadsafe(exampleloop.reschedule, me, "from a thread")

        thread = threading.Thread(target=later)
        thread.start()
        start = time.monotonic()
        assert await exampleloop.suspend(lambda: False) == "from a thread"
        assert time.monotonic() - start < 5
        thread.join()
        assert loop.selects - before <= 3  # it slept in the selector: no polling
        return loop

    loop = exampleloop.run(main)
    with pytest.raises(RuntimeError, match="closed"):
        loop.call_soon_threadsafe(print)


def test_leftover_tasks_are_cancelled_at_the_end():
    seen = []

    async def forever():
        try:
            await exampleloop.sleep(100)
        except Cancelled:
            seen.append("cancelled")
            raise

    async def main():
        exampleloop.spawn(forever)
        await exampleloop.sleep(0)

    exampleloop.run(main)
    assert seen == ["cancelled"]


# -- the plugin: found through its entry point, no change to the core --------------


def test_found_through_entry_points():
    assert installed_backends()["exampleloop"] == "aiologic-exampleloop"

    async def main():
        # exampleloop sets none of sniffio's markers: detection goes through
        # the backend's own probe.
        assert sniffio.thread_local.name is None
        assert sniffio.current_async_library_cvar.get() is None
        assert current_async_library() == "exampleloop"
        with pytest.raises(sniffio.AsyncLibraryNotFoundError):
            sniffio.current_async_library()  # sniffio itself does not know it
        task = exampleloop.current_task()
        assert current_async_task() is task
        assert current_async_task_ident() == ("exampleloop", id(task))
        assert current_async_token() is exampleloop.current_loop()
        lock = aiologic.Lock()
        async with lock:
            assert lock.owner == ("exampleloop", id(task)) and lock.async_owned()
        return True

    assert exampleloop.run(main)
    backend = get_backend("exampleloop")
    assert backend is aiologic_exampleloop.backend
    assert (backend.name, backend.kind, backend.root_module, backend.distribution) == (
        "exampleloop",
        "async",
        "exampleloop",
        "aiologic-exampleloop",
    )
    assert backend.api_version == 1 and backend.checkpoints_default is False
    assert not backend.running()  # no loop in this thread


def test_found_in_a_fresh_process():
    out = run_code(
        """
        import sys
        import exampleloop, aiologic
        from aiologic.lowlevel import _registry, current_async_library
        assert "aiologic_exampleloop" not in sys.modules

        async def main():
            lock = aiologic.Lock()
            async def other():
                async with lock:
                    return current_async_library()
            async with lock:
                task = exampleloop.spawn(other)
                await exampleloop.sleep(0.01)
                assert lock.waiting == 1
            return await task.join()

        print(exampleloop.run(main), sorted(_registry._backends))
        """
    )
    assert out == "exampleloop ['exampleloop', 'threading']"


def test_plugin_stays_unloaded_in_programs_of_other_libraries():
    # Core fix: detection used to load every registered third-party backend
    # (and so import its library) at the first wait of any library.
    out = run_code(
        """
        import asyncio, sys
        import aiologic

        async def main():
            lock = aiologic.Lock()
            async def other():
                async with lock:
                    pass
            async with lock:
                task = asyncio.ensure_future(other())
                await asyncio.sleep(0.01)
            await task
            assert aiologic.lowlevel.current_async_library(failsafe=True) == "asyncio"

        asyncio.run(main())
        print(aiologic.lowlevel.current_async_library(failsafe=True))
        print("exampleloop" in sys.modules, "aiologic_exampleloop" in sys.modules)
        """
    )
    assert out == "None\nFalse False"


def test_without_its_backend_the_loop_is_unknown():
    # A third-party loop whose plugin is not installed cannot be detected:
    # the core does not know it, and exampleloop sets no sniffio marker.
    out = run_code(
        """
        import exampleloop, aiologic
        from aiologic.lowlevel import _registry, AsyncLibraryNotFoundError
        real = _registry._read_entry_points
        _registry._read_entry_points = lambda: {k: v for k, v in real().items() if k != "exampleloop"}

        async def main():
            try:
                await aiologic.Semaphore(0).async_acquire(timeout=1)
            except AsyncLibraryNotFoundError as exc:
                return "not found"

        print(exampleloop.run(main))
        """
    )
    assert out == "not found"


def test_plugin_uses_only_public_names():
    package = Path(aiologic_exampleloop.__file__).parent
    import aiologic.backends

    public_of = {
        "aiologic": set(aiologic.__all__),
        "aiologic.backends": set(aiologic.backends.__all__),
        "aiologic.lowlevel": set(aiologic.lowlevel.__all__),
    }
    checked = 0
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                root = node.module.split(".")[0]
                names = [alias.name for alias in node.names]
                if root == "aiologic":
                    assert node.module in public_of, (path.name, node.module)
                    assert set(names) <= public_of[node.module], (path.name, names)
                    checked += 1
                elif root == "exampleloop":
                    assert set(names) <= set(exampleloop.__all__), (path.name, names)
                elif root == "aiologic_testing":
                    assert not any(name.startswith("_") for name in names)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("aiologic.") or alias.name in public_of
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                if node.value.id in ("exampleloop", "aiologic"):
                    assert not node.attr.startswith("_"), (path.name, node.attr)
    assert checked >= 1


# -- waiters and low-level events --------------------------------------------------


def test_waiter_wake_paths():
    # What only exampleloop can show; the wake-up paths every backend must
    # have are checked by the conformance suite (tests/test_conformance.py).
    async def main():
        loop = exampleloop.current_loop()
        # woken by a callback of the loop, between tasks
        waiter = create_async_waiter()
        loop.call_later(0.01, waiter.wake)
        assert await waiter.with_(10) is True
        # woken from another thread, without polling
        waiter = create_async_waiter()
        before = loop.selects
        timer = threading.Timer(0.2, waiter.wake)
        timer.start()
        assert await waiter is True
        timer.join()
        assert loop.selects - before <= 3

    exampleloop.run(main)


def test_backend_services():
    # sleep() and shield() are checked by the conformance suite.
    backend = aiologic_exampleloop.backend

    async def main():
        me = exampleloop.current_task()
        assert abs(backend.clock() - time.monotonic()) < 1
        assert backend.runs_in_this_thread(id(me))
        assert not backend.runs_in_this_thread(id(object()))

    exampleloop.run(main)
    with pytest.raises(RuntimeError, match="exampleloop task"):
        aiologic_exampleloop.ExampleloopWaiter()
    with pytest.raises(RuntimeError):
        backend.current_task()
    with pytest.raises(RuntimeError):
        backend.current_token()
    assert not backend.runs_in_this_thread(0)


def test_checkpoints_off_by_default_and_when_enabled():
    async def main():
        me = exampleloop.current_task()
        assert not async_checkpoint_enabled()
        lock = aiologic.Lock()
        me.cancel()
        async with lock:  # not a cancel point
            assert lock.locked()
        me.uncancel()
        order = []

        async def other():
            order.append("other")

        exampleloop.spawn(other)
        await async_checkpoint(force=True)  # a schedule point: other runs
        assert order == ["other"]
        async with enable_checkpoints():
            assert async_checkpoint_enabled()
            me.cancel()
            with pytest.raises(Cancelled):
                async with lock:
                    pytest.fail("entered a lock in a cancelled task")
            assert not lock.locked()  # no effect
            sem = aiologic.Semaphore(1)
            me.cancel()
            with pytest.raises(Cancelled):
                await sem.async_acquire()
            assert sem.value == 1
            assert await sem.async_acquire() is True  # and a schedule point
        return True

    assert exampleloop.run(main)


def test_checkpoint_environment_variable():
    code = """
        import exampleloop
        from aiologic.lowlevel import async_checkpoint_enabled
        async def main():
            return async_checkpoint_enabled()
        print(exampleloop.run(main))
        """
    assert run_code(code) == "False"
    assert run_code(code, AIOLOGIC_EXAMPLELOOP_CHECKPOINTS="1") == "True"
    assert run_code(code, AIOLOGIC_ASYNC_CHECKPOINTS="1") == "True"


def test_mixed_deadlock_is_an_error():
    async def main():
        lock = aiologic.Lock()
        await lock.async_acquire()
        with pytest.raises(RuntimeError, match="the current thread is already holding this lock"):
            lock.green_acquire(timeout=1)
        lock.async_release()

    exampleloop.run(main)


# -- exampleloop's answer to the wake-versus-cancel race ------------------------------


@pytest.mark.parametrize("waker", ["same thread", "another thread"])
def test_a_wake_up_wins_over_a_later_cancel(waker):
    # The conformance suite checks what any backend must do in this race
    # (the hand-off is either taken or refused, never lost). exampleloop's
    # own answer: a waiter already woken refuses the abort, so the acquire
    # succeeds and the cancellation stays pending until the task's next
    # suspension point. From another thread, the release happens while the
    # loop's thread is blocked in join(): the wake-up is in flight (posted,
    # not yet delivered) when the cancellation comes.
    async def main():
        sem = aiologic.Semaphore(0)
        results = []

        async def a():
            results.append(await sem.async_acquire())
            await exampleloop.sleep(0)  # the pending cancellation lands here
            results.append("not cancelled")

        task = exampleloop.spawn(a)
        await wait_until(lambda: sem.waiting == 1)
        if waker == "same thread":
            sem.release()
        else:
            thread = threading.Thread(target=sem.release)
            thread.start()
            thread.join()
        task.cancel()
        with pytest.raises(Cancelled):
            await task.join()
        assert results == [True]
        assert sem.value == 0 and sem.waiting == 0

    for _ in range(5):
        exampleloop.run(main)


# -- exampleloop and asyncio, each in its own thread --------------------------------


def test_exampleloop_and_asyncio_share_primitives():
    lock = aiologic.Lock()
    ping, pong = aiologic.Event(), aiologic.Event()
    state = {"inside": 0, "turns": 0}

    async def turns(w, sleep):
        for _ in range(20):
            async with lock:
                state["inside"] += 1
                assert state["inside"] == 1
                await sleep(0)
                state["inside"] -= 1
                state["turns"] += 1

    async def in_exampleloop(w):
        ping.set()
        assert await pong.with_(10)
        assert current_async_library() == "exampleloop"
        await turns(w, exampleloop.sleep)

    async def in_asyncio(w):
        assert await ping.with_(10)
        pong.set()
        assert current_async_library() == "asyncio"
        await turns(w, asyncio.sleep)

    run_in_threads(("exampleloop", in_exampleloop), ("asyncio", in_asyncio))
    assert state == {"inside": 0, "turns": 40} and not lock.locked()


def test_outside_any_loop():
    with pytest.raises(AsyncLibraryNotFoundError):
        current_async_library()


def test_timer_cancelled_after_it_became_due():
    # Regression: a sleep cancelled in the same loop iteration in which its
    # timer became due was rescheduled twice (by the abort and the timer).
    async def main():
        a = exampleloop.spawn(exampleloop.sleep, 0.01)
        await exampleloop.cancel_shielded_checkpoint()  # a parks, its timer armed
        time.sleep(0.03)  # the timer is due now
        await exampleloop.cancel_shielded_checkpoint()  # we run before the timer's callback
        a.cancel()
        with pytest.raises(Cancelled):
            await a.join()

    exampleloop.run(main)
