"""The wake-versus-cancel race: a hand-off that meets a cancellation or a
timeout is passed on, never lost (API.md 2.4, DESIGN.md "The waiter
protocol")."""

from __future__ import annotations

import asyncio
import random
import sys
import threading

import pytest

import aiologic
from worlds import run_in_threads


@pytest.fixture
def pressure():
    """Switch threads as often as CPython allows, to provoke races."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def test_woken_then_cancelled_passes_lock_on():
    # Deterministic: release() hands the lock to A and resolves its future,
    # then A is cancelled before it runs. A must pass the lock on to B.
    async def main():
        lock = aiologic.Lock()
        await lock.async_acquire()
        a = asyncio.ensure_future(lock.async_acquire())
        b = asyncio.ensure_future(lock.async_acquire())
        await asyncio.sleep(0.01)
        assert lock.waiting == 2
        lock.async_release()
        a.cancel()
        with pytest.raises(asyncio.CancelledError):
            await a
        assert await b is True
        assert lock.owner == ("asyncio", id(b))
        assert lock.waiting == 0

    asyncio.run(main())


def test_woken_then_cancelled_passes_permit_on():
    async def main():
        sem = aiologic.Semaphore(0)
        a = asyncio.ensure_future(sem.async_acquire())
        await asyncio.sleep(0.01)
        sem.release()
        a.cancel()
        with pytest.raises(asyncio.CancelledError):
            await a
        assert sem.value == 1 and sem.waiting == 0  # the permit came back

    asyncio.run(main())


def test_woken_then_timed_out_counts_as_success():
    # A timeout that fires after the hand-off: the call succeeds.
    lock = aiologic.Lock()
    lock.green_acquire()
    result = []
    thread = threading.Thread(target=lambda: result.append(lock.green_acquire(timeout=0.2)))
    thread.start()
    while lock.waiting != 1:
        pass
    lock.green_release()
    thread.join()
    assert result == [True]


@pytest.mark.stress
def test_semaphore_permits_accounted(pressure):
    """Threads release permits while asyncio tasks acquire with random
    timeouts and cancellations: every permit ends up taken or available."""
    sem = aiologic.Semaphore(0)
    permits = 400
    taken = []
    rng = random.Random(42)
    delays = [rng.choice([0.0, 0.0001, 0.001, None]) for _ in range(600)]

    async def acquirers(w):
        async def one(delay):
            try:
                if delay is None:
                    task = asyncio.ensure_future(sem.async_acquire())
                    await asyncio.sleep(0)
                    task.cancel()
                    ok = await task
                else:
                    ok = await sem.async_acquire(timeout=delay)
            except asyncio.CancelledError:
                return
            if ok:
                taken.append(1)

        await asyncio.gather(*(one(delay) for delay in delays))

    async def releaser(w):
        for _ in range(permits):
            sem.release()
            if rng.random() < 0.3:
                await w.sleep(0)

    run_in_threads(("asyncio", acquirers), ("threading", releaser))
    assert sem.waiting == 0
    assert len(taken) + sem.value == permits


@pytest.mark.stress
def test_lock_never_stuck(pressure):
    """Contenders in threads and in a loop, with short timeouts: mutual
    exclusion holds and the lock ends free."""
    lock = aiologic.Lock()
    state = {"inside": 0, "count": 0}

    async def contenders(w):
        async def one(w):
            for _ in range(100):
                if await w.acquire(lock, timeout=0.0005):
                    state["inside"] += 1
                    assert state["inside"] == 1
                    state["inside"] -= 1
                    state["count"] += 1
                    w.release(lock)

        handles = [await w.spawn(one) for _ in range(4)]
        for handle in handles:
            await handle.join()

    run_in_threads(("asyncio", contenders), ("threading", contenders), ("asyncio", contenders))
    assert not lock.locked() and lock.waiting == 0 and lock.owner is None
    assert state["inside"] == 0 and state["count"] > 0
