"""The trio backend (aiologic-trio): what is particular to trio. Trio-style
checkpoints, trio's cancel scopes and clocks, guest mode, and the error when
the backend is missing. What every backend must do (timeouts, wake-up paths,
the wake-versus-cancel race, shielding) is checked for trio and anyio on trio
by the conformance suite (tests/test_conformance.py)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import time

import pytest

trio = pytest.importorskip("trio")
MockClock = pytest.importorskip("trio.testing").MockClock

import aiologic  # noqa: E402
from aiologic.lowlevel import (  # noqa: E402
    async_checkpoint,
    async_checkpoint_enabled,
    current_async_library,
    current_async_task,
    current_async_task_ident,
    current_async_token,
    disable_checkpoints,
    enable_checkpoints,
)


def run_code(code, **env):
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


class StepCounter(trio.abc.Instrument):
    """Counts the steps of one task: each step after the first follows a
    schedule point of that task."""

    def __init__(self):
        self.task = None
        self.steps = 0
        self.scheduled = []

    def before_task_step(self, task):
        if task is self.task:
            self.steps += 1

    def task_scheduled(self, task):
        self.scheduled.append(task)


async def schedule_points(counter, make_call):
    """The number of schedule points `await make_call()` makes in the
    current task, and its result."""
    counter.task = trio.lowlevel.current_task()
    before = counter.steps
    result = await make_call()
    return counter.steps - before, result


# -- detection and identity ------------------------------------------------------


def test_detection_and_identity():
    async def main():
        task = trio.lowlevel.current_task()
        assert current_async_library() == "trio"
        assert current_async_task() is task
        assert current_async_task_ident() == ("trio", id(task))
        assert current_async_token() is trio.lowlevel.current_trio_token()
        lock = aiologic.Lock()
        async with lock:
            assert lock.owner == ("trio", id(task))
            assert lock.async_owned()
        return True

    assert trio.run(main)


def test_backend_is_a_plugin():
    from aiologic.backends import get_backend, installed_backends

    assert installed_backends()["trio"] == "aiologic-trio"

    async def main():
        async with aiologic.Lock():
            pass

    trio.run(main)
    backend = get_backend("trio")
    assert (backend.name, backend.kind, backend.root_module, backend.distribution) == (
        "trio",
        "async",
        "trio",
        "aiologic-trio",
    )
    assert backend.checkpoints_default is True and backend.priority == 30
    assert not backend.running()  # no trio task in this thread


def test_anyio_on_trio_is_trio():
    anyio = pytest.importorskip("anyio")

    async def main():
        assert current_async_library() == "trio"
        assert current_async_task() is trio.lowlevel.current_task()
        assert async_checkpoint_enabled()

    anyio.run(main, backend="trio")


# -- checkpoints ---------------------------------------------------------------------


def test_uncontended_async_with_is_a_checkpoint_in_trio():
    async def main():
        lock = aiologic.Lock()
        assert async_checkpoint_enabled()
        with trio.CancelScope() as scope:
            scope.cancel()
            async with lock:
                pytest.fail("entered a lock in a cancelled scope")
        assert scope.cancelled_caught
        assert not lock.locked() and lock.owner is None
        sem = aiologic.Semaphore(1)
        with trio.CancelScope() as scope:
            scope.cancel()
            await sem.async_acquire()
        assert scope.cancelled_caught and sem.value == 1
        event = aiologic.Event()
        event.set()
        with trio.CancelScope() as scope:
            scope.cancel()
            await event
        assert scope.cancelled_caught
        # blocking=False never checkpoints
        with trio.CancelScope() as scope:
            scope.cancel()
            assert await lock.async_acquire(blocking=False)
            lock.async_release()
        assert not scope.cancelled_caught

    trio.run(main)


def test_uncontended_async_with_is_not_a_checkpoint_in_asyncio():
    async def main():
        lock = aiologic.Lock()
        assert not async_checkpoint_enabled()
        asyncio.current_task().cancel()
        async with lock:  # completes: no cancel point
            assert lock.locked()
        assert not lock.locked()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.sleep(0)

    asyncio.run(main())


def test_exactly_one_schedule_point_per_call():
    counter = StepCounter()

    async def main():
        lock, sem, event = aiologic.Lock(), aiologic.Semaphore(1), aiologic.Event()
        assert await schedule_points(counter, lock.async_acquire) == (1, True)
        lock.async_release()

        async def hold():
            async with lock:
                pass

        assert (await schedule_points(counter, hold))[0] == 1
        assert (await schedule_points(counter, sem.async_acquire))[0] == 1
        assert await schedule_points(counter, lambda: sem.async_acquire(timeout=0)) == (1, False)
        assert await schedule_points(counter, lambda: sem.async_acquire(blocking=False)) == (0, False)
        sem.release()
        assert await schedule_points(counter, lambda: event.with_(0)) == (1, False)
        event.set()
        assert await schedule_points(counter, event.with_) == (1, True)
        assert (await schedule_points(counter, async_checkpoint))[0] == 1

        # Contended: the wait is the one schedule point.
        contended = aiologic.Lock()

        async def holder(task_status=trio.TASK_STATUS_IGNORED):
            await contended.async_acquire()
            task_status.started()
            await trio.sleep(0.01)
            contended.async_release()

        async with trio.open_nursery() as nursery:
            await nursery.start(holder)
            assert await schedule_points(counter, contended.async_acquire) == (1, True)
            contended.async_release()

    trio.run(main, instruments=[counter])


def test_disable_checkpoints_in_trio():
    counter = StepCounter()

    async def main():
        lock = aiologic.Lock()
        async with disable_checkpoints() as value:
            assert value is False and not async_checkpoint_enabled()
            assert await schedule_points(counter, lock.async_acquire) == (0, True)
            lock.async_release()
            with trio.CancelScope() as scope:
                scope.cancel()
                async with lock:  # not a checkpoint now
                    assert lock.locked()
            assert not lock.locked()
            # force=True still checkpoints
            with trio.CancelScope() as scope:
                scope.cancel()
                await async_checkpoint(force=True)
                raise AssertionError("not cancelled")
            assert scope.cancelled_caught
            async with enable_checkpoints():
                assert async_checkpoint_enabled()
                assert await schedule_points(counter, lock.async_acquire) == (1, True)
                lock.async_release()
            assert not async_checkpoint_enabled()
        assert async_checkpoint_enabled()

    trio.run(main, instruments=[counter])


def test_checkpoint_environment_variables_for_trio():
    code = """
        import trio, aiologic
        from aiologic.lowlevel import async_checkpoint_enabled
        async def main():
            lock = aiologic.Lock()
            with trio.CancelScope() as scope:
                scope.cancel()
                async with lock:
                    pass
            return async_checkpoint_enabled(), scope.cancelled_caught
        print(*trio.run(main))
        """
    assert run_code(code) == "True True"
    assert run_code(code, AIOLOGIC_TRIO_CHECKPOINTS="") == "False False"
    assert run_code(code, AIOLOGIC_ASYNC_CHECKPOINTS="") == "False False"
    assert run_code(code, AIOLOGIC_ASYNC_CHECKPOINTS="", AIOLOGIC_TRIO_CHECKPOINTS="0") == "True True"
    # asyncio keeps its own default
    asyncio_code = """
        import asyncio
        from aiologic.lowlevel import async_checkpoint_enabled
        async def main():
            return async_checkpoint_enabled()
        print(asyncio.run(main()))
        """
    assert run_code(asyncio_code, AIOLOGIC_TRIO_CHECKPOINTS="1") == "False"


# -- cancellation ------------------------------------------------------------------------


async def held_lock():
    lock = aiologic.Lock()
    ready = trio.Event()
    done = trio.Event()

    async def holder():
        async with lock:
            ready.set()
            await done.wait()

    return lock, ready, done, holder


def test_every_trio_cancellation_aborts_a_wait():
    async def main():
        lock, ready, done, holder = await held_lock()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(holder)
            await ready.wait()

            with trio.move_on_after(0.01) as scope:
                await lock.async_acquire()
            assert scope.cancelled_caught and lock.waiting == 0

            with pytest.raises(trio.TooSlowError):
                with trio.fail_after(0.01):
                    await lock.async_acquire()
            assert lock.waiting == 0

            with trio.CancelScope() as scope:
                trio.lowlevel.current_trio_token().run_sync_soon(scope.cancel)
                await aiologic.Semaphore(0).async_acquire()
            assert scope.cancelled_caught

            # nursery cancellation reaches waiting children
            outcome = []

            async def child():
                try:
                    await lock.async_acquire()
                except trio.Cancelled:
                    outcome.append("cancelled")
                    raise

            async with trio.open_nursery() as inner:
                for _ in range(3):
                    inner.start_soon(child)
                while lock.waiting < 3:
                    await trio.sleep(0.001)
                inner.cancel_scope.cancel()
            assert outcome == ["cancelled"] * 3 and lock.waiting == 0

            with trio.move_on_after(0.01) as scope:
                await aiologic.Event()
            assert scope.cancelled_caught
            done.set()
        assert not lock.locked()

    trio.run(main)


def test_anyio_scopes_on_trio_abort_a_wait():
    anyio = pytest.importorskip("anyio")

    async def main():
        lock = aiologic.Lock()
        await lock.async_acquire()
        with anyio.move_on_after(0.01) as scope:
            async with anyio.create_task_group() as group:
                group.start_soon(lock.async_acquire)
        assert scope.cancelled_caught and lock.waiting == 0
        with pytest.raises(TimeoutError):
            with anyio.fail_after(0.01):
                await aiologic.Event()
        lock.async_release()
        assert not lock.locked()

    anyio.run(main, backend="trio")


def test_timeout_rechecks_monotonic_time(monkeypatch):
    # trio's clock is perf_counter(); where time.monotonic() runs slower
    # (simulated here at half speed), the wait goes on until monotonic time
    # has passed too.
    import aiologic_trio._backend as trio_backend

    real = time.monotonic
    origin = real()
    monkeypatch.setattr(trio_backend, "_monotonic", lambda: origin + (real() - origin) / 2)

    async def main():
        start = real()
        assert await aiologic.Semaphore(0).async_acquire(timeout=0.02) is False
        assert real() - start >= 0.04

    trio.run(main)


class ReleaseBeforeStep(trio.abc.Instrument):
    """Releases a semaphore right before a given task's next step."""

    def __init__(self, sem):
        self.sem = sem
        self.task = None

    def before_task_step(self, task):
        if task is self.task:
            self.task = None
            self.sem.release()


