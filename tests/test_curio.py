"""The curio backend (aiologic-curio): task identity for the synchronous
methods, huge timeouts, curio's own cancellation (`Task.cancel`,
`timeout_after`, `ignore_after`), wake-up paths and their batching, and the
kernel's life cycle. The conformance suite and the world tests run in the
curio world too; these are what is particular to curio."""

from __future__ import annotations

import functools
import math
import os
import random
import signal
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Dict, List

import pytest

curio = pytest.importorskip("curio")
aiologic_curio = pytest.importorskip("aiologic_curio")

import aiologic  # noqa: E402
from aiologic.backends import get_backend  # noqa: E402
from aiologic.lowlevel import (  # noqa: E402
    async_checkpoint_enabled,
    create_async_event,
    create_async_waiter,
    current_async_library,
    current_async_task,
    current_async_task_ident,
    current_async_token,
    enable_checkpoints,
    enable_signal_safety,
)
from aiologic_curio import _backend  # noqa: E402
from curio.traps import _get_kernel  # noqa: E402

HUGE = [None, math.inf, 1e300, sys.float_info.max]


async def until(predicate: Callable[[], bool], what: str = "condition") -> None:
    deadline = time.monotonic() + 10
    while not predicate():
        assert time.monotonic() < deadline, f"{what}: not reached in 10 s"
        await curio.sleep(0.001)


@pytest.fixture
def threads_unchanged():
    """aiologic never starts a thread: not on timeouts, not on cancellation."""
    before = threading.active_count()
    yield
    assert threading.active_count() == before


# -- identity ---------------------------------------------------------------------------


def test_identity_and_the_synchronous_methods():
    async def main() -> None:
        task = await curio.current_task()
        kernel = await _get_kernel()
        assert current_async_library() == "curio"
        assert current_async_task() is task
        assert current_async_task_ident() == ("curio", id(task))
        assert current_async_token() is kernel
        lock = aiologic.Lock()
        await lock.async_acquire()
        assert lock.owner == ("curio", id(task)) and lock.async_owned()

        async def other() -> Any:
            ident = current_async_task_ident()
            owned = lock.async_owned()
            try:
                lock.async_release()
            except RuntimeError:
                refused = True
            else:
                refused = False
            return ident, owned, refused

        child = await curio.spawn(other)
        ident, owned, refused = await child.join()
        assert ident == ("curio", id(child)) and ident != lock.owner
        assert owned is False and refused is True and lock.locked()
        lock.async_release()  # synchronous: no await
        assert not lock.locked() and lock.owner is None
        semaphore = aiologic.Semaphore(1)
        assert semaphore.async_release() is None and semaphore.value == 2

    curio.run(main)


def test_identity_from_the_kernels_own_cell():
    """The running task comes from the kernel's own variable: right in every
    task, across switches, and None outside a task step."""
    seen: Dict[int, Any] = {}

    async def child(n: int) -> None:
        for _ in range(5):
            assert _backend._current_task() is await curio.current_task()
            seen[n] = _backend._current_task()
            await curio.sleep(0)

    async def main() -> None:
        tasks = [await curio.spawn(child, n) for n in range(3)]
        for task in tasks:
            await task.join()
        assert [seen[n] for n in range(3)] == tasks

    curio.run(main)
    backend = get_backend("curio")
    assert not backend.running() and _backend._current_task() is None
    with pytest.raises(RuntimeError):
        backend.current_task()
    with pytest.raises(RuntimeError):
        backend.current_token()


def test_curio_imported_does_not_disturb_asyncio():
    import asyncio

    async def main() -> Any:
        lock = aiologic.Lock()
        async with lock:
            return current_async_library(), lock.owner == ("asyncio", id(asyncio.current_task()))

    assert asyncio.run(main()) == ("asyncio", True)


def test_coroutine_functions_run_as_curio_tasks():
    async def main() -> None:
        lock = aiologic.Lock()
        task = await curio.spawn(lock.async_acquire)
        assert await task.join() is True
        assert lock.owner == ("curio", id(task))
        event = aiologic.Event()
        waiting = await curio.spawn(event.with_, 5)
        await until(lambda: event.waiting == 1)
        event.set()
        assert await waiting.join() is True

    curio.run(main)


