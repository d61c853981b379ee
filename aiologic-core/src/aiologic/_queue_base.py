"""What every queue shares: its items, its blocked getters, and the hand-off
of an item to a blocked getter.

The items live in a container whose single operations are atomic: a
`collections.deque` (FIFO: `append`/`popleft`; LIFO: `append`/`pop`), whose
methods are one call into C that runs no Python code, or a heap guarded by a
per-object lock (see `_Heap`). A put that need not wait is one `append`; a
get that need not wait is one `popleft`/`pop`. Neither takes a lock nor
allocates anything but the item's place in the container.

A getter that finds no item parks in the wait queue of getters. Items reach
parked getters through `_hand_over`: it takes the next item from the
container and `set()`s it into the oldest getter's event (one wake-up,
carrying the item). One thread at a time hands over (whoever pops the
one-element list `_handing`, atomically): concurrent hand-overs could give
a later item to an older getter, or put an item back behind one taken
after it. A thread that finds the right taken leaves the work to its holder,
which looks again after giving it back, so no hand-off is ever missed, and
nobody ever blocks on it.

A get takes the fast path only while no getter is parked and nobody hands
over: a newcomer does not barge ahead of blocked getters, and a consumer
never takes an item past one that a hand-over holds in hand.

"Is a getter parked?" is asked on every put and get, so it must be cheap:
`_getting` holds one element per getter between just before it parks and
just after it leaves (a list, whose `append`/`pop`/truth test are atomic
C-level operations), a superset of the parked ones. While it is empty
nobody can be parked; while it is not, the slow paths ask the wait queue.
`_putting` does the same for a bounded queue's putters.

A getter that gives up (timeout, cancellation) just as an item was handed
to it gives the item back: to the head of the queue (FIFO), its top (LIFO)
or the heap, whence it goes to the next getter.
"""

from __future__ import annotations

import heapq
import types
import warnings
from collections import deque
from typing import Any, Callable, Generic, Iterable, List, Optional, Tuple, TypeVar

from .lowlevel import _libraries
from .lowlevel._checkpoints import async_checkpoint_library, green_checkpoint_library
from .lowlevel._libraries import current_async_library_tlocal
from .lowlevel._originals import allocate_lock
from .lowlevel._validation import check_timeout
from ._waitqueue import TIMED_OUT, WaitQueue, queue_of, waiters_in, waiting_in
from .statistics import QueueStatistics, WaiterInfo

__all__ = ("QueueEmpty", "QueueFull")

_T = TypeVar("_T")
_Self = TypeVar("_Self", bound="ItemQueue[Any]")

#: The default of `items`: no initial items.
NO_ITEMS: Any = ()


class QueueEmpty(Exception):
    """Raised by a get that found no item (``blocking=False``, or timeout)."""


class QueueFull(Exception):
    """Raised by a put that found no room (``blocking=False``, or timeout);
    the item was not inserted."""


class _Heap:
    """The container of a priority queue.

    `heapq.heappush`/`heappop` are sequences of reads and writes of the list
    that call the items' comparison methods (Python code, where another
    thread may run) in between, so they are not atomic: a per-object lock
    keeps the heap consistent. It is held only for one push or pop, never
    while waiting."""

    __slots__ = ("data", "_lock")

    def __init__(self, items: Iterable[Any]) -> None:
        self.data: List[Any] = list(items)
        heapq.heapify(self.data)
        self._lock = allocate_lock()

    def pop(self) -> Any:
        """The smallest item; `IndexError` when empty."""
        with self._lock:
            return heapq.heappop(self.data)

    def push(self, item: Any) -> None:
        with self._lock:
            heapq.heappush(self.data, item)


def fifo(items: Iterable[Any]) -> Tuple[Any, Callable[[], Any], Callable[[Any], None], Callable[[Any], None]]:
    """The container of a FIFO queue: (data, take, store, restore)."""
    data: deque[Any] = deque(items)
    return data, data.popleft, data.append, data.appendleft


def lifo(items: Iterable[Any]) -> Tuple[Any, Callable[[], Any], Callable[[Any], None], Callable[[Any], None]]:
    """The container of a LIFO queue: an item given back goes on top."""
    data: deque[Any] = deque(items)
    return data, data.pop, data.append, data.append


def heap(items: Iterable[Any]) -> Tuple[Any, Callable[[], Any], Callable[[Any], None], Callable[[Any], None]]:
    """The container of a priority queue."""
    container = _Heap(items)
    return container.data, container.pop, container.push, container.push