def test_wake_after_the_timeout_aborted_the_wait():
    # A's deadline passes and its wait is aborted; then, before A resumes, a
    # release hands it the permit. A returns True (its permit), nothing lost.
    clock = MockClock()
    sem = aiologic.Semaphore(0)
    releaser = ReleaseBeforeStep(sem)

    async def main():
        result = []

        async def a(task_status=trio.TASK_STATUS_IGNORED):
            task_status.started(trio.lowlevel.current_task())
            result.append(await sem.async_acquire(timeout=1))

        async with trio.open_nursery() as nursery:
            task = await nursery.start(a)
            while sem.waiting < 1:
                await trio.sleep(0)
            clock.jump(2)
            releaser.task = task
        assert releaser.task is None  # the release happened
        assert result == [True] and sem.value == 0 and sem.waiting == 0

    trio.run(main, clock=clock, instruments=[releaser])


def test_timeout_follows_a_virtual_clock():
    # Under trio's MockClock a timeout follows trio's clock, as every trio
    # timeout does: autojump makes a long one expire at once.
    clock = MockClock(autojump_threshold=0)

    async def main():
        start = trio.current_time()
        real = time.monotonic()
        assert await aiologic.Semaphore(0).async_acquire(timeout=1000) is False
        assert trio.current_time() - start >= 1000
        assert time.monotonic() - real < 100

    trio.run(main, clock=clock)


