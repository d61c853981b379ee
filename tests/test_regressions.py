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

    class Broken:
        def set(self):
            raise KeyError("broken waiter")

    event._waiters[0].insert(1, Broken())
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
