"""Regressions found in review: each test failed before its fix."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import aiologic
from aiologic.lowlevel._events import _GreenEvent


def run(code):
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


@pytest.mark.stress
@pytest.mark.parametrize("make", [lambda: aiologic.BoundedSemaphore(1), aiologic.Lock, aiologic.Semaphore])
def test_handoff_bookkeeping_under_pressure(make):
    # BoundedSemaphore once appended its slot after set(): the woken waiter
    # could release before, and got "released too many times".
    primitive = make()
    errors = []
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)

    def worker():
        try:
            for _ in range(3000):
                with primitive:
                    pass
        except BaseException as exc:
            errors.append(exc)

    try:
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        sys.setswitchinterval(old)
    assert not errors and not any(thread.is_alive() for thread in threads)
    assert primitive.waiting == 0
    assert getattr(primitive, "value", 1) == 1 and not getattr(primitive, "locked", lambda: False)()


def test_wait_failing_before_it_starts_hands_out_nothing():
    # A wait that raised before suspending (here: gevent imported without
    # its backend) used to pass on a permit it never received.
    out = run(
        """
        import sys, types, threading, asyncio, time
        import aiologic
        sem = aiologic.BoundedSemaphore(1)
        sem.green_acquire()
        got = []
        def loop():
            async def main():
                got.append(await sem.async_acquire(timeout=1))
            asyncio.run(main())
        thread = threading.Thread(target=loop)
        thread.start()
        while not sem.waiting:
            time.sleep(0.001)
        sys.modules["greenlet"] = types.ModuleType("greenlet")
        sys.modules["gevent"] = types.ModuleType("gevent")
        try:
            sem.green_acquire(timeout=1)
        except RuntimeError as exc:
            assert "aiologic-greenlet" in str(exc)
        del sys.modules["gevent"], sys.modules["greenlet"]
        thread.join()
        print(got, sem.value, sem.waiting)
        """
    )
    assert out == "[False] 0 0"  # nobody got a permit that was never released


@pytest.mark.parametrize("face", ["green", "async"])
def test_exit_after_manual_release_raises(face):
    lock = aiologic.Lock()
    if face == "green":
        with pytest.raises(RuntimeError, match="release unlocked lock"):
            with lock:
                lock.green_release()
    else:

        async def main():
            with pytest.raises(RuntimeError, match="release unlocked lock"):
                async with lock:
                    lock.async_release()

        asyncio.run(main())
    assert lock._tokens == [None]  # one token, not two
    assert lock.green_acquire(blocking=False) and not lock.green_acquire.__self__._tokens


def test_first_use_from_many_loops_at_once():
    # Threads that detect asyncio while another thread is loading its backend
    # got AsyncLibraryNotFoundError (or a KeyError).
    out = run(
        """
        import asyncio, threading
        import aiologic
        lock = aiologic.Lock()
        errors = []
        def main():
            async def body():
                async with lock:
                    pass
            try:
                asyncio.run(body())
            except BaseException as exc:
                errors.append(repr(exc))
        threads = [threading.Thread(target=main) for _ in range(8)]
        for thread in threads: thread.start()
        for thread in threads: thread.join()
        print(errors)
        """
    )
    assert out == "[]"


def test_imported_library_without_backend_does_not_hide_the_running_one():
    out = run(
        """
        import sys, types, asyncio
        sys.modules["curio"] = types.ModuleType("curio")  # imported, not running, no backend
        import aiologic
        from aiologic.lowlevel import current_async_library
        async def main():
            async with aiologic.Lock():
                pass
            return current_async_library()
        print(asyncio.run(main()), current_async_library(failsafe=True))
        try:
            current_async_library()
        except RuntimeError as exc:
            print("aiologic-curio" in str(exc))
        """
    )
    assert out.splitlines() == ["asyncio None", "True"]


def test_checkpoint_environment_before_backend_loads():
    env = dict(os.environ, AIOLOGIC_ASYNCIO_CHECKPOINTS="1")
    code = textwrap.dedent(
        """
        import asyncio
        import aiologic
        async def main():
            sem = aiologic.Semaphore(1)
            asyncio.current_task().cancel()
            try:
                await sem.async_acquire()  # the first aiologic call of the process
            except asyncio.CancelledError:
                return sem.value
            return "not a checkpoint"
        print(asyncio.run(main()))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert result.stdout.strip() == "1", result.stderr