def test_lowlevel_services():
    # The generic checks (sleep, shield...) are in the conformance suite;
    # here, what only trio can say.
    from aiologic.backends import get_backend

    async def main():
        backend = get_backend("trio")
        assert backend.clock() == pytest.approx(trio.current_time(), abs=1)
        assert backend.current_task() is trio.lowlevel.current_task()
        assert backend.runs_in_this_thread(id(trio.lowlevel.current_task()))
        assert not backend.runs_in_this_thread(0)

    trio.run(main)


def test_mixed_deadlock_is_an_error_in_trio():
    # A plain-thread acquire inside the trio thread, on a lock a
    # trio task of this very run holds, raises instead of hanging.
    async def main():
        lock = aiologic.Lock()
        holding = trio.Event()
        release = trio.Event()

        async def holder():
            async with lock:
                holding.set()
                await release.wait()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(holder)
            await holding.wait()
            with pytest.raises(RuntimeError, match="the current thread is already holding this lock"):
                lock.green_acquire(timeout=1)
            release.set()

    trio.run(main)


# -- wake-ups from other threads and loops ------------------------------------------------------


def test_trio_guest_run_on_asyncio():
    # trio as a guest of an asyncio loop in one thread: each side is
    # detected as itself, and wake-ups cross in both directions. (In a
    # subprocess: guest mode keeps a worker thread of trio's own alive.)
    out = run_code(
        """
        import asyncio, threading, trio, aiologic
        from aiologic.lowlevel import current_async_library

        async def trio_side(to_trio, to_asyncio, lock, log):
            log.append(("trio", current_async_library()))
            assert await to_trio.with_(10) is True
            to_asyncio.set()
            async with lock:
                log.append("trio has the lock")
            return "trio done"

        async def main():
            loop = asyncio.get_running_loop()
            to_trio, to_asyncio, lock = aiologic.Event(), aiologic.Event(), aiologic.Lock()
            log = []
            done = loop.create_future()
            await lock.async_acquire()
            trio.lowlevel.start_guest_run(
                trio_side, to_trio, to_asyncio, lock, log,
                run_sync_soon_threadsafe=loop.call_soon_threadsafe,
                done_callback=done.set_result,
            )
            log.append(("asyncio", current_async_library()))
            while to_trio.waiting < 1:
                await asyncio.sleep(0.001)
            to_trio.set()
            assert await to_asyncio.with_(10) is True
            while lock.waiting < 1:
                await asyncio.sleep(0.001)
            lock.async_release()  # hands the lock to the trio task
            outcome = await asyncio.wait_for(done, 10)
            return outcome.unwrap(), sorted(log, key=str)

        print(asyncio.run(main()))
        """
    )
    assert out == "('trio done', [('asyncio', 'asyncio'), ('trio', 'trio'), 'trio has the lock'])"


