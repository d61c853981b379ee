"""The gevent and eventlet backends beyond the conformance suite: detection,
the hub greenlet, stale loop clocks, keeping the loop alive, shielding, the
second half of a checkpoint, and the eventlet pipe's lifetime. Every hub
runs in a thread of its own (no monkey-patching)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import threading
import time
import weakref
from typing import Any, Callable, Dict, List

import pytest

import aiologic
from aiologic.backends import get_backend
from aiologic.lowlevel import create_green_waiter, current_green_library, current_green_task, current_green_token
from aiologic_testing.worlds import available_worlds, make_world

GREEN = [name for name in ("gevent", "eventlet") if name in available_worlds()]

pytestmark = pytest.mark.skipif(not GREEN, reason="gevent and eventlet are not installed (no wheels here)")


def in_hub_thread(library: str, function: Callable[[], Any]) -> Any:
    """`function()` in a new thread whose hub of `library` exists, from its
    main greenlet; its result, or its error re-raised here."""

    async def body(w: Any) -> Any:
        return function()

    return make_world(library).run(body)


def hub_of(library: str) -> Any:
    if library == "gevent":
        import gevent

        return gevent.get_hub()
    import eventlet.hubs

    return eventlet.hubs.get_hub()


def run_in_hub(library: str, function: Callable[[], None]) -> None:
    """Schedule `function` as a callback of the current thread's hub."""
    hub = hub_of(library)
    if library == "gevent":
        hub.loop.run_callback(function)
    else:
        hub.schedule_call_global(0, function)


def sleep(library: str, seconds: float) -> None:
    if library == "gevent":
        import gevent

        gevent.sleep(seconds)
    else:
        import eventlet

        eventlet.sleep(seconds)


@pytest.mark.parametrize("library", GREEN)
def test_detection_needs_a_hub_in_this_thread(library: str) -> None:
    """A plain thread of a process that imported the library is threading
    (and detection creates no hub); a thread whose hub exists, not yet
    running, is the library's, in its main greenlet."""
    assert current_green_library() == "threading"
    assert current_green_task() is threading.current_thread()

    def before_and_after() -> Any:
        from greenlet import getcurrent

        hub = hub_of(library)
        return current_green_library(), current_green_task() is getcurrent(), current_green_token() is hub

    assert in_hub_thread(library, before_and_after) == (library, True, True)
    found: List[Any] = []
    thread = threading.Thread(target=lambda: found.append(current_green_library()))
    thread.start()
    thread.join()
    assert found == ["threading"]


def test_gevent_wins_when_both_hubs_exist() -> None:
    if GREEN != ["gevent", "eventlet"]:
        pytest.skip("needs both gevent and eventlet")

    def both() -> str:
        hub_of("eventlet")
        return str(current_green_library())

    assert in_hub_thread("gevent", both) == "gevent"


@pytest.mark.parametrize("library", GREEN)
def test_blocking_from_the_hub_greenlet_raises(library: str) -> None:
    """The hub greenlet cannot block: a green wait made from a callback of
    the loop raises RuntimeError; a call that need not wait succeeds."""

    def body() -> Dict[str, Any]:
        lock = aiologic.Lock()
        box: Dict[str, Any] = {}

        def callback() -> None:
            box["library"] = current_green_library()
            box["free"] = aiologic.Semaphore(1).green_acquire()
            try:
                lock.green_acquire()
            except RuntimeError as exc:
                box["error"] = str(exc)
            try:
                create_green_waiter()
            except RuntimeError:
                box["waiter"] = "refused"

        lock.green_acquire()
        run_in_hub(library, callback)
        sleep(library, 0.01)
        box["waiting"] = lock.waiting
        lock.green_release()
        return box

    box = in_hub_thread(library, body)
    assert box["library"] == library and box["free"] is True
    assert "hub" in box["error"] and box["waiter"] == "refused" and box["waiting"] == 0


@pytest.mark.parametrize("library", GREEN)
def test_timeouts_use_fresh_time_after_a_stale_loop_clock(library: str) -> None:
    """The thread is blocked for real for 0.2 s (the loop's clock stays
    behind); a timeout of 0.05 s set right after still lasts 0.05 s."""
    real_sleep = time.sleep  # not patched here

    def body() -> List[float]:
        semaphore, event = aiologic.Semaphore(0), aiologic.Event()
        sleep(library, 0.001)  # the loop has run once: its clock is set
        elapsed = []
        for wait in (lambda: semaphore.green_acquire(timeout=0.05), lambda: event.wait(0.05)):
            real_sleep(0.2)
            start = time.monotonic()
            assert wait() is False
            elapsed.append(time.monotonic() - start)
        real_sleep(0.2)
        start = time.monotonic()
        get_backend(library).sleep(0.05)
        elapsed.append(time.monotonic() - start)
        return elapsed

    for elapsed in in_hub_thread(library, body):
        assert 0.05 <= elapsed < 0.05 + 2


@pytest.mark.parametrize("library", GREEN)
def test_main_greenlet_waits_for_another_thread(library: str) -> None:
    """The thread's main greenlet waits with no timeout and nothing else
    scheduled, for a wake-up from another thread: the loop must not decide
    that it would block forever (gevent's LoopExit)."""

    def body() -> bool:
        semaphore = aiologic.Semaphore(0)
        timer = threading.Timer(0.05, semaphore.release)
        timer.start()
        try:
            return semaphore.green_acquire()
        finally:
            timer.join()

    assert in_hub_thread(library, body) is True