def test_event_set_wakes_everyone_even_if_one_wake_fails():
    event = aiologic.Event()
    results = []
    threads = [threading.Thread(target=lambda: results.append(event.wait(10))) for _ in range(3)]
    for thread in threads:
        thread.start()
    while event.waiting < 3:
        time.sleep(0.001)

    class BrokenWaiter:
        def wake(self):
            raise KeyError("broken waiter")

    # a parked event whose backend waiter fails, second in line, between
    # real waiters
    broken = _GreenEvent()
    broken._waiter = BrokenWaiter()
    parked = event._generation.waiters[0]._parked
    entries = list(parked.items())
    parked.clear()
    parked[entries[0][0]] = entries[0][1]
    parked[broken] = None
    for key, payload in entries[1:]:
        parked[key] = payload
    with pytest.raises(KeyError):
        event.set()
    for thread in threads:
        thread.join(10)
    assert results == [True, True, True]


def test_event_await_is_a_generator():
    import types

    assert isinstance(aiologic.Event().__await__(), types.GeneratorType)


def test_release_counts_must_be_integers():
    with pytest.raises(TypeError):
        aiologic.Semaphore(1).release(1.0)
    with pytest.raises(TypeError):
        aiologic.BoundedSemaphore(1, 2).release(1.0)
    assert aiologic.BoundedSemaphore.release.__qualname__ == "BoundedSemaphore.release"
    sem = aiologic.BoundedBinarySemaphore(0, 1)
    sem.release()
    with pytest.raises(RuntimeError, match="semaphore released too many times"):
        sem.release()  # the bounded check applies through BinarySemaphore.release


# -- the foundation's second pass ----------------------------------------------


def test_a_waiter_that_gave_up_never_believes_it_owns_the_lock():
    """A release grants the lock to waiter W, W times out at that moment, and
    the releaser moves the grant on to X. W, reading the lock's ownership
    while that happens, must not find itself the owner. The interleaving is
    forced: the releaser pauses right after naming W, and W pauses between
    its first and second step of the ownership check (a line-level trace)."""

    granted_w = threading.Event()
    go_on = threading.Event()
    w_reading = threading.Event()
    w_may_finish = threading.Event()
    idents = {}

    class Probe(aiologic.Lock):
        __slots__ = ()

        def _granting(self, event, key):
            super()._granting(event, key)
            # the waiter's key: a plain thread's is its thread identifier
            if key == idents.get("w"):
                granted_w.set()
                assert go_on.wait(10)

    lock = Probe()
    holding = threading.Event()
    release_now = threading.Event()

    def holder():
        lock.green_acquire()
        holding.set()
        assert release_now.wait(10)
        lock.green_release()

    releaser = threading.Thread(target=holder)
    releaser.start()
    assert holding.wait(10)
    result = {}

    def tracer(frame, event, arg):
        if frame.f_code.co_name != "_owns":
            return None
        lines = [0]

        def local(frame, event, arg):
            if event == "line":
                lines[0] += 1
                if lines[0] == 2:  # the first read is done
                    w_reading.set()
                    assert w_may_finish.wait(10)
            return local

        return local

    def w():
        idents["w"] = threading.get_ident()
        result["acquired"] = lock.green_acquire(timeout=0.2)
        # the grant to W is still pending: W gave up, so it must not own
        sys.settrace(tracer)
        try:
            result["owned"] = lock.green_owned()
        finally:
            sys.settrace(None)

    def x():
        result["x"] = lock.green_acquire(timeout=10)
        result["x_owned"] = lock.green_owned()
        lock.green_release()

    w_thread = threading.Thread(target=w)
    w_thread.start()
    while lock.waiting < 1:
        time.sleep(0.001)
    x_thread = threading.Thread(target=x)
    x_thread.start()
    while lock.waiting < 2:
        time.sleep(0.001)
    release_now.set()
    assert granted_w.wait(10)  # the releaser named W and is paused
    assert w_reading.wait(10)  # W timed out, gave up, and is reading
    go_on.set()  # the releaser finds W gone and grants X
    releaser.join(10)
    w_may_finish.set()
    w_thread.join(10)
    x_thread.join(10)
    assert result == {"acquired": False, "owned": False, "x": True, "x_owned": True}
    assert not lock.locked()


