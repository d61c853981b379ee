"""The asyncio backend's waiter: where each wake-up goes, and what it costs.

A wake-up from a task of the waiter's loop resolves the future at once. Any
other caller, including a signal handler or a finalizer in the loop's own
thread, goes through `call_soon_threadsafe`, once per batch of wake-ups.
Each test bounds its waits, so that a lost wake-up fails an assertion
instead of hanging.
"""

from __future__ import annotations

import asyncio
import gc
import os
import selectors
import signal
import sys
import threading
import time
import warnings
import weakref

import pytest

import aiologic
from aiologic.lowlevel import create_async_waiter
from aiologic_asyncio import AsyncioWaiter

# A lost wake-up shows only when the wait's own timeout, LATE, expires; a
# delivered one (sent at 0.2 s) returns well within PROMPT.
LATE = 3.0
PROMPT = 1.5


def count_threadsafe_calls(loop):
    """Record the callbacks passed to `loop.call_soon_threadsafe`."""
    calls = []
    original = loop.call_soon_threadsafe

    def counting(callback, *args, **kwargs):
        calls.append(callback)
        return original(callback, *args, **kwargs)

    loop.call_soon_threadsafe = counting
    return calls


class Finalized:
    """A reference cycle whose finalizer sets an event."""

    def __init__(self, event):
        self.event = event
        self.cycle = self

    def __del__(self):
        self.event.set()


@pytest.fixture
def no_automatic_gc():
    # The cycles below must be collected where the test says, not earlier.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# -- wake-ups from the loop's own thread, outside its tasks --------------------


@pytest.fixture
def sigalrm_in():
    """Call a function from a SIGALRM handler after `seconds`."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        pytest.skip("needs setitimer() and the main thread")
    saved = {}

    def arm(seconds, func):
        def handler(signum, frame):
            func()

        saved["handler"] = signal.signal(signal.SIGALRM, handler)
        saved["timer"] = signal.setitimer(signal.ITIMER_REAL, seconds)
        saved["since"] = time.monotonic()

    yield arm
    if saved:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, saved["handler"])
        delay, interval = saved["timer"]
        if delay:  # someone else's timer (pytest-timeout's): give it back
            remaining = delay - (time.monotonic() - saved["since"])
            signal.setitimer(signal.ITIMER_REAL, max(remaining, 0.001), interval)


def test_event_set_from_a_signal_handler_wakes_the_loop(sigalrm_in):
    event = aiologic.Event()

    async def main():
        sigalrm_in(0.2, event.set)
        start = time.monotonic()
        assert await event.with_(timeout=LATE) is True
        return time.monotonic() - start

    assert asyncio.run(main()) < PROMPT


def test_lock_released_from_a_signal_handler_wakes_the_loop(sigalrm_in):
    lock = aiologic.Lock()
    lock.green_acquire()  # held by this thread, released by the handler

    async def main():
        sigalrm_in(0.2, lock.green_release)
        start = time.monotonic()
        assert await lock.async_acquire(timeout=LATE) is True
        elapsed = time.monotonic() - start
        lock.async_release()
        return elapsed

    assert asyncio.run(main()) < PROMPT


def test_finalizer_run_by_a_loop_callback_wakes_the_loop(no_automatic_gc):
    event = aiologic.Event()

    async def main():
        Finalized(event)
        asyncio.get_running_loop().call_later(0.2, gc.collect)
        start = time.monotonic()
        assert await event.with_(timeout=LATE) is True
        return time.monotonic() - start

    assert asyncio.run(main()) < PROMPT


class CollectingSelector(selectors.DefaultSelector):
    """Runs the garbage collector once the loop has decided to sleep long:
    where an allocation of the loop's own code may trigger it."""

    armed = False

    def select(self, timeout=None):
        if self.armed and (timeout is None or timeout > 1):
            self.armed = False
            gc.collect()
        return super().select(timeout)


def test_finalizer_run_as_the_loop_goes_to_sleep_wakes_it(no_automatic_gc):
    event = aiologic.Event()
    selector = CollectingSelector()
    loop = asyncio.SelectorEventLoop(selector)

    async def main():
        Finalized(event)
        selector.armed = True
        start = time.monotonic()
        assert await event.with_(timeout=LATE) is True
        return time.monotonic() - start

    try:
        assert loop.run_until_complete(main()) < PROMPT
    finally:
        loop.close()


def test_only_a_task_of_the_loop_wakes_locally():
    async def main():
        loop = asyncio.get_running_loop()
        calls = count_threadsafe_calls(loop)
        waiter = create_async_waiter()
        waiter.wake()  # from this task
        assert await waiter.with_(PROMPT) is True and calls == []
        waiter = create_async_waiter()
        loop.call_soon(waiter.wake)  # a plain callback: maybe a finalizer's
        assert await waiter.with_(PROMPT) is True and len(calls) == 1

    asyncio.run(main())