def test_event_set_reschedules_waiters_oldest_first():
    counter = StepCounter()

    async def main():
        event = aiologic.Event()
        tasks = []

        async def waiter():
            tasks.append(trio.lowlevel.current_task())
            await event

        async with trio.open_nursery() as nursery:
            for index in range(5):
                nursery.start_soon(waiter)
                while event.waiting < index + 1:
                    await trio.sleep(0.001)
            counter.scheduled.clear()
            event.set()
            woken = [task for task in counter.scheduled if task in tasks]
        assert woken == tasks

    trio.run(main, instruments=[counter])


# -- without the backend ------------------------------------------------------------------


def test_missing_trio_backend_names_distribution():
    out = run_code(
        """
        import sys
        sys.modules["aiologic_trio"] = None  # the fallback import fails too
        from aiologic.lowlevel import _registry
        read = _registry._read_entry_points
        def without_trio():
            found = read()
            found.pop("trio", None)
            return found
        _registry._read_entry_points = without_trio
        import trio, aiologic
        async def main():
            lock = aiologic.Lock()
            for _ in range(2):  # the error is remembered: same message again
                try:
                    async with lock:  # uncontended: the fast path
                        pass
                except RuntimeError as exc:
                    print(exc)
            print(lock.locked())
        trio.run(main)
        """
    )
    lines = out.splitlines()
    assert len(lines) == 3, out
    assert "pip install aiologic-trio" in lines[0] and "pip install aiologic-trio" in lines[1]
    assert lines[2] == "False"


def test_fallback_without_trio_private_state():
    # If a future trio moves its run context, the backend falls back on the
    # public functions. Simulated by loading the backend without it.
    out = run_code(
        """
        import sys, threading, time, types
        import aiologic_trio._backend as real
        path = real.__file__
        source = open(path).read()
        marker = '_run_module: Any = getattr(getattr(trio, "_core", None), "_run", None)'
        assert marker in source
        module = types.ModuleType(real.__name__)
        module.__file__ = path
        exec(compile(source.replace(marker, "_run_module: Any = None"), path, "exec"), module.__dict__)
        assert module._context is None
        sys.modules[real.__name__] = module
        import aiologic_trio
        aiologic_trio.backend = module.backend
        import trio, aiologic
        assert not module.backend.running() and module._current_task() is None

        async def main():
            assert module.backend.running()
            assert module._current_task() is trio.lowlevel.current_task()
            lock = aiologic.Lock()
            async with lock:
                assert lock.owner == ("trio", id(trio.lowlevel.current_task()))
            sem = aiologic.Semaphore(0)
            assert await sem.async_acquire(timeout=0.01) is False
            threading.Timer(0.01, sem.release).start()
            assert await sem.async_acquire(timeout=10) is True
            async with trio.open_nursery() as nursery:
                nursery.start_soon(sem.async_acquire)
                while sem.waiting < 1:
                    await trio.sleep(0.001)
                sem.release()  # same run
            with trio.move_on_after(0.01) as scope:
                await sem.async_acquire()
            assert scope.cancelled_caught
            print("ok", aiologic.lowlevel._registry.get_backend("trio") is module.backend)

        trio.run(main)
        """
    )
    assert out == "ok True"


def test_task_identity_outside_a_trio_task_raises():
    # sniffio's marker says trio, but no trio task runs (an instrument hook,
    # an abort callback): no identity of a task that does not exist.
    from aiologic.lowlevel import current_async_library_tlocal, current_async_task_ident

    current_async_library_tlocal.name = "trio"
    try:
        with pytest.raises(RuntimeError):
            current_async_task_ident()
    finally:
        current_async_library_tlocal.name = None
