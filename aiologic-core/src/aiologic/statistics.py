"""Snapshots of the primitives' state: what `statistics()` returns.

Every primitive has a ``statistics()`` method returning one of the classes
below: an immutable snapshot, read without blocking and without taking any
lock that a waker takes. The fields are read one after another, so a
snapshot taken while other threads act on the primitive is not atomic across
fields (a waiter may show up in ``waiting`` after ``owner`` was read, say).

Waiters are listed oldest first, each as a `WaiterInfo`: the library it
waits in, its task identifier (as ``current_green_task_ident()`` or
``current_async_task_ident()`` gives it, so ``("threading", thread_id)`` for
a plain thread) and the identifier of the OS thread it runs in. This is what
tells, in a hang across threads and event loops, who waits for whom.
"""

from __future__ import annotations

from typing import NamedTuple, Optional, Tuple

__all__ = (
    "BarrierStatistics",
    "ConditionStatistics",
    "CountdownEventStatistics",
    "EventStatistics",
    "FlagStatistics",
    "LimiterStatistics",
    "LockStatistics",
    "QueueStatistics",
    "ResourceGuardStatistics",
    "SemaphoreStatistics",
    "WaiterInfo",
)

TaskIdent = Tuple[str, int]


class WaiterInfo(NamedTuple):
    """One blocked task."""

    #: The name of the library the task waits in (``"threading"``,
    #: ``"asyncio"``, ``"trio"``...).
    library: str
    #: Its task identifier: ``(library, number)``.
    task: TaskIdent
    #: The identifier of the OS thread it runs in.
    thread: int


class LockStatistics(NamedTuple):
    """`Lock` and `RLock`."""

    #: The owner's task identifier, or None while unlocked.
    owner: Optional[TaskIdent]
    #: The recursion level: 0 or 1 for a `Lock`. (It hides `tuple.count`,
    #: which a snapshot has no use for.)
    count: int  # type: ignore[assignment]
    waiting: Tuple[WaiterInfo, ...]


class SemaphoreStatistics(NamedTuple):
    """The semaphores."""

    value: int
    #: None for an unbounded semaphore.
    max_value: Optional[int]
    waiting: Tuple[WaiterInfo, ...]


class LimiterStatistics(NamedTuple):
    """`CapacityLimiter` and `RCapacityLimiter`."""

    total_tokens: int
    borrowed_tokens: int
    #: The task identifiers of the borrowers.
    borrowers: Tuple[TaskIdent, ...]
    waiting: Tuple[WaiterInfo, ...]


class EventStatistics(NamedTuple):
    """`Event` and `REvent`."""

    is_set: bool
    waiting: Tuple[WaiterInfo, ...]


class CountdownEventStatistics(NamedTuple):
    """`CountdownEvent`."""

    is_set: bool
    value: int
    waiting: Tuple[WaiterInfo, ...]


class BarrierStatistics(NamedTuple):
    """`Latch`, `Barrier` and `RBarrier`."""

    parties: int
    broken: bool
    waiting: Tuple[WaiterInfo, ...]


class ConditionStatistics(NamedTuple):
    """`Condition`."""

    #: The snapshot of the condition's lock, if it has an aiologic lock.
    lock: Optional[LockStatistics]
    waiting: Tuple[WaiterInfo, ...]


class FlagStatistics(NamedTuple):
    """`Flag`."""

    is_set: bool


class ResourceGuardStatistics(NamedTuple):
    """`ResourceGuard`."""

    busy: bool


class QueueStatistics(NamedTuple):
    """The queues."""

    size: int
    #: 0 for a queue without a bound.
    maxsize: int
    getters: Tuple[WaiterInfo, ...]
    putters: Tuple[WaiterInfo, ...]
    #: ``getters + putters``.
    waiting: Tuple[WaiterInfo, ...]
