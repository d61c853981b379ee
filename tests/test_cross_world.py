"""Lock, Semaphore, Event and the queues shared by two worlds, each in its own
thread, over every ordered pair of worlds."""

from __future__ import annotations

import threading
import time

import pytest

import aiologic
from worlds import run_in_threads


async def wait_until(w, predicate, seconds=10):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await w.sleep(0.001)


async def lock_contenders(w, lock, state, rounds=20, tasks=3):
    async def contender(w):
        for _ in range(rounds):
            async with w.hold(lock):
                state["inside"] += 1
                assert state["inside"] == 1, "two holders at once"
                assert w.owned(lock)
                await w.sleep(0)
                state["inside"] -= 1
                state["count"] += 1

    handles = [await w.spawn(contender) for _ in range(tasks)]
    for handle in handles:
        await handle.join()


def test_lock_mutual_exclusion(world_a, world_b):
    lock = aiologic.Lock()
    state = {"inside": 0, "count": 0}
    run_in_threads((world_a, lock_contenders, lock, state), (world_b, lock_contenders, lock, state))
    assert state == {"inside": 0, "count": 2 * 3 * 20}
    assert not lock.locked() and lock.waiting == 0


def test_lock_timeout_and_handoff(world_a, world_b):
    lock = aiologic.Lock()
    acquired, release_now, checked = aiologic.Event(), aiologic.Event(), aiologic.Event()

    async def holder(w):
        await w.acquire(lock)
        acquired.set()
        await w.wait(release_now, 10)
        await wait_until(w, lambda: lock.waiting == 1)
        w.release(lock)
        # handed off inside release(): the other world's task owns it now
        assert lock.locked() and not w.owned(lock)
        checked.set()

    async def other(w):
        await w.wait(acquired, 10)
        start = time.monotonic()
        assert await w.acquire(lock, timeout=0.05) is False
        assert time.monotonic() - start >= 0.05
        assert lock.waiting == 0
        release_now.set()
        assert await w.acquire(lock, timeout=10) is True
        assert lock.owner[0] == w.library and w.owned(lock)
        assert await w.wait(checked, 10)
        w.release(lock)

    run_in_threads((world_a, holder), (world_b, other))
    assert not lock.locked()


def test_semaphore_bound(world_a, world_b):
    sem = aiologic.Semaphore(2)
    state = {"inside": 0, "peak": 0, "count": 0}
    books = threading.Lock()  # two holders at once: their bookkeeping needs a lock

    async def users(w):
        async def user(w):
            for _ in range(10):
                async with w.hold(sem):
                    with books:
                        state["inside"] += 1
                        state["peak"] = max(state["peak"], state["inside"])
                    await w.sleep(0)
                    with books:
                        state["inside"] -= 1
                        state["count"] += 1

        handles = [await w.spawn(user) for _ in range(3)]
        for handle in handles:
            await handle.join()

    run_in_threads((world_a, users), (world_b, users))
    assert state["count"] == 60 and state["inside"] == 0 and 1 <= state["peak"] <= 2
    assert sem.value == 2 and sem.waiting == 0


def test_semaphore_release_from_other_world(world_a, world_b):
    sem = aiologic.Semaphore(0)

    async def takers(w):
        handles = [await w.spawn(lambda w: w.acquire(sem, timeout=10)) for _ in range(3)]
        return [await handle.join() for handle in handles]

    async def giver(w):
        await wait_until(w, lambda: sem.waiting == 3)
        sem.release(3)

    results = run_in_threads((world_a, takers), (world_b, giver))
    assert results[0] == [True, True, True] and sem.value == 0


def test_event(world_a, world_b):
    event = aiologic.Event()

    async def waiters(w):
        handles = [await w.spawn(lambda w: w.wait(event, 10)) for _ in range(3)]
        return [await handle.join() for handle in handles]

    async def setter(w):
        await wait_until(w, lambda: event.waiting == 3)
        event.set()

    results = run_in_threads((world_a, waiters), (world_b, setter))
    assert results[0] == [True, True, True] and event.waiting == 0


# -- queues ------------------------------------------------------------------


async def queue_get(w, queue, **kwargs):
    if w.is_async:
        return await queue.async_get(**kwargs)
    return queue.green_get(**kwargs)


async def queue_put(w, queue, item, **kwargs):
    if w.is_async:
        return await queue.async_put(item, **kwargs)
    return queue.green_put(item, **kwargs)


def test_bounded_queue_in_order(world_a, world_b):
    """One producer, one consumer, a queue smaller than the stream: every
    item once, in order, and never more than maxsize items inside."""
    queue = aiologic.Queue(maxsize=4)
    count = 300

    async def producer(w):
        for i in range(count):
            await queue_put(w, queue, i, timeout=10)
            assert len(queue) <= 4

    async def consumer(w):
        return [await queue_get(w, queue, timeout=10) for _ in range(count)]

    results = run_in_threads((world_a, producer), (world_b, consumer))
    assert results[1] == list(range(count))
    assert len(queue) == 0 and queue.waiting == 0


def test_simple_queue_getters_fifo(world_a, world_b):
    """Getters blocked in one world are served first-in, first-out by puts
    from the other."""
    queue = aiologic.SimpleQueue()
    started = aiologic.Event()

    async def getters(w):
        async def getter(w):
            return await queue_get(w, queue, timeout=10)

        handles = []
        for index in range(3):
            handles.append(await w.spawn(getter))
            await wait_until(w, lambda: queue.getting == index + 1)
        started.set()
        return [await handle.join() for handle in handles]

    async def putter(w):
        assert await w.wait(started, 10)
        for item in "abc":
            await queue_put(w, queue, item)

    results = run_in_threads((world_a, getters), (world_b, putter))
    assert results[0] == ["a", "b", "c"] and queue.waiting == 0


def test_queue_timeout_then_handoff(world_a, world_b):
    queue = aiologic.LifoQueue(maxsize=1)
    timed_out = aiologic.Event()

    async def getter(w):
        start = time.monotonic()
        try:
            await queue_get(w, queue, timeout=0.05)
        except aiologic.QueueEmpty:
            assert time.monotonic() - start >= 0.05
        assert queue.getting == 0
        timed_out.set()
        return await queue_get(w, queue, timeout=10)

    async def putter(w):
        assert await w.wait(timed_out, 10)
        await wait_until(w, lambda: queue.getting == 1)
        await queue_put(w, queue, "x")
        await queue_put(w, queue, "y", timeout=10)  # the getter made room
        with pytest.raises(aiologic.QueueFull):
            await queue_put(w, queue, "z", blocking=False)

    results = run_in_threads((world_a, getter), (world_b, putter))
    assert results[0] == "x" and list(queue.statistics())[:2] == [1, 1]