class ItemQueue(Generic[_T]):
    """The base of every queue: items and getters. Private: `SimpleQueue`
    and `Queue` are otherwise unrelated."""

    __slots__ = (
        "__weakref__",
        "_data",
        "_take",
        "_store",
        "_restore",
        "_getters",
        "_getting",
        "_handing",
        "_room",
        "_waiters",
        "_putting",
    )

    # The container and its operations (see `fifo`, `lifo`, `heap`).
    _data: Any
    _take: Callable[[], Any]
    _store: Callable[[Any], None]
    _restore: Callable[[Any], None]
    # The holder of the getters' wait queue (see `queue_of`).
    _getters: List[WaitQueue]
    # [None] while nobody hands items over (see `_hand_over`).
    _handing: List[None]
    # One element per getter (putter) about to park, parked or leaving: see
    # the module docstring.
    _getting: List[None]
    _putting: List[None]
    # A bounded queue's free places (a `Count`) and the holder of its
    # putters' wait queue (`_waiters`, the name the token hand-off of
    # `_tokens` uses); None and [] for an unbounded queue.
    _room: Any
    _waiters: List[WaitQueue]

    _container = staticmethod(fifo)

    def _setup(self, items: Iterable[Any]) -> None:
        self._data, self._take, self._store, self._restore = self._container(items)
        self._getters = []
        self._handing = [None]
        self._getting = []
        self._putting = []
        self._room = None
        self._waiters = []

    def _items(self) -> List[Any]:
        """A snapshot of the items, in the order they were stored (the order
        that re-creates the queue: bottom to top for LIFO, the heap's own
        order for priority)."""
        while True:
            try:
                return list(self._data)
            except RuntimeError:  # mutated while copied: try again
                pass

    def _warn_if_not_empty(self, what: str) -> None:
        if self._data:
            warnings.warn(
                f"{what} a non-empty queue is deprecated",
                DeprecationWarning,
                stacklevel=3,
            )

    def copy(self: _Self) -> _Self:
        """A new queue of the same type and size with the same items
        (deprecated: use `copy.copy`)."""
        warnings.warn("copy() is deprecated: use copy.copy()", DeprecationWarning, stacklevel=2)
        return self._clone()

    def __copy__(self: _Self) -> _Self:
        self._warn_if_not_empty("copying")
        return self._clone()

    def __reduce__(self) -> Any:
        self._warn_if_not_empty("pickling")
        return (type(self), self._new_args())

    def _new_args(self) -> Tuple[Any, ...]:
        return (self._items(),)

    def _clone(self: _Self) -> _Self:
        return type(self)(*self._new_args())

    def __len__(self) -> int:
        return len(self._data)

    def __bool__(self) -> bool:
        return bool(self._data)

    def __repr__(self) -> str:
        cls = type(self)
        items = self._items()
        length = len(items)
        maxsize = self.maxsize
        args = repr(items) if not maxsize else f"{items!r}, maxsize={maxsize!r}"
        if maxsize and length >= maxsize:
            state = f"length={length}, putting={self.putting}"
        elif length:
            state = f"length={length}"
        else:
            state = f"length=0, getting={self.getting}"
        return f"<{cls.__module__}.{cls.__qualname__}({args}) at {id(self):#x} [{state}]>"

    @property
    def maxsize(self) -> int:
        """The bound on the number of items; 0 when unbounded."""
        return 0

    @property
    def getting(self) -> int:
        """The number of blocked getters."""
        return waiting_in(self._getters)

    @property
    def putting(self) -> int:
        """The number of blocked putters."""
        return waiting_in(self._waiters)

    @property
    def waiting(self) -> int:
        """The number of blocked getters and putters."""
        return waiting_in(self._getters) + waiting_in(self._waiters)

    def statistics(self) -> QueueStatistics:
        """A snapshot of the queue's length, bound and waiters."""
        getters: Tuple[WaiterInfo, ...] = waiters_in(self._getters)
        putters: Tuple[WaiterInfo, ...] = waiters_in(self._waiters)
        return QueueStatistics(len(self._data), self.maxsize, getters, putters, getters + putters)

    # -- hand-off to blocked getters -----------------------------------------

    def _hand_over(self) -> None:
        """Hand items to blocked getters, the next item to the oldest getter,
        while both exist (see the module docstring). It also runs as the
        re-check of a getter that has just parked. (Tests look at the items
        first: their emptiness is a C-level check, the wait queue's a call.)"""
        holder = self._getters
        data = self._data
        handing = self._handing
        while data and holder and holder[0]._parked:
            try:
                handing.pop()
            except IndexError:
                return  # its holder looks again once done
            try:
                queue = holder[0]
                take = self._take
                while data:
                    try:
                        item = take()
                    except IndexError:  # a get took it before we held the right
                        break
                    entry = queue.pop()
                    while entry is not None and not entry[0].set(item):
                        entry = queue.pop()  # that getter gave up: the next one
                    if entry is None:  # no getter left: back it goes
                        self._restore(item)
                        break
            finally:
                handing.append(None)

    def _return_item(self, item: Any) -> None:
        """A getter gave up after `item` was handed to it: back it goes, to
        the head (FIFO), the top (LIFO) or the heap, and on to the next
        getter if there is one."""
        self._restore(item)
        self._hand_over()

    def _store_item(self, item: Any) -> None:
        """Add an item and hand it over if a getter is blocked."""
        self._store(item)
        if self._getting:
            self._hand_over()

    def _got(self) -> None:
        """Hook: a getter has taken an item (a bounded queue frees a place)."""

    # -- get -------------------------------------------------------------------

    def green_get(self, *, blocking: bool = True, timeout: Optional[float] = None) -> _T:
        """Take the next item, waiting (getters are served first-in,
        first-out) while there is none; `QueueEmpty` if none came
        (``blocking=False`` or timeout)."""
        if timeout is not None:
            timeout = check_timeout(timeout)
        # `green_checkpoint_library()` answers None at once while nothing can
        # have turned checkpoints on: that test first saves the call.
        lib = green_checkpoint_library() if blocking and _libraries.green_checkpoints_possible else None
        if lib is not None:
            lib.backend.checkpoint_before()
        # The fast path, repeated in `async_get` to save a call: only while
        # no getter is parked and nobody hands over (module docstring).
        if not self._getting and self._handing:
            try:
                item = self._take()
            except IndexError:
                pass
            else:
                if self._room is not None:
                    self._got()
                if lib is not None:
                    lib.backend.checkpoint_after()
                return item  # type: ignore[no-any-return]
        if blocking and timeout != 0:
            getting = self._getting
            getting.append(None)
            try:
                queue = queue_of(self._getters)
                item = queue.green_park(None, timeout, recheck=self._hand_over, on_lost=self._return_item)
            finally:
                getting.pop()
            if item is TIMED_OUT:
                raise QueueEmpty
            if self._room is not None:
                self._got()
            return item  # type: ignore[no-any-return]
        if lib is not None:
            lib.backend.checkpoint_after()
        raise QueueEmpty

    async def async_get(self, *, blocking: bool = True, timeout: Optional[float] = None) -> _T:
        """Take the next item, waiting (getters are served first-in,
        first-out) while there is none; `QueueEmpty` if none came
        (``blocking=False`` or timeout)."""
        if timeout is not None:
            timeout = check_timeout(timeout)
        # `async_checkpoint_library()`'s own first test, inline (see `green_get`).
        possible = _libraries.async_checkpoints_possible or current_async_library_tlocal.name is not None
        lib = async_checkpoint_library() if blocking and possible else None
        if lib is not None:
            await lib.backend.checkpoint_before()
        # The fast path of `green_get`. It looks before it takes: an
        # IndexError raised in a coroutine keeps the coroutine's frame alive
        # as an object for the whole wait that follows (~500 bytes per
        # blocked getter).
        if not self._getting and self._handing and self._data:
            try:
                item = self._take()
            except IndexError:
                pass
            else:
                if self._room is not None:
                    self._got()
                if lib is not None:
                    await lib.backend.checkpoint_after()
                return item  # type: ignore[no-any-return]
        if blocking and timeout != 0:
            # Parking here, not in a helper coroutine: one frame less for
            # every blocked getter.
            getting = self._getting
            getting.append(None)
            try:
                queue = queue_of(self._getters)
                item = await queue.async_park(None, timeout, recheck=self._hand_over, on_lost=self._return_item)
            finally:
                getting.pop()
            if item is TIMED_OUT:
                raise QueueEmpty
            if self._room is not None:
                self._got()
            return item  # type: ignore[no-any-return]
        if lib is not None:
            await lib.backend.checkpoint_after()
        raise QueueEmpty


def own_members(cls: Any) -> Any:
    """Give a public queue class its own copies of the public members it
    inherits from `ItemQueue`, so that they carry its name
    (``SimpleQueue.green_get``, ``Queue.green_get``) once exported, as every
    public method does; one function object cannot carry two names."""
    for name, member in vars(ItemQueue).items():
        if name in vars(cls) or (name.startswith("_") and name not in _OWN_DUNDERS):
            continue
        if isinstance(member, property):
            member = property(_copy(member.fget), None, None, member.__doc__)
        elif isinstance(member, types.FunctionType):
            member = _copy(member)
        else:
            continue
        setattr(cls, name, member)
    return cls


_OWN_DUNDERS = frozenset({"__len__", "__bool__", "__repr__", "__reduce__", "__copy__"})


def _copy(func: Any) -> Any:
    copied = types.FunctionType(func.__code__, func.__globals__, func.__name__, func.__defaults__, func.__closure__)
    copied.__kwdefaults__ = dict(func.__kwdefaults__) if func.__kwdefaults__ else None
    copied.__doc__ = func.__doc__
    copied.__annotations__ = dict(func.__annotations__)
    copied.__qualname__ = func.__qualname__
    return copied
