"""gevent and eventlet hubs (each in a thread of its own, no patching)
sharing primitives with other worlds; the all-pairs matrix of
test_cross_world.py and the conformance suite include them too."""

from __future__ import annotations

import threading
import time
from typing import Any, Dict, List

import pytest

import aiologic
from aiologic_testing.worlds import World, available_worlds, run_in_threads

GREEN = [name for name in ("gevent", "eventlet") if name in available_worlds()]

pytestmark = pytest.mark.skipif(not GREEN, reason="gevent and eventlet are not installed (no wheels here)")

HOLD = 0.05


@pytest.mark.parametrize("kind", ["CapacityLimiter", "Semaphore"])
@pytest.mark.parametrize("other", ["asyncio", "threading", "gevent"])
@pytest.mark.parametrize("green", GREEN)
def test_two_places_shared_by_seven_and_seven(green: str, other: str, kind: str) -> None:
    """One CapacityLimiter(2) (or Semaphore(2)) shared by 7 greenlets of a
    hub in one thread and 7 tasks (threads, greenlets of a second hub) in
    another: never more than 2 holders, and 14 holds of HOLD seconds take
    about 7 x HOLD."""
    semaphore = getattr(aiologic, kind)(2)
    books = threading.Lock()
    state = {"inside": 0, "peak": 0, "count": 0}
    ready = threading.Barrier(2)

    async def holders(w: World) -> None:
        async def holder(w: World) -> None:
            async with w.hold(semaphore):
                with books:
                    state["inside"] += 1
                    state["peak"] = max(state["peak"], state["inside"])
                await w.sleep(HOLD)
                with books:
                    state["inside"] -= 1
                    state["count"] += 1

        ready.wait(10)  # both worlds start together
        handles = [await w.spawn(holder) for _ in range(7)]
        for handle in handles:
            await handle.join()

    start = time.monotonic()
    run_in_threads((green, holders), (other, holders))
    elapsed = time.monotonic() - start
    assert state == {"inside": 0, "peak": 2, "count": 14}
    free = semaphore.available_tokens if kind == "CapacityLimiter" else semaphore.value
    assert free == 2 and semaphore.waiting == 0
    assert 7 * HOLD <= elapsed < 7 * HOLD + 1


def _count_remote_signals(green: str, monkeypatch: pytest.MonkeyPatch) -> List[int]:
    """Count the thread-safe wake-ups (system calls) sent to `green` hubs."""
    if green == "gevent":
        from aiologic_greenlet._gevent import _GeventHubState as State
    else:
        from aiologic_greenlet._eventlet import _EventletHubState as State  # type: ignore[assignment]
    calls = [0]
    signal = State.signal_remote

    def counted(self: Any) -> None:
        calls[0] += 1
        signal(self)

    monkeypatch.setattr(State, "signal_remote", counted)
    return calls


@pytest.mark.parametrize("setter", ["asyncio", "threading"])
@pytest.mark.parametrize("green", GREEN)
def test_fan_out_from_another_thread_is_batched(green: str, setter: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An Event set from another thread wakes 100 greenlets of one hub: they
    resume in the order they started waiting, and the wake-ups reach the hub
    with one system call, made when the fan-out ends."""
    event = aiologic.Event()
    resumed: List[int] = []
    signals = _count_remote_signals(green, monkeypatch)

    async def waiters(w: World) -> None:
        async def waiter(w: World, index: int) -> None:
            assert await w.wait(event, 10) is True
            resumed.append(index)

        handles = []
        for index in range(100):
            handles.append(await w.spawn(waiter, index))
            await w.sleep(0)  # each waits before the next starts
        for handle in handles:
            await handle.join()

    async def set_all(w: World) -> None:
        deadline = time.monotonic() + 10
        while event.waiting < 100:
            assert time.monotonic() < deadline, "the greenlets did not all wait"
            await w.sleep(0.001)
        signals[0] = 0
        event.set()

    run_in_threads((green, waiters), (setter, set_all))
    assert resumed == list(range(100))
    assert signals[0] == 1, f"{signals[0]} thread-safe wake-ups for 100 greenlets"


@pytest.mark.parametrize("green", GREEN)
def test_lock_passes_on_when_the_woken_greenlet_is_killed(green: str) -> None:
    """An asyncio task releases a Lock to greenlet A (first in line) of a hub
    in another thread while A is being killed: A either takes the lock and
    releases it, or passes it on; greenlet B gets it either way."""
    for _ in range(10):
        lock = aiologic.Lock()
        box: Dict[str, Any] = {}
        held, queued = threading.Event(), threading.Event()

        async def greenlets(w: World) -> None:
            assert held.wait(10)

            async def a(w: World) -> None:
                try:
                    if await w.acquire(lock):
                        box["a"] = True
                        w.release(lock)
                except w.cancelled_exception():
                    box["a"] = "cancelled"

            async def b(w: World) -> None:
                box["b"] = await w.acquire(lock, timeout=10)
                w.release(lock)

            handle_a = await w.spawn(a)
            await w.sleep(0.005)
            handle_b = await w.spawn(b)
            while lock.waiting < 2:
                await w.sleep(0.001)
            queued.set()
            await w.sleep(0.001)
            handle_a.cancel()
            await handle_a.join()
            await handle_b.join()

        async def owner(w: World) -> None:
            await w.acquire(lock)
            held.set()
            while not queued.is_set():
                await w.sleep(0.001)
            w.release(lock)  # races with the kill

        run_in_threads((green, greenlets), ("asyncio", owner))
        assert box["a"] in (True, "cancelled") and box["b"] is True, box
        assert not lock.locked() and lock.waiting == 0


@pytest.mark.parametrize("green", GREEN)
def test_no_threads_left_after_timeouts_and_kills(green: str) -> None:
    """Timed-out and killed waits start no thread and leave none behind."""
    before = threading.active_count()
    lock = aiologic.Lock()

    async def body(w: World) -> Any:
        await w.acquire(lock)

        async def timed(w: World) -> Any:
            return await w.acquire(lock, timeout=0.01)

        async def killed(w: World) -> Any:
            try:
                return await w.acquire(lock)
            except w.cancelled_exception():
                return "cancelled"

        handles = [await w.spawn(timed) for _ in range(5)] + [await w.spawn(killed) for _ in range(5)]
        await w.sleep(0.05)
        counted = threading.active_count()
        for handle in handles[5:]:
            handle.cancel()
        results = [await handle.join() for handle in handles]
        w.release(lock)
        return counted, results

    from aiologic_testing.worlds import make_world

    counted, results = make_world(green).run(body)
    assert results == [False] * 5 + ["cancelled"] * 5
    assert counted == before + 1  # the world's own hub thread, nothing else
    assert threading.active_count() == before
    assert lock.waiting == 0 and not lock.locked()
