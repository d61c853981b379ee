"""The wait queue: the one building block every blocking primitive uses.

A wait queue is a FIFO of parked tasks. Each entry is a low-level event (see
`aiologic.lowlevel._events`) with a payload the primitive attaches (a lock
waiter's identifier, a putter's item...). A waker takes the oldest entry and
`set()`s its event, possibly with a value (the item, the level, the index):
`set()` returns False when the waiter gave up first, and the waker then
offers the hand-off to the next entry. A waiter whose give-up loses that race
received the hand-off: it gives it back through the primitive's `on_lost`
callback, so nothing handed over is ever lost.

Entries live in an `OrderedDict` keyed by their event: appending, taking the
oldest (`popitem(last=False)`), removing a given entry (a give-up, O(1)) and
`len()` are each one call into C that runs no Python code (events hash by
identity), so they are atomic under the GIL and no lock is needed; `len()`
is the exact number of waiters that have not left. PyPy's `OrderedDict` is
written in Python, and two threads changing one at once make it raise (or
report an empty dict that is not): there, each queue's dict takes a lock of
its own around those operations (`_LockedOrderedDict`).

The queue knows nothing of the primitive's state: the primitive checks its
state, parks, and re-checks after the entry is in (`recheck`), so that a
waker that looked before the entry was there is never missed.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from typing import Any, Awaitable, Callable, List, Optional, Tuple

from .lowlevel._events import _DONE, TIMED_OUT, _AsyncEvent, _EventState, _GreenEvent
from .lowlevel._libraries import green_task_ident
from .lowlevel._originals import get_ident
from .lowlevel._thread_locks import create_thread_rlock
from .lowlevel._wakeups import close_batch, open_batch
from .statistics import WaiterInfo

__all__ = ("TIMED_OUT", "WaitQueue", "queue_of", "waiters_in", "waiting_in")

_ABSENT: Any = object()


class _LockedOrderedDict(OrderedDict):  # type: ignore[type-arg]
    """An `OrderedDict` whose operations that the wait queue uses are
    atomic on PyPy too (see the module docstring). Its lock is a real
    OS-thread lock held for one dict operation; reentrant, because PyPy's
    `OrderedDict` methods may call each other."""

    __slots__ = ("_lock",)

    def __init__(self) -> None:
        super().__init__()
        self._lock = create_thread_rlock()

    def __setitem__(self, key: Any, value: Any) -> None:
        with self._lock:
            super().__setitem__(key, value)

    def pop(self, key: Any, *default: Any) -> Any:
        with self._lock:
            return super().pop(key, *default)

    def popitem(self, last: bool = True) -> Any:
        with self._lock:
            return super().popitem(last)

    def move_to_end(self, key: Any, last: bool = True) -> None:
        with self._lock:
            super().move_to_end(key, last)

    def copy(self) -> Any:
        with self._lock:
            return OrderedDict(self)


_OrderedDict: Any = _LockedOrderedDict if sys.implementation.name == "pypy" else OrderedDict


class WaitQueue:
    """A FIFO of parked tasks, each with a payload; see the module docstring."""

    __slots__ = ("_parked", "_moved_to")

    def __init__(self) -> None:
        self._parked: OrderedDict[_EventState, Any] = _OrderedDict()
        # Queues this one moved entries to (`transfer`): a waiter that gives
        # up looks for its entry there too.
        self._moved_to: Tuple[WaitQueue, ...] = ()

    def __len__(self) -> int:
        return len(self._parked)

    def __bool__(self) -> bool:
        return bool(self._parked)

    def payloads(self) -> List[Any]:
        """The payloads of the parked entries, oldest first (a snapshot)."""
        return list(self._parked.copy().values())

    def waiters(self) -> Tuple[WaiterInfo, ...]:
        """Who is parked, oldest first (a snapshot, for `statistics()`)."""
        infos = []
        for event in self._parked.copy():
            task, thread = event.task, event.thread
            if task is not None and thread is not None:  # always, for an entry that a park made
                infos.append(WaiterInfo(task[0], task, thread))
        return tuple(infos)

    # -- the waiting side ----------------------------------------------------

    def green_park(
        self,
        payload: Any = None,
        timeout: Optional[float] = None,
        *,
        recheck: Optional[Callable[[], Any]] = None,
        on_lost: Optional[Callable[[Any], Any]] = None,
        shield: bool = False,
        ident: Optional[Tuple[str, int]] = None,
    ) -> Any:
        """Park the calling thread or greenlet until a waker hands it a
        value, which this returns; `TIMED_OUT` when `timeout` expired first.

        `recheck` runs once the entry is in the queue. If the wait raises
        (cancellation) after a hand-off reached it, `on_lost(value)` gives
        the value back before the exception propagates. `ident` is the
        caller's task identifier when the primitive already knows it."""
        event = _GreenEvent(shield)
        event.task = green_task_ident() if ident is None else ident
        event.thread = get_ident()
        self._enter(event, payload, recheck)
        try:
            woken = event.wait(timeout)
        except BaseException:
            self._leave(event, on_lost)
            raise
        return self._result(event, woken)

    def async_park(
        self,
        payload: Any = None,
        timeout: Optional[float] = None,
        *,
        recheck: Optional[Callable[[], Any]] = None,
        on_lost: Optional[Callable[[Any], Any]] = None,
        shield: bool = False,
        ident: Optional[Tuple[str, int]] = None,
    ) -> Awaitable[Any]:
        """`green_park` for the calling async task: await the result. The
        task is queued when the awaitable starts running, not before."""
        return _AsyncEvent(shield)._park(self, payload, recheck, on_lost, ident, timeout)

    def _enter(self, event: _EventState, payload: Any, recheck: Optional[Callable[[], Any]]) -> None:
        self._parked[event] = payload
        if recheck is not None:
            try:
                recheck()
            except BaseException:
                self._leave(event, None)
                raise

    def _result(self, event: _EventState, woken: bool) -> Any:
        if woken:
            return event._value
        self._discard(event)  # the give-up succeeded
        return TIMED_OUT

    def _leave(self, event: _EventState, on_lost: Optional[Callable[[Any], Any]]) -> None:
        """A wait that raised: leave the queue, or give back a hand-off that
        reached the waiter before it could give up."""
        if event._give_up():
            self._discard(event)
        elif on_lost is not None:
            on_lost(event._value)

    def _discard(self, event: _EventState) -> None:
        if self._parked.pop(event, _ABSENT) is _ABSENT:
            for other in self._moved_to:
                other._discard(event)

    # -- the waking side -----------------------------------------------------

    def pop(self) -> Optional[Tuple[_EventState, Any]]:
        """Take the oldest entry out: ``(event, payload)``, or None if the
        queue is empty. The caller then `set()`s the event (or moves on to
        the next entry when that returns False)."""
        try:
            return self._parked.popitem(last=False)
        except KeyError:
            return None

    def unpark(self, count: int = 1, value: Any = True) -> int:
        """Hand `value` to up to `count` oldest waiters; returns how many
        hand-offs took effect (waiters that gave up meanwhile are skipped)."""
        woken = 0
        popitem = self._parked.popitem
        while woken < count:
            try:
                event, _ = popitem(last=False)
            except KeyError:
                break
            if event.set(value):
                woken += 1
        return woken

    def unpark_all(self, value: Any = True) -> int:
        """Hand `value` to every waiter parked now, oldest first; returns how
        many hand-offs took effect.

        Threads woken here wait for the batch to end before they run (see
        `lowlevel._wakeups`), so that they do not slow the waker down. A
        wake-up that fails (an interrupt, a broken backend) does not leave
        the others asleep: all are woken, then the first error is raised."""
        popitem = self._parked.popitem
        woken = 0
        error: Optional[BaseException] = None
        gate = open_batch()
        try:
            while True:
                try:
                    event, _ = popitem(last=False)
                except KeyError:
                    break
                # `event.set(value)` inlined: a fan-out makes this step for
                # every waiter, and the call was a third of its cost.
                event._value = value
                try:
                    event._flag.pop()
                except IndexError:  # the waiter gave up first
                    continue
                event._outcome = True
                waiter = event._waiter
                try:
                    if waiter is not None and waiter is not _DONE:
                        waiter.wake()
                except BaseException as exc:
                    error = error or exc
                    continue
                woken += 1
        finally:
            close_batch(gate)
        if error is not None:
            raise error
        return woken

    def put_back(self, entries: List[Tuple[_EventState, Any]]) -> None:
        """Return entries taken out with `pop()` but not woken to the front
        of the queue, in their order (a waker that skipped them)."""
        parked = self._parked
        for event, payload in reversed(entries):
            parked[event] = payload
            try:
                parked.move_to_end(event, last=False)
            except KeyError:  # its waiter gave up just now and took it out
                continue
            # A waiter that gave up while its entry was out found it nowhere.
            if event.cancelled():
                parked.pop(event, None)

    def transfer(self, other: WaitQueue, count: int) -> int:
        """Move up to `count` oldest entries to the end of `other`, in order
        (a condition variable moving notified waiters to its lock's queue);
        returns how many moved. Their waiters keep waiting, now in `other`."""
        if other not in self._moved_to:
            self._moved_to = (*self._moved_to, other)
        moved = 0
        popitem = self._parked.popitem
        while moved < count:
            try:
                event, payload = popitem(last=False)
            except KeyError:
                break
            if event.cancelled():
                continue
            other._parked[event] = payload
            # A give-up between the two lines above found the entry in
            # neither queue: take it out again.
            if event.cancelled():
                other._parked.pop(event, None)
            else:
                moved += 1
        return moved


def queue_of(holder: List[WaitQueue]) -> WaitQueue:
    """The wait queue of a primitive, created on first contention.

    A primitive that never waits allocates none: it keeps an empty list and
    the queue appears in it when first needed. Two threads racing to create
    it both append, then both use element 0 (`append` and indexing are
    atomic), so they agree on one queue."""
    if not holder:
        holder.append(WaitQueue())
    return holder[0]


def waiters_in(holder: List[WaitQueue]) -> Tuple[WaiterInfo, ...]:
    """Who waits in a primitive's wait queue, oldest first (for `statistics()`)."""
    return holder[0].waiters() if holder else ()


def waiting_in(holder: List[WaitQueue]) -> int:
    """The number of waiters in a primitive's wait queue (0 before any)."""
    return len(holder[0]) if holder else 0