def test_without_the_backend_the_error_names_the_distribution():
    # As if aiologic-curio were not installed (its entry point stays, its
    # module is gone): even an uncontended `async with lock` says what to
    # install, and leaves the lock unlocked.
    code = (
        "import sys\n"
        "sys.modules['aiologic_curio'] = None\n"
        "import curio, aiologic\n"
        "lock = aiologic.Lock()\n"
        "async def main():\n"
        "    try:\n"
        "        async with lock:\n"
        "            return 'no error'\n"
        "    except RuntimeError as exc:\n"
        "        return str(exc)\n"
        "print(curio.run(main), lock.locked())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "aiologic-curio" in out.stdout and out.stdout.strip().endswith("False"), out.stdout + out.stderr


# -- timeouts -----------------------------------------------------------------------------


@pytest.mark.parametrize("timeout", HUGE, ids=["None", "inf", "1e300", "float_max"])
def test_huge_timeouts_wait_until_woken(timeout, threads_unchanged):
    """`math.inf`, 1e300 and the largest float behave like None: the call
    waits until woken (curio never sees the value), and returns True."""

    async def main() -> None:
        lock = aiologic.Lock()
        event = aiologic.Event()
        semaphore = aiologic.Semaphore(0)
        low = create_async_event()
        box: Dict[str, Any] = {}
        await lock.async_acquire()

        async def waiting() -> List[bool]:
            results = [await lock.async_acquire(timeout=timeout)]
            lock.async_release()
            results.append(await event.with_(timeout))
            results.append(await semaphore.async_acquire(timeout=timeout))
            results.append(await low.with_(timeout))
            box["waiter"] = waiter = create_async_waiter()
            results.append(await waiter.with_(timeout))
            return results

        task = await curio.spawn(waiting)
        await until(lambda: lock.waiting == 1)
        await curio.sleep(0.01)
        lock.async_release()
        await until(lambda: event.waiting == 1)
        event.set()
        await until(lambda: semaphore.waiting == 1)
        semaphore.release()
        await curio.sleep(0.01)
        assert low.set() is True
        await until(lambda: "waiter" in box)
        await curio.sleep(0.01)
        thread = threading.Thread(target=box["waiter"].wake)  # from another thread too
        thread.start()
        assert await task.join() == [True] * 5
        thread.join(10)

    curio.run(main)


@pytest.mark.parametrize("timeout", HUGE[1:], ids=["inf", "1e300", "float_max"])
def test_huge_timeouts_under_curio_timeouts(timeout, threads_unchanged):
    """A huge aiologic timeout inside a short curio timeout: curio's timeout
    fires, the kernel survives, nothing is left waiting."""

    async def main() -> None:
        semaphore = aiologic.Semaphore(0)
        start = time.monotonic()
        assert await curio.ignore_after(0.05, semaphore.async_acquire(timeout=timeout)) is None
        assert time.monotonic() - start >= 0.05 and semaphore.waiting == 0
        with pytest.raises(curio.TaskTimeout):
            await curio.timeout_after(0.02, create_async_waiter().with_, timeout)
        async with curio.ignore_after(0.02) as scope:
            await get_backend("curio").sleep(timeout if timeout < math.inf else 1e300)
        assert scope.expired
        semaphore.release()
        assert semaphore.value == 1

    curio.run(main)


def test_aiologic_timeout_inside_a_curio_timeout(threads_unchanged):
    """The shorter one wins: aiologic's returns False (curio's timeout does not
    fire later); curio's raises TaskTimeout (not a False return)."""

    async def main() -> None:
        lock = aiologic.Lock()
        await lock.async_acquire()

        async def contender() -> Any:
            async with curio.timeout_after(5):
                start = time.monotonic()
                result = await lock.async_acquire(timeout=0.02)
                elapsed = time.monotonic() - start
            await curio.sleep(0.01)  # no stray TaskTimeout afterwards
            return result, elapsed

        result, elapsed = await (await curio.spawn(contender)).join()
        assert result is False and elapsed >= 0.02

        async def cut_short() -> None:
            async with curio.timeout_after(0.02):
                await lock.async_acquire(timeout=5)

        task = await curio.spawn(cut_short)
        with pytest.raises(curio.TaskError) as info:
            await task.join()
        assert isinstance(info.value.__cause__, curio.TaskTimeout)
        assert lock.waiting == 0
        lock.async_release()
        assert not lock.locked()

    curio.run(main)


# -- cancellation -------------------------------------------------------------------------


def test_task_cancel_passes_through(threads_unchanged):
    """`Task.cancel()` of a waiting task: TaskCancelled comes out of the
    aiologic call unchanged, and the primitive is as if it was never called."""

    async def main() -> None:
        lock = aiologic.Lock()
        semaphore = aiologic.Semaphore(0)
        event = aiologic.Event()
        await lock.async_acquire()
        caught: List[Any] = []

        async def waiting(call: Callable[[], Any]) -> None:
            try:
                await call()
            except curio.TaskCancelled as exc:
                caught.append(type(exc))
                raise

        for call, count in (
            (lambda: lock.async_acquire(), lambda: lock.waiting),
            (lambda: semaphore.async_acquire(timeout=10), lambda: semaphore.waiting),
            (lambda: event.with_(), lambda: event.waiting),
        ):
            task = await curio.spawn(waiting, call)
            await until(lambda: count() == 1)
            await task.cancel()
            assert count() == 0
        assert caught == [curio.TaskCancelled] * 3
        semaphore.release()
        assert semaphore.value == 1
        lock.async_release()
        assert not lock.locked()

    curio.run(main)


def test_cancelled_as_it_is_woken_from_a_thread_passes_the_hand_off_on(threads_unchanged):
    """A plain thread hands the lock to A (first in line); A is cancelled
    before the kernel reschedules it. curio cannot refuse a cancellation: A
    raises TaskCancelled, and the lock passes on to B. Same for a permit."""

    async def main() -> None:
        lock = aiologic.Lock()
        held, release = threading.Event(), threading.Event()

        def holder() -> None:
            lock.green_acquire()
            held.set()
            assert release.wait(10)
            lock.green_release()  # hands the lock to A: a wake-up from outside

        thread = threading.Thread(target=holder)
        thread.start()
        await until(held.is_set)
        a = await curio.spawn(lock.async_acquire)
        await until(lambda: lock.waiting == 1)
        b = await curio.spawn(functools.partial(lock.async_acquire, timeout=10))
        await until(lambda: lock.waiting == 2)
        release.set()
        thread.join(10)  # the wake-up is on its way to the kernel, A still parked
        await a.cancel()
        assert isinstance(a.exception, curio.TaskCancelled)
        assert await b.join() is True and lock.owner == ("curio", id(b))
        assert lock.waiting == 0

        semaphore = aiologic.Semaphore(0)
        c = await curio.spawn(semaphore.async_acquire)
        await until(lambda: semaphore.waiting == 1)
        thread = threading.Thread(target=semaphore.release)
        thread.start()
        thread.join(10)
        await c.cancel()
        assert isinstance(c.exception, curio.TaskCancelled)
        assert semaphore.value == 1 and semaphore.waiting == 0

    curio.run(main)


def test_woken_in_the_kernel_then_cancelled_keeps_the_lock(threads_unchanged):
    """A task of the same kernel hands the lock to A, which is rescheduled at
    once; a cancellation that comes after that stays pending (curio delivers
    it at A's next blocking call), so A owns the lock."""

    async def main() -> None:
        lock = aiologic.Lock()
        await lock.async_acquire()

        async def a_body() -> str:
            assert await lock.async_acquire() is True
            try:
                await curio.sleep(10)
            except curio.TaskCancelled:
                assert lock.async_owned()
                lock.async_release()
                return "owned, then cancelled"
            return "not cancelled"

        a = await curio.spawn(a_body)
        await until(lambda: lock.waiting == 1)
        lock.async_release()
        await a.cancel()
        assert a.result == "owned, then cancelled"
        assert not lock.locked() and lock.waiting == 0

    curio.run(main)


def test_curio_timeouts_race_releases_from_a_thread(threads_unchanged):
    """curio's own timeouts (`timeout_after`, `ignore_after`) fire while a
    plain thread releases permits, with threads switching as often as
    CPython allows: every permit ends up taken or available."""
    rng = random.Random(18)
    permits = 150
    semaphore = aiologic.Semaphore(0)
    taken: List[int] = []
    started = threading.Event()

    async def main() -> None:
        async def one(kind: int, seconds: float) -> None:
            ok: Any = None
            try:
                if kind == 0:
                    ok = await curio.ignore_after(seconds, semaphore.async_acquire())
                elif kind == 1:
                    ok = await curio.timeout_after(seconds, functools.partial(semaphore.async_acquire, timeout=10))
                else:
                    async with curio.ignore_after(seconds):
                        ok = await semaphore.async_acquire(timeout=seconds)
            except curio.TaskTimeout:
                ok = None
            if ok is True:
                taken.append(1)

        started.set()
        tasks = [await curio.spawn(one, rng.randrange(3), rng.choice([0.0001, 0.001, 0.005])) for _ in range(300)]
        for task in tasks:
            await task.join()

    def releaser() -> None:
        assert started.wait(10)
        for _ in range(permits):
            semaphore.release()
            if rng.random() < 0.3:
                time.sleep(0)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        thread = threading.Thread(target=releaser)
        thread.start()
        curio.run(main)
        thread.join(10)
    finally:
        sys.setswitchinterval(old)
    assert semaphore.waiting == 0
    assert len(taken) + semaphore.value == permits


# -- checkpoints ----------------------------------------------------------------------------


def test_checkpoints_are_off_by_default_and_can_be_enabled():
    """A task whose cancellation is pending (it cancelled itself and runs
    on): without checkpoints, `async with lock` enters and the cancellation
    comes at the next blocking call; with them, it comes first and the lock
    stays unlocked."""

    async def child(checkpoints: bool) -> Any:
        lock = aiologic.Lock()
        me = await curio.current_task()
        await me.cancel(blocking=False)
        steps = []
        try:
            async with enable_checkpoints() if checkpoints else _nothing():
                assert async_checkpoint_enabled() is checkpoints
                async with lock:
                    steps.append(lock.locked())
            await curio.sleep(0)
        except curio.TaskCancelled:
            steps.append("cancelled")
        return steps, lock.locked()

    async def main() -> None:
        assert await (await curio.spawn(child, False)).join() == ([True, "cancelled"], False)
        assert await (await curio.spawn(child, True)).join() == (["cancelled"], False)

    curio.run(main)


class _nothing:
    async def __aenter__(self) -> None:
        pass

    async def __aexit__(self, *exc_info: Any) -> None:
        pass


def test_checkpoints_from_the_environment():
    code = (
        "import curio, aiologic_curio\n"
        "from aiologic.lowlevel import async_checkpoint_enabled\n"
        "async def main():\n"
        "    return async_checkpoint_enabled()\n"
        "print(curio.run(main))\n"
    )
    env = dict(os.environ, AIOLOGIC_CURIO_CHECKPOINTS="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "True", out.stderr


# -- wake-up paths ------------------------------------------------------------------------


class _Rings:
    """Counts the kernel wake-ups the backend asks for (one per batch)."""

    def __init__(self, monkeypatch: Any) -> None:
        self.count = 0
        original = _backend._Doorbell._call

        def counting(bell: Any) -> None:
            self.count += 1
            original(bell)

        monkeypatch.setattr(_backend._Doorbell, "_call", counting)


def test_in_kernel_wake_ups_need_no_kernel_wake_up(monkeypatch):
    rings = _Rings(monkeypatch)

    async def main() -> None:
        event = aiologic.Event()
        tasks = [await curio.spawn(event.with_, 10) for _ in range(200)]
        await until(lambda: event.waiting == 200)
        event.set()
        assert [await task.join() for task in tasks] == [True] * 200

    curio.run(main)
    assert rings.count == 0


def test_wake_ups_from_a_thread_are_batched(monkeypatch, threads_unchanged):
    """`Event.set()` in a plain thread wakes 200 curio tasks with one kernel
    wake-up, at the end of the fan-out, not one per task."""
    rings = _Rings(monkeypatch)
    event = aiologic.Event()

    async def main() -> None:
        tasks = [await curio.spawn(event.with_, 10) for _ in range(200)]
        await until(lambda: event.waiting == 200)
        setter = threading.Thread(target=event.set)
        setter.start()
        assert [await task.join() for task in tasks] == [True] * 200
        setter.join(10)

    curio.run(main)
    assert rings.count == 1, rings.count  # one for the whole fan-out


def test_wake_up_from_the_kernels_thread_between_task_steps(monkeypatch):
    """Code that runs in the kernel's thread but in no task (here a kernel
    activation; a finalizer or a signal handler alike) wakes through the
    thread-safe path: the kernel does not sleep through it."""
    from curio.kernel import Activation

    rings = _Rings(monkeypatch)
    box: Dict[str, Any] = {}

    class WakeBetweenSteps(Activation):
        def suspended(self, task: Any, trap: Any) -> None:
            if task is box.get("waker"):
                assert _backend._current_task() is None  # between steps
                box["waiter"].wake()

    async def main() -> None:
        async def waiting() -> bool:
            box["waiter"] = waiter = create_async_waiter()
            return await waiter.with_(10)

        task = await curio.spawn(waiting)
        await until(lambda: "waiter" in box)

        async def waker() -> None:
            await curio.sleep(0.01)

        box["waker"] = await curio.spawn(waker)
        start = time.monotonic()
        assert await task.join() is True
        assert time.monotonic() - start < 5
        await box["waker"].join()

    curio.run(main, activations=[WakeBetweenSteps()])
    assert rings.count >= 1


class _SignalSetter:
    """A SIGUSR1 handler that sets `event` (with signal safety enabled, or
    not), and a timer that sends the signal to the main thread."""

    def __init__(self, event: Any, safety: bool) -> None:
        self.event = event
        self.safety = safety
        self.handled = 0

    def handler(self, signum: int, frame: Any) -> None:
        self.handled += 1
        if self.safety:
            with enable_signal_safety():
                self.event.set()
        else:
            self.event.set()

    def __enter__(self) -> "_SignalSetter":
        self.previous = signal.signal(signal.SIGUSR1, self.handler)
        main = threading.main_thread().ident
        self.timer = threading.Timer(0.05, signal.pthread_kill, (main, signal.SIGUSR1))
        self.timer.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.timer.cancel()
        self.timer.join(10)
        signal.signal(signal.SIGUSR1, self.previous)


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs POSIX signals")
@pytest.mark.parametrize("busy", [False, True], ids=["idle-kernel", "busy-kernel"])
@pytest.mark.parametrize("safety", [True, False], ids=["safety", "no-safety"])
def test_signal_handler_wakes_a_curio_task(busy, safety):
    """A signal handler sets an event a curio task waits for, landing while
    the kernel sleeps in its selector or while another task runs (a task
    that spins): the wake-up arrives either way."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers run in the main thread only")
    event = aiologic.Event()

    async def spin() -> None:
        while not event.is_set():
            await curio.sleep(0)

    async def main() -> Any:
        with _SignalSetter(event, safety) as setter:
            spinner = await curio.spawn(spin) if busy else None
            start = time.monotonic()
            assert await event.with_(5) is True
            elapsed = time.monotonic() - start
            if spinner is not None:
                await spinner.join()
            return setter.handled, elapsed

    handled, elapsed = curio.run(main)
    assert handled == 1 and elapsed < 2


def test_the_drain_task_stays_out_of_the_kernel():
    """Waking from a thread needs a drain task in the kernel; it is not in
    the kernel's task table, and the kernel shuts down cleanly, then
    survives wake-ups that come too late."""
    late: List[Any] = []

    async def main() -> None:
        kernel = await _get_kernel()
        semaphore = aiologic.Semaphore(0)
        waiting = await curio.spawn(semaphore.async_acquire)
        await until(lambda: semaphore.waiting == 1)
        thread = threading.Thread(target=semaphore.release)
        thread.start()
        assert await waiting.join() is True
        thread.join(10)
        drain = kernel._aiologic_curio.drain
        assert drain is not None and drain not in kernel._tasks.values()
        late.append(create_async_waiter())

    with curio.Kernel() as kernel:
        kernel.run(main)
        kernel.run(main)  # a second run on the same kernel
    thread = threading.Thread(target=late[0].wake)
    thread.start()
    thread.join(10)
    late[1].wake()


def test_lock_ping_pong_with_a_thread(threads_unchanged):
    """A lock handed back and forth between a curio task and a plain thread,
    each side waiting for the other every round."""
    lock = aiologic.Lock()
    rounds = 50
    log: List[str] = []

    def thread_side() -> None:
        for _ in range(rounds):
            with lock:
                log.append("t")
                time.sleep(0.0005)

    async def main() -> None:
        thread = threading.Thread(target=thread_side)
        thread.start()
        for _ in range(rounds):
            async with lock:
                log.append("c")
                await curio.sleep(0.0005)
        while thread.is_alive():
            await curio.sleep(0.001)

    curio.run(main)
    assert sorted(log) == ["c"] * rounds + ["t"] * rounds and not lock.locked()