# -- wake-ups from other threads -------------------------------------------------


def test_fan_out_from_a_thread_is_batched_and_in_order():
    n = 1000

    async def main():
        loop = asyncio.get_running_loop()
        calls = count_threadsafe_calls(loop)
        event = aiologic.Event()
        resumed = []

        async def wait(i):
            assert await event.with_(timeout=10) is True
            resumed.append(i)

        tasks = [asyncio.ensure_future(wait(i)) for i in range(n)]
        while event.waiting < n:
            await asyncio.sleep(0)
        thread = threading.Thread(target=event.set)
        thread.start()
        await asyncio.wait_for(asyncio.gather(*tasks), 10)
        thread.join()
        assert resumed == list(range(n))
        assert len(calls) < n // 10  # one per batch, not one per task

    asyncio.run(main())


def test_fan_out_from_a_thread_wakes_the_loop_once():
    """The thread-safe call is made at the end of the fan-out: the loop wakes
    once and finds every wake-up, instead of taking the GIL from the waker
    after the first one."""
    n = 200

    async def main():
        loop = asyncio.get_running_loop()
        event = aiologic.Event()
        tasks = [asyncio.ensure_future(event.with_(timeout=10)) for _ in range(n)]
        while event.waiting < n:
            await asyncio.sleep(0)
        calls = count_threadsafe_calls(loop)
        thread = threading.Thread(target=event.set)
        thread.start()
        assert await asyncio.wait_for(asyncio.gather(*tasks), 10) == [True] * n
        thread.join()
        assert len(calls) == 1

    asyncio.run(main())


def test_a_local_wake_does_not_overtake_a_queued_one():
    async def main():
        loop = asyncio.get_running_loop()
        resumed = []
        waiters = []

        async def wait(name):
            waiter = create_async_waiter()
            waiters.append(waiter)
            assert await waiter.with_(10) is True
            resumed.append(name)

        tasks = [asyncio.ensure_future(wait(name)) for name in "ab"]
        await asyncio.sleep(0)
        first, second = waiters
        loop.call_soon(first.wake)  # queued for a drain
        await asyncio.sleep(0)  # runs the callback, then this task again
        second.wake()  # from a task, with `first` still queued
        await asyncio.gather(*tasks)
        assert resumed == ["a", "b"]

    asyncio.run(main())


def wake_from_threads(n, threads, rounds):
    async def main():
        loop = asyncio.get_running_loop()
        for _ in range(rounds):
            waiters = [create_async_waiter() for _ in range(n)]
            tasks = [asyncio.ensure_future(waiter.with_(10)) for waiter in waiters]
            await asyncio.sleep(0)
            # some of them also from the loop: a task and a plain callback
            waiters[0].wake()
            loop.call_soon(waiters[1].wake)
            workers = [
                threading.Thread(target=lambda part: [w.wake() for w in part], args=(waiters[i::threads],))
                for i in range(threads)
            ]
            for worker in workers:
                worker.start()
            assert await asyncio.wait_for(asyncio.gather(*tasks), 10) == [True] * n
            for worker in workers:
                worker.join()
        await asyncio.sleep(0)  # a drain that a late wake-up scheduled
        pending, idle = loop._aiologic_wakeups
        assert not pending and idle == [None]  # every drain ran and ended

    asyncio.run(main())


def test_wakes_from_several_threads_all_arrive():
    wake_from_threads(400, 4, rounds=1)


@pytest.mark.stress
def test_wakes_from_several_threads_all_arrive_under_pressure():
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        wake_from_threads(200, 3, rounds=20)
    finally:
        sys.setswitchinterval(old)


def test_a_loop_that_takes_no_attributes_is_woken_one_by_one():
    class StrictLoop(asyncio.SelectorEventLoop):
        def __setattr__(self, name, value):
            if name.startswith("_aiologic"):
                raise AttributeError(name)
            super().__setattr__(name, value)

    async def main():
        calls = count_threadsafe_calls(asyncio.get_running_loop())
        event = aiologic.Event()
        tasks = [asyncio.ensure_future(event.with_(10)) for _ in range(10)]
        while event.waiting < 10:
            await asyncio.sleep(0)
        thread = threading.Thread(target=event.set)
        thread.start()
        assert await asyncio.wait_for(asyncio.gather(*tasks), 10) == [True] * 10
        thread.join()
        assert len(calls) == 10

    loop = StrictLoop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


# -- closed loops ------------------------------------------------------------------


def make_waiter(loop):
    async def make():
        return create_async_waiter()

    return loop.run_until_complete(make())


def test_wake_after_the_loop_closed_is_dropped():
    loop = asyncio.new_event_loop()
    waiter = make_waiter(loop)
    loop.close()
    waiter.wake()
    thread = threading.Thread(target=waiter.wake)
    thread.start()
    thread.join()
    waiter.wake()
    pending, idle = loop._aiologic_wakeups
    assert not pending and idle == [None]  # nothing kept, nothing scheduled


