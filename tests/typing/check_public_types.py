"""Checked by mypy --strict (python3 scripts/dev.py lint), not run: what
users write against the public API has the types they expect. `assert_type`
fails the check when a type is not exactly the one named; an unused
`type: ignore` is an error under --strict, so each ignore below proves that
mypy rejects that line (a misspelt method, a wrong argument)."""

from __future__ import annotations

import copy
import threading
from typing import Any, Awaitable, Callable, Coroutine, Optional, Tuple, Union

from typing_extensions import assert_type

import aiologic
from aiologic.statistics import (
    BarrierStatistics,
    CountdownEventStatistics,
    EventStatistics,
    FlagStatistics,
    LimiterStatistics,
    LockStatistics,
    QueueStatistics,
    ResourceGuardStatistics,
    SemaphoreStatistics,
)

# -- Lock and RLock ------------------------------------------------------------

lock = aiologic.Lock()
assert_type(lock, aiologic.Lock)
assert_type(lock.green_acquire(), bool)
assert_type(lock.green_acquire(blocking=False), bool)
assert_type(lock.green_acquire(timeout=1.5), bool)
assert_type(lock.locked(), bool)
assert_type(lock.owner, Optional[Tuple[str, int]])
assert_type(lock.green_owned(), bool)
assert_type(lock.async_owned(), bool)  # a plain method, not a coroutine
assert_type(lock.async_release(), None)
assert_type(lock.statistics(), LockStatistics)
assert_type(lock.waiting, int)
lock.green_acquire(False)  # type: ignore[call-arg]
lock.green_acquire(timeout="1")  # type: ignore[arg-type]
lock.acquire()  # type: ignore[attr-defined]
lock.async_acquired()  # type: ignore[attr-defined]

rlock = aiologic.RLock()
assert_type(rlock.green_acquire(3), bool)
assert_type(rlock.count, int)
assert_type(rlock.green_count(), int)
assert_type(rlock.async_count(), int)


async def use_locks() -> None:
    assert_type(await lock.async_acquire(), bool)
    assert_type(await lock.async_acquire(blocking=False, timeout=None), bool)
    pending: Coroutine[Any, Any, bool] = lock.async_acquire()
    pending.close()
    async with lock as held:
        assert_type(held, aiologic.Lock)
    with lock as same:
        assert_type(same, aiologic.Lock)
    async with rlock as reentrant:
        assert_type(reentrant, aiologic.RLock)
    assert_type(await rlock.async_acquire(2, timeout=0), bool)
    await lock.async_aquire()  # type: ignore[attr-defined]


# -- semaphores: the constructor dispatches on max_value ------------------------

assert_type(aiologic.Semaphore(2), aiologic.Semaphore)
assert_type(aiologic.Semaphore(2, 5), aiologic.BoundedSemaphore)
assert_type(aiologic.Semaphore(max_value=5), aiologic.BoundedSemaphore)
assert_type(aiologic.BinarySemaphore(), aiologic.BinarySemaphore)
assert_type(aiologic.BinarySemaphore(1, 1), aiologic.BoundedBinarySemaphore)
assert_type(aiologic.BoundedSemaphore(3), aiologic.BoundedSemaphore)
assert_type(aiologic.BoundedBinarySemaphore(), aiologic.BoundedBinarySemaphore)
semaphore = aiologic.Semaphore(2)
assert_type(semaphore.value, int)
assert_type(semaphore.initial_value, int)
assert_type(semaphore.green_acquire(timeout=0), bool)
assert_type(semaphore.statistics(), SemaphoreStatistics)
semaphore.release(2)
semaphore.release("2")  # type: ignore[arg-type]
semaphore.aquire()  # type: ignore[attr-defined]


async def use_semaphore() -> None:
    assert_type(await semaphore.async_acquire(), bool)
    async with semaphore as entered:
        assert_type(entered, aiologic.Semaphore)


# -- CapacityLimiter -------------------------------------------------------------

limiter = aiologic.CapacityLimiter(3)
assert_type(limiter.total_tokens, int)
assert_type(limiter.available_tokens, int)
assert_type(limiter.borrowed_tokens, int)
assert_type(limiter.green_borrowed(), bool)
assert_type(limiter.statistics(), LimiterStatistics)
assert_type(aiologic.RCapacityLimiter(2).green_acquire(2), bool)
aiologic.CapacityLimiter("3")  # type: ignore[arg-type]


async def use_limiter() -> None:
    assert_type(await limiter.async_acquire(timeout=1), bool)
    async with limiter:
        assert_type(limiter.async_borrowed(), bool)


# -- Condition -------------------------------------------------------------------

assert_type(aiologic.Condition(), aiologic.Condition[aiologic.RLock])
assert_type(aiologic.Condition(aiologic.Lock()), aiologic.Condition[aiologic.Lock])
assert_type(aiologic.Condition(None).lock, None)
condition = aiologic.Condition(threading.RLock())
assert_type(condition.wait(1), bool)
assert_type(condition.wait_for(lambda: 42, timeout=1), int)
assert_type(condition.notify(), int)
assert_type(condition.notify_all(), int)