@pytest.mark.parametrize("library", GREEN)
def test_shield_completes_the_call_then_raises(library: str) -> None:
    """`Backend.shield(f)` runs `f` to the end although the caller is
    killed meanwhile, then raises the kill; without a kill it returns f's
    result."""
    from greenlet import GreenletExit

    def body() -> Dict[str, Any]:
        backend = get_backend(library)
        done: List[int] = []

        def work(value: int) -> int:
            sleep(library, 0.05)
            done.append(value)
            return value

        box: Dict[str, Any] = {"plain": backend.shield(work)(1)}

        def caller() -> None:
            try:
                box["result"] = backend.shield(work)(2)
            except GreenletExit:
                box["killed after"] = list(done)

        if library == "gevent":
            import gevent

            glet = gevent.spawn(caller)
            gevent.sleep(0.01)
            glet.kill(block=True)
        else:
            import eventlet

            thread = eventlet.spawn(caller)
            eventlet.sleep(0.01)
            thread.kill()
            thread.wait()
        return box

    box = in_hub_thread(library, body)
    assert box == {"plain": 1, "killed after": [1, 2]}


@pytest.mark.parametrize("library", GREEN)
def test_checkpoint_after_never_raises_and_keeps_the_kill(library: str) -> None:
    """The second half of a checkpoint comes after the action: a kill that
    arrives during it does not come out of it, but at the next switch."""
    from greenlet import GreenletExit

    def body() -> List[str]:
        backend = get_backend(library)
        log: List[str] = []

        def victim() -> None:
            try:
                backend.checkpoint_after()
                log.append("after")
                sleep(library, 1)
                log.append("slept")
            except GreenletExit:
                log.append("killed")

        if library == "gevent":
            import gevent

            glet = gevent.spawn(victim)
            gevent.sleep(0)  # the victim is now in checkpoint_after
            glet.kill(block=False)
            glet.join(5)
        else:
            import eventlet

            thread = eventlet.spawn(victim)
            eventlet.sleep(0)
            thread.kill()
            thread.wait()
        return log

    assert in_hub_thread(library, body) == ["after", "killed"]


@pytest.mark.parametrize("library", GREEN)
def test_checkpoints_from_the_environment(library: str) -> None:
    """AIOLOGIC_<LIBRARY>_CHECKPOINTS turns checkpoints on: an uncontended
    `with lock` then yields to the other greenlets."""
    code = f"""
        import aiologic, threading
        from aiologic_testing.worlds import make_world

        log = []

        async def body(w):
            lock = aiologic.Lock()
            async def loop(w, name):
                for _ in range(3):
                    with lock:
                        log.append(name)
            handles = [await w.spawn(loop, "a"), await w.spawn(loop, "b")]
            for handle in handles:
                await handle.join()

        make_world({library!r}).run(body)
        print("".join(log))
    """
    env = dict(os.environ, **{f"AIOLOGIC_{library.upper()}_CHECKPOINTS": "1"})
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() != "aaabbb", result.stdout  # interleaved
    assert sorted(result.stdout.strip()) == list("aaabbb")


def test_eventlet_wake_up_pipes_are_closed_with_their_hubs() -> None:
    """Each eventlet hub's wake-up pipe is closed once the hub and its
    waiters are gone: running many hubs does not leak descriptors. (Older
    eventlet and greenlet releases keep a finished thread's hub alive, with
    its own epoll descriptor; its pipe then lives as long as it.)"""
    if "eventlet" not in GREEN:
        pytest.skip("needs eventlet")
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc to count descriptors")

    def one_hub() -> Any:
        waiter = create_green_waiter()
        threading.Thread(target=waiter.wake).start()
        assert waiter.wait(10) is True
        return weakref.ref(hub_of("eventlet"))

    in_hub_thread("eventlet", one_hub)
    gc.collect()
    before = len(os.listdir("/proc/self/fd"))
    hubs = [in_hub_thread("eventlet", one_hub) for _ in range(20)]
    gc.collect()
    alive = sum(hub() is not None for hub in hubs)
    assert len(os.listdir("/proc/self/fd")) <= before + 2 + 3 * alive


@pytest.mark.parametrize("library", ["gevent", "eventlet"])
def test_a_library_that_does_not_import_gives_a_backend_error(library: str) -> None:
    """A module named like the library that is not it (or a broken
    install): green calls raise BackendNotFoundError naming
    aiologic-greenlet, never an ImportError from inside the backend."""
    code = f"""
        import sys, types
        import aiologic
        from aiologic.backends import BackendNotFoundError
        sys.modules["greenlet"] = types.ModuleType("greenlet")
        sys.modules[{library!r}] = types.ModuleType({library!r})
        for _ in range(2):  # remembered: the same error again
            try:
                aiologic.Semaphore(0).green_acquire(timeout=0.01)
            except BackendNotFoundError as exc:
                print(type(exc).__name__, "aiologic-greenlet" in str(exc), {library!r} in str(exc))
    """
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["BackendNotFoundError True True"] * 2