def test_a_closed_loop_is_not_kept_alive():
    loop = asyncio.new_event_loop()
    waiter = make_waiter(loop)
    thread = threading.Thread(target=waiter.wake)  # a drain left scheduled
    thread.start()
    thread.join()
    loop.close()
    ref = weakref.ref(loop)
    del loop, waiter
    for _ in range(3):  # PyPy frees objects with finalizers in later passes
        gc.collect()
    assert ref() is None


# -- timeouts, cancellation, shielding, size -----------------------------------


def test_timeout_never_early_even_if_the_loop_runs_timers_early():
    async def main():
        loop = asyncio.get_running_loop()
        loop._clock_resolution = 0.05  # the loop runs timers up to 50 ms early
        for timeout in (0.001, 0.03):
            start = time.monotonic()
            assert await create_async_waiter().with_(timeout) is False
            assert time.monotonic() - start >= timeout

    asyncio.run(main())


@pytest.mark.parametrize("timeout", [None, 10])
def test_cancelled_wait_then_wake_from_a_thread(timeout):
    async def main():
        loop = asyncio.get_running_loop()
        errors = []
        loop.set_exception_handler(lambda loop, context: errors.append(context))
        waiter = create_async_waiter()
        task = asyncio.ensure_future(waiter.with_(timeout))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        if timeout is not None:
            assert waiter._timer.cancelled()
        thread = threading.Thread(target=waiter.wake)
        thread.start()
        thread.join()
        await asyncio.sleep(0.01)
        assert errors == []

    asyncio.run(main())


def test_shielded_wait_woken_from_a_thread_then_cancelled():
    async def main():
        waiter = create_async_waiter(shield=True)
        task = asyncio.ensure_future(waiter.with_(0.001))
        await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.sleep(0.01)
        assert not task.done()  # the timeout and the cancellation wait
        thread = threading.Thread(target=waiter.wake)
        thread.start()
        thread.join()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)

    asyncio.run(main())


def test_wake_before_the_wait_and_twice():
    async def main():
        waiter = create_async_waiter()
        waiter.wake()
        waiter.wake()
        assert await waiter is True
        assert await create_async_waiter().with_(0) is False
        waiter = create_async_waiter()
        waiter.wake()
        assert await waiter.with_(0) is True

    asyncio.run(main())


def test_waiter_has_no_dict():
    async def main():
        waiter = create_async_waiter()
        assert isinstance(waiter, AsyncioWaiter) and not hasattr(waiter, "__dict__")

    asyncio.run(main())


# -- the task probe ---------------------------------------------------------------


def test_task_identity_with_loops_in_turn_in_two_threads():
    """The probe behind the hot paths remembers the last loop it found
    running (before Python 3.12): loops of two threads probing in turns, and
    a thread running a second loop after its first, still get their own
    task's identity."""
    from aiologic.lowlevel import current_async_task_ident

    barrier = threading.Barrier(2, timeout=10)
    seen = []

    async def probe_in_turns():
        for _ in range(5):
            barrier.wait()  # blocks the loop: only the probes matter here
            seen.append((current_async_task_ident(), ("asyncio", id(asyncio.current_task()))))

    def run_two_loops():
        asyncio.run(probe_in_turns())
        asyncio.run(probe_in_turns())  # a new loop in the same thread

    threads = [threading.Thread(target=run_two_loops) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(seen) == 20
    assert all(probed == actual for probed, actual in seen)


def test_a_loop_remembered_by_the_task_probe_is_not_kept_alive():
    from aiologic.lowlevel import current_async_task_ident

    loop = asyncio.new_event_loop()

    async def main():
        return current_async_task_ident()

    assert loop.run_until_complete(main())[0] == "asyncio"
    loop.close()
    ref = weakref.ref(loop)
    del loop
    for _ in range(3):
        gc.collect()
    assert ref() is None


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_has_no_running_task():
    """In a child forked by a task, asyncio says that no loop runs (the loop
    is the parent's): the hot paths' task probe must agree, not answer with
    the parent's task."""
    lock = aiologic.Lock()

    async def main():
        await lock.async_acquire()  # the probe remembers this loop
        assert lock.async_owned()
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report, then leave at once
            try:
                answer = b"owner" if lock.async_owned() else b"not owner"
            except RuntimeError:
                # AsyncLibraryNotFoundError; or, with trio-asyncio imported
                # (its running-loop function does not check the process),
                # "no asyncio task is running"
                answer = b"no task"
            except BaseException as exc:
                answer = repr(exc).encode()[:200]
            os.write(write, answer)
            os._exit(0)
        os.close(write)
        try:
            answer = os.read(read, 256)
        finally:
            os.close(read)
            os.waitpid(pid, 0)
        lock.async_release()
        return answer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads
        assert asyncio.run(main()) == b"no task"