async def use_condition(cv: aiologic.Condition[aiologic.Lock]) -> None:
    async with cv:
        assert_type(await cv, bool)
        assert_type(await cv.with_(0.5), bool)
        assert_type(await cv.for_(lambda: "done"), str)


# -- events ----------------------------------------------------------------------

event = aiologic.Event()
assert_type(event.is_set(), bool)
assert_type(event.wait(), bool)
assert_type(event.wait(0.1), bool)
assert_type(event.set(), None)
assert_type(event.statistics(), EventStatistics)
event.clear()  # type: ignore[attr-defined]
revent = aiologic.REvent()
revent.clear()
assert_type(revent.wait(timeout=1), bool)
countdown = aiologic.CountdownEvent(2)
countdown.up(3)
countdown.down()
assert_type(countdown.value, int)
assert_type(countdown.statistics(), CountdownEventStatistics)
countdown.down(2)  # type: ignore[call-arg]


async def use_events() -> None:
    assert_type(await event, bool)
    assert_type(await event.with_(timeout=1), bool)
    assert_type(await countdown, bool)
    waited: Awaitable[bool] = revent


# -- barriers ----------------------------------------------------------------------

latch = aiologic.Latch(2)
assert_type(latch.wait(), None)
assert_type(latch.parties, int)
assert_type(latch.broken, bool)
barrier = aiologic.Barrier(3)
assert_type(barrier.wait(timeout=1), int)
assert_type(barrier.statistics(), BarrierStatistics)
with barrier as index:
    assert_type(index, int)
aiologic.RBarrier(2).reset()
barrier.reset()  # type: ignore[attr-defined]
with latch:  # type: ignore[attr-defined]
    pass


async def use_barriers() -> None:
    assert_type(await barrier, int)
    assert_type(await latch.with_(1), None)
    async with aiologic.RBarrier(2) as place:
        assert_type(place, int)


# -- Flag[T] -------------------------------------------------------------------------

flag: aiologic.Flag[int] = aiologic.Flag()
assert_type(flag.get(), int)
assert_type(flag.get(None), Optional[int])
assert_type(flag.get("none"), Union[int, str])
assert_type(flag.get(default_factory=lambda: b""), Union[int, bytes])
assert_type(flag.set(5), bool)
assert_type(aiologic.Flag("marker"), aiologic.Flag[str])
assert_type(aiologic.Flag[bytes]().get(b""), bytes)
assert_type(flag.statistics(), FlagStatistics)
flag.set("five")  # type: ignore[arg-type]
flag.is_set()  # type: ignore[attr-defined]

# -- ResourceGuard -------------------------------------------------------------------

guard = aiologic.ResourceGuard(action="reading")
aiologic.ResourceGuard("reading")  # type: ignore[arg-type]
assert_type(guard.action, str)
assert_type(guard.statistics(), ResourceGuardStatistics)
with guard as using:
    assert_type(using, aiologic.ResourceGuard)

# -- queues ----------------------------------------------------------------------

queue: aiologic.Queue[int] = aiologic.Queue(maxsize=2)
assert_type(queue.green_get(), int)
assert_type(queue.statistics(), QueueStatistics)
assert_type(aiologic.Queue([b"x"]), aiologic.Queue[bytes])
assert_type(aiologic.SimpleQueue(["a"]).green_get(), str)
queue.green_put("1")  # type: ignore[arg-type]
assert_type(copy.copy(queue), aiologic.Queue[int])
assert_type(copy.copy(lock), aiologic.Lock)


async def use_queue() -> None:
    assert_type(await queue.async_get(), int)
    await queue.async_put(1, timeout=1)
    await queue.async_put(b"1")  # type: ignore[arg-type]


# -- synchronized keeps a function's signature ---------------------------------------


def add(a: int, b: int = 0) -> int:
    return a + b


async def fetch(key: str, *, retries: int = 1) -> bytes:
    return key.encode() * retries


class Account:
    @aiologic.synchronized
    def deposit(self, amount: int) -> int:
        return amount

    @aiologic.synchronized
    async def withdraw(self, amount: int) -> int:
        return -amount


synced_add: Callable[[int], int] = aiologic.synchronized(add)
synced_add_both: Callable[[int, int], int] = aiologic.synchronized(add)
assert_type(aiologic.synchronized(add)(1), int)
assert_type(Account().deposit(3), int)
aiologic.synchronized(add)("1")  # type: ignore[arg-type]
synced_str: Callable[[str], int] = aiologic.synchronized(add)  # type: ignore[assignment]


async def use_synchronized() -> None:
    assert_type(await aiologic.synchronized(fetch)("k", retries=2), bytes)
    assert_type(await Account().withdraw(3), int)
    await aiologic.synchronized(fetch)("k", 2)  # type: ignore[call-arg]
Account().deposit()  # type: ignore[call-arg]
sync_with: Callable[[], None] = aiologic.synchronized  # type: ignore[assignment]
