"""`Queue`, `LifoQueue` and `PriorityQueue`: queues with an optional bound.

Getters and items work as in every queue (see `_queue_base`). A bounded
queue's free places are tokens (see `_tokens`): a put takes one, waiting
(first-in, first-out) while there is none, and a get gives one back, which
goes straight to the oldest blocked putter, if any, waking only it. The
places are a `Count`, so the common case takes and gives them without a
lock. A putter that gives up just as a place was handed to it passes the
place on; a putter inserts its item only once it holds a place, so one that
gives up never inserts it.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional, Tuple, Type, TypeVar, overload

from .lowlevel import _libraries
from .lowlevel._checkpoints import async_checkpoint_library, green_checkpoint_library
from .lowlevel._libraries import current_async_library_tlocal
from .lowlevel._validation import check_int, check_timeout
from ._counts import Count
from ._queue_base import NO_ITEMS, ItemQueue, QueueEmpty, QueueFull, heap, lifo, own_members
from ._tokens import TokenPrimitive
from ._waitqueue import TIMED_OUT

__all__ = ("LifoQueue", "PriorityQueue", "Queue", "QueueEmpty", "QueueFull")

_T = TypeVar("_T")
_Q = TypeVar("_Q", bound="Queue[Any]")

_UNSET: Any = object()

#: How many free places a get may leave in the count's cache (a list, where
#: a put takes one with `list.pop()`), beyond `Count`'s own few dozen: the
#: rest go to its integer, under its lock. A stream that fills and drains
#: the queue would otherwise move every place past the first few dozen
#: through that lock; with this many, a queue of up to 1024 places keeps
#: them all in the list (8 bytes each).
PLACES_CACHED = 1024


@own_members
class Queue(ItemQueue[_T], TokenPrimitive):
    """A first-in, first-out queue, bounded when `maxsize` is given: puts
    then wait while it holds `maxsize` items or more.

    ``Queue(5)`` is ``Queue(maxsize=5)``, as for `queue.Queue`.
    """

    __slots__ = ("_maxsize", "_excess")

    _maxsize: int
    # Initial items beyond `maxsize`: gets pay them off before they free
    # places; None once paid (or when there were none).
    _excess: Optional[Count]

    @overload
    def __new__(cls: Type[_Q], maxsize: Optional[int] = None, /) -> _Q: ...

    @overload
    def __new__(cls: Type[_Q], items: Iterable[_T], /, maxsize: Optional[int] = None) -> _Q: ...

    @overload
    def __new__(cls: Type[_Q], items: Iterable[_T] = ..., /, *, maxsize: Optional[int]) -> _Q: ...

    def __new__(cls, items: Any = NO_ITEMS, /, maxsize: Any = _UNSET) -> Any:
        if maxsize is _UNSET:
            maxsize = None
            if items is None or isinstance(items, int):
                items, maxsize = NO_ITEMS, items
        if maxsize is not None:
            maxsize = check_int(maxsize, "maxsize")
            if maxsize < 1:
                raise ValueError("maxsize must be >= 1")
        self = object.__new__(cls)
        self._setup(items)
        self._maxsize = 0
        self._excess = None
        if maxsize is not None:
            self._maxsize = maxsize
            length = len(self._data)
            self._room = Count(max(0, maxsize - length))
            if length > maxsize:
                self._excess = Count(length - maxsize)
        return self

    def _new_args(self) -> Tuple[Any, ...]:
        return (self._items(), self._maxsize or None)

    @property
    def maxsize(self) -> int:
        """The bound on the number of items; 0 when unbounded."""
        return self._maxsize

    # -- places (see `_tokens`) ------------------------------------------------

    def _take_token(self) -> bool:
        return self._room.take()  # type: ignore[no-any-return]

    def _put_token(self) -> None:
        self._room.put()

    def _got(self) -> None:
        # A get took an item: its place is free, for the oldest blocked
        # putter if there is one.
        excess = self._excess
        if excess is not None:
            if excess.take():
                return
            self._excess = None  # paid off for good: nothing adds to it
        putting = self._putting
        if putting:
            # Someone is between deciding to park and leaving. Only a parked
            # putter takes the place from our hand (`_give_back`); one that
            # was woken but has not run yet, the common case while the two
            # sides stream, leaves it to the pool, as below.
            holder = self._waiters
            if holder and holder[0]._parked:
                self._give_back()  # to the oldest putter
                return
        room = self._room
        cache = room.cache
        if len(cache) < PLACES_CACHED:
            cache.append(None)  # `Count.put`'s common case, inline
        else:
            room.put()
        if putting:  # a putter may have parked meanwhile (`_recheck`'s test, inline)
            holder = self._waiters
            if holder and holder[0]._parked:
                self._recheck()

    # -- put -------------------------------------------------------------------

    def green_put(self, item: _T, *, blocking: bool = True, timeout: Optional[float] = None) -> None:
        """Add an item, waiting (first-in, first-out) while the queue is
        full; `QueueFull` if there was no room (``blocking=False`` or
        timeout), and then the item was not inserted."""
        # A fast path, repeated in `async_put` to save calls; only the wait
        # differs.
        if timeout is not None:
            timeout = check_timeout(timeout)
        lib = green_checkpoint_library() if blocking and _libraries.green_checkpoints_possible else None
        if lib is not None:
            lib.backend.checkpoint_before()
        room = self._room
        if room is not None:
            try:
                room.cache.pop()  # a free place: `Count.take`'s first step, inline
            except IndexError:
                if not room.take():
                    if blocking and timeout != 0:
                        putting = self._putting
                        putting.append(None)
                        try:
                            placed = self._green_wait(None, timeout)
                        finally:
                            putting.pop()
                        if not placed:
                            raise QueueFull
                        self._store_item(item)
                        return
                    if lib is not None:
                        lib.backend.checkpoint_after()
                    raise QueueFull
        # `_store_item`, inline.
        self._store(item)
        if self._getting:
            holder = self._getters
            if holder and holder[0]._parked:  # `_hand_over`'s test, inline
                self._hand_over()
        if lib is not None:
            lib.backend.checkpoint_after()

    async def async_put(self, item: _T, *, blocking: bool = True, timeout: Optional[float] = None) -> None:
        """Add an item, waiting (first-in, first-out) while the queue is
        full; `QueueFull` if there was no room (``blocking=False`` or
        timeout), and then the item was not inserted."""
        # The fast path of `green_put`.
        if timeout is not None:
            timeout = check_timeout(timeout)
        possible = _libraries.async_checkpoints_possible or current_async_library_tlocal.name is not None
        lib = async_checkpoint_library() if blocking and possible else None
        if lib is not None:
            await lib.backend.checkpoint_before()
        room = self._room
        if room is not None:
            try:
                room.cache.pop()  # a free place: `Count.take`'s first step, inline
            except IndexError:
                if not room.take():
                    if blocking and timeout != 0:
                        putting = self._putting
                        putting.append(None)
                        try:
                            placed = await self._async_wait(None, timeout) is not TIMED_OUT
                        finally:
                            putting.pop()
                        if not placed:
                            raise QueueFull
                        self._store_item(item)
                        return
                    if lib is not None:
                        await lib.backend.checkpoint_after()
                    raise QueueFull
        # `_store_item`, inline.
        self._store(item)
        if self._getting:
            holder = self._getters
            if holder and holder[0]._parked:  # `_hand_over`'s test, inline
                self._hand_over()
        if lib is not None:
            await lib.backend.checkpoint_after()


class LifoQueue(Queue[_T]):
    """A last-in, first-out queue, bounded when `maxsize` is given."""

    __slots__ = ()

    _container = staticmethod(lifo)


class PriorityQueue(Queue[_T]):
    """A queue that returns its smallest item first (`heapq` order),
    bounded when `maxsize` is given."""

    __slots__ = ()

    _container = staticmethod(heap)
