"""`statistics()`: who owns, who waits, in which library and thread, read
while the waiters block in two worlds at once."""

from __future__ import annotations

import pickle
import threading
import time

import pytest

import aiologic
from aiologic.lowlevel import current_async_task_ident, current_green_task_ident
from aiologic.statistics import EventStatistics, LockStatistics, SemaphoreStatistics, WaiterInfo
from worlds import run_in_threads


async def wait_until(w, predicate, seconds=10):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await w.sleep(0.001)


def task_ident(w):
    return current_async_task_ident() if w.is_async else current_green_task_ident()


def me(w):
    ident = task_ident(w)
    return WaiterInfo(ident[0], ident, threading.get_ident())


def test_snapshots_when_idle():
    assert aiologic.Lock().statistics() == LockStatistics(None, 0, ())
    assert aiologic.Semaphore(3).statistics() == SemaphoreStatistics(3, None, ())
    assert aiologic.Semaphore(1, 2).statistics() == SemaphoreStatistics(1, 2, ())
    assert aiologic.BoundedBinarySemaphore().statistics() == SemaphoreStatistics(1, 1, ())
    assert aiologic.Event().statistics() == EventStatistics(False, ())
    event = aiologic.Event()
    event.set()
    assert event.statistics().is_set
    # a frozen value: fields by name, immutable, picklable
    stats = aiologic.Lock().statistics()
    assert stats.owner is None and stats.count == 0 and stats.waiting == ()
    with pytest.raises(AttributeError):
        stats.owner = ("threading", 1)  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(stats)) == stats


def test_lock_owner_and_waiter_across_worlds(world_a, world_b):
    lock = aiologic.Lock()
    held = aiologic.Event()
    seen = {}

    async def holder(w):
        await w.acquire(lock)
        seen["owner"] = task_ident(w)
        held.set()
        await wait_until(w, lambda: lock.waiting == 1)
        seen["held"] = lock.statistics()
        w.release(lock)

    async def waiter(w):
        await w.wait(held, 10)
        seen["waiter"] = me(w)
        assert await w.acquire(lock, timeout=10)
        seen["acquired"] = lock.statistics()
        w.release(lock)

    run_in_threads((world_a, holder), (world_b, waiter))
    assert seen["held"] == LockStatistics(seen["owner"], 1, (seen["waiter"],))
    assert seen["acquired"] == LockStatistics(seen["waiter"].task, 1, ())
    assert lock.statistics() == LockStatistics(None, 0, ())


def test_semaphore_and_event_waiters_oldest_first(world_a, world_b):
    """Waiters from two worlds queue in the order they came; those that left
    (a timeout) are gone from the snapshot."""
    sem, event = aiologic.Semaphore(0), aiologic.Event()
    turn = aiologic.Event()
    seen = {}

    async def acquirer(w, key):
        seen[key] = me(w)
        return await w.acquire(sem, timeout=10)

    async def first(w):
        seen["a"] = me(w)
        handle = await w.spawn(acquirer, "sem a")
        await wait_until(w, lambda: sem.waiting == 1)
        turn.set()
        assert await w.wait(event, 10)
        assert await handle.join()

    async def second(w):
        await w.wait(turn, 10)
        seen["b"] = me(w)
        assert not await w.acquire(sem, timeout=0.01)  # leaves the queue
        handle = await w.spawn(acquirer, "sem b")
        await wait_until(w, lambda: sem.waiting == 2 and event.waiting == 1)
        seen["sem"], seen["event"] = sem.statistics(), event.statistics()
        sem.release(2)
        event.set()
        assert await handle.join()

    run_in_threads((world_a, first), (world_b, second))
    assert seen["sem"] == SemaphoreStatistics(0, None, (seen["sem a"], seen["sem b"]))
    assert seen["event"] == EventStatistics(False, (seen["a"],))
    assert sem.statistics() == SemaphoreStatistics(0, None, ())
    assert event.statistics() == EventStatistics(True, ())