@pytest.mark.parametrize("face", ["green", "async"])
def test_leaving_with_after_another_task_took_the_lock_raises(face):
    """The block released the lock and another task acquired it: leaving the
    block must raise, and the other task keeps the lock."""
    lock = aiologic.Lock()
    other = {}

    def take_from_another_thread():
        def target():
            lock.green_acquire()
            other["ident"] = threading.get_ident()

        thread = threading.Thread(target=target)
        thread.start()
        thread.join(10)

    if face == "green":
        with pytest.raises(RuntimeError, match="not holding"):
            with lock:
                lock.green_release()
                take_from_another_thread()
    else:

        async def main():
            with pytest.raises(RuntimeError, match="not holding"):
                async with lock:
                    lock.async_release()
                    take_from_another_thread()

        asyncio.run(main())
    assert lock.locked() and lock.owner == ("threading", other["ident"])


def test_leaving_with_on_a_lock_released_inside_raises_unlocked():
    lock = aiologic.Lock()
    with pytest.raises(RuntimeError, match="release unlocked lock"):
        with lock:
            lock.green_release()
    assert not lock.locked() and lock.owner is None


def test_huge_semaphore_counts_take_constant_memory_and_time():
    for value in (10**7, 10**9, 2**63):
        if sys.implementation.name == "cpython":  # PyPy has no tracemalloc
            import tracemalloc

            tracemalloc.start()
            try:
                sem = aiologic.Semaphore(value)
                size, _ = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            assert size < 10_000, size
        else:
            sem = aiologic.Semaphore(value)
        assert sem.value == value and sem.green_acquire(blocking=False) and sem.value == value - 1
    sem = aiologic.BoundedSemaphore(2**63)
    assert sem.value == sem.max_value == 2**63
    sem.green_acquire()
    sem.release()
    with pytest.raises(RuntimeError, match="too many"):
        sem.release()
    start = time.monotonic()
    sem = aiologic.Semaphore(0)
    sem.release(10**7)
    assert sem.value == 10**7
    assert time.monotonic() - start < 1.0  # was 8 s: one list element per permit


def test_releasing_many_permits_wakes_only_the_waiters():
    sem = aiologic.Semaphore(0)
    results = []
    threads = [threading.Thread(target=lambda: results.append(sem.green_acquire(timeout=10))) for _ in range(3)]
    for thread in threads:
        thread.start()
    while sem.waiting < 3:
        time.sleep(0.001)
    sem.release(10**9)
    for thread in threads:
        thread.join(10)
    assert results == [True] * 3 and sem.value == 10**9 - 3 and sem.waiting == 0


def test_semaphore_permits_refill_from_the_integer_part():
    sem = aiologic.Semaphore(100)
    assert all(sem.green_acquire(blocking=False) for _ in range(100))
    assert not sem.green_acquire(blocking=False) and sem.value == 0
    sem.release(70)
    assert sem.value == 70
    assert all(sem.green_acquire(blocking=False) for _ in range(70))
    assert sem.value == 0
