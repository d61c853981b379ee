"""Checked by mypy --strict (python3 scripts/dev.py lint), not run: the lock
family's public types. Each `type: ignore` below must be needed (an unused
one is an error under --strict), so it proves mypy rejects that line."""

from __future__ import annotations

import threading
from types import MappingProxyType
from typing import Callable, Coroutine, Any, Optional, Tuple

import aiologic
from aiologic.statistics import ConditionStatistics, LimiterStatistics, LockStatistics

rlock: aiologic.Lock = aiologic.RLock()
level: int = aiologic.RLock().count
owner: Optional[Tuple[str, int]] = aiologic.RLock().owner
acquired: bool = aiologic.RLock().green_acquire(2, blocking=False)
rstats: LockStatistics = aiologic.RLock().statistics()
aiologic.RLock().green_release("2")  # type: ignore[arg-type]

limiter = aiologic.CapacityLimiter(3)
total: int = limiter.total_tokens
borrowers: MappingProxyType[Tuple[str, int], int] = limiter.borrowers
lstats: LimiterStatistics = limiter.statistics()
limiter.total_tokens = 4  # type: ignore[misc]
base: aiologic.CapacityLimiter = aiologic.RCapacityLimiter(2)
levels: int = aiologic.RCapacityLimiter().green_count()

default_cv: aiologic.Condition[aiologic.RLock] = aiologic.Condition()
lock_cv: aiologic.Condition[aiologic.Lock] = aiologic.Condition(aiologic.Lock())
thread_cv = aiologic.Condition(threading.Lock())
the_lock: aiologic.Lock = lock_cv.lock
woken: int = lock_cv.notify(2)
text: str = lock_cv.wait_for(lambda: "ready", 1.0)
cstats: ConditionStatistics = lock_cv.statistics()
not_a_lock: aiologic.Lock = aiologic.Condition(None).lock  # type: ignore[assignment]


def add(a: int, b: int) -> int:
    return a + b


async def mul(a: int, b: int) -> int:
    return a * b


synced_add: Callable[[int, int], int] = aiologic.synchronized(add)
synced_mul: Callable[[int, int], Coroutine[Any, Any, int]] = aiologic.synchronized(mul)
aiologic.synchronized(add)("1", 2)  # type: ignore[arg-type]
with aiologic.synchronized(aiologic.Lock()):
    pass
