"""Lazily allocated queues: no deque until the first insertion.

Primitives keep one of these per object for waiters or items, and most
objects never need it. The allocation is published atomically: every
contender appends its new deque to a one-slot list and all of them use
whichever landed first (`list.append` and indexing are atomic under the GIL
and under free-threading, and no lock is taken, so a signal handler may do
it while the code it interrupted is doing the same).
"""

from __future__ import annotations

import sys
from collections import deque
from typing import Any, Deque, Generic, Iterable, Iterator, List, MutableSequence, Optional, TypeVar, Union, overload

__all__ = ("lazydeque", "lazyqueue")

_T = TypeVar("_T")
_NOTHING: Any = object()
_EMPTY: Deque[Any] = deque(maxlen=0)  # what an unallocated lazydeque reads from


class lazydeque(MutableSequence[_T]):
    """A `collections.deque` that allocates its storage on first insertion."""

    __slots__ = ("_box", "_maxlen", "__weakref__")

    _box: List[Deque[_T]]

    def __init__(self, iterable: Iterable[_T] = _NOTHING, maxlen: Optional[int] = None) -> None:
        if maxlen is not None:
            if not isinstance(maxlen, int):
                raise TypeError("an integer is required")
            if maxlen < 0:
                raise ValueError("maxlen must be non-negative")
        self._maxlen = maxlen
        self._box = []
        if iterable is not _NOTHING:
            self.extend(iterable)

    # -- storage -------------------------------------------------------------

    def _read(self) -> Deque[_T]:
        box = self._box
        return box[0] if box else _EMPTY

    def _write(self) -> Deque[_T]:
        box = self._box
        if not box:
            box.append(deque(maxlen=self._maxlen))
        return box[0]

    # -- deque's interface --------------------------------------------------------

    @property
    def maxlen(self) -> Optional[int]:
        """The maximum length given at creation, or None when unbounded."""
        return self._maxlen

    def append(self, item: _T) -> None:
        self._write().append(item)

    def appendleft(self, item: _T) -> None:
        """Add `item` to the left end (allocates the storage on first write)."""
        self._write().appendleft(item)

    def extend(self, iterable: Iterable[_T]) -> None:
        if iterable is self:
            iterable = list(iterable)
        self._write().extend(iterable)

    def extendleft(self, iterable: Iterable[_T]) -> None:
        """Add the items to the left end one by one (so in reverse order)."""
        if iterable is self:
            iterable = list(iterable)
        self._write().extendleft(iterable)

    def insert(self, index: int, item: _T) -> None:
        self._write().insert(index, item)

    def pop(self, index: int = _NOTHING) -> _T:
        storage = self._read()
        if index is _NOTHING:
            if not storage:
                raise IndexError("pop from an empty deque")
            return storage.pop()
        item = storage[index]
        del storage[index]
        return item

    def popleft(self) -> _T:
        """Remove and return the leftmost item; `IndexError` when empty."""
        storage = self._read()
        if not storage:
            raise IndexError("pop from an empty deque")
        return storage.popleft()

    def remove(self, value: _T) -> None:
        self._read().remove(value)

    def clear(self) -> None:
        self._read().clear()

    def copy(self) -> "lazydeque[_T]":
        """A shallow copy with the same items and `maxlen`."""
        return type(self)(self._read(), self._maxlen)

    __copy__ = copy

    def count(self, value: Any) -> int:
        return self._read().count(value)

    def index(self, value: Any, start: int = 0, stop: int = sys.maxsize) -> int:
        return self._read().index(value, start, stop)

    def reverse(self) -> None:
        self._read().reverse()

    def rotate(self, n: int = 1) -> None:
        """Rotate `n` steps to the right (to the left when `n` is negative)."""
        self._read().rotate(n)

    def __len__(self) -> int:
        return len(self._read())

    def __bool__(self) -> bool:
        return bool(self._read())

    def __contains__(self, value: object) -> bool:
        return value in self._read()

    def __iter__(self) -> Iterator[_T]:
        return iter(self._read())

    def __reversed__(self) -> Iterator[_T]:
        return reversed(self._read())

    @overload
    def __getitem__(self, index: int) -> _T: ...

    @overload
    def __getitem__(self, index: slice) -> MutableSequence[_T]: ...

    def __getitem__(self, index: Union[int, slice]) -> Any:
        if isinstance(index, slice):
            raise TypeError("sequence index must be integer, not 'slice'")
        return self._read()[index]

    @overload
    def __setitem__(self, index: int, value: _T) -> None: ...

    @overload
    def __setitem__(self, index: slice, value: Iterable[_T]) -> None: ...

    def __setitem__(self, index: Union[int, slice], value: Any) -> None:
        if isinstance(index, slice):
            raise TypeError("sequence index must be integer, not 'slice'")
        self._read()[index] = value

    def __delitem__(self, index: Union[int, slice]) -> None:
        if isinstance(index, slice):
            raise TypeError("sequence index must be integer, not 'slice'")
        del self._read()[index]

    # -- comparison and arithmetic ------------------------------------------

    @staticmethod
    def _other(other: object) -> Any:
        if isinstance(other, lazydeque):
            return other._read()
        if isinstance(other, deque):
            return other
        return _NOTHING

    def __eq__(self, other: object) -> bool:
        theirs = self._other(other)
        return NotImplemented if theirs is _NOTHING else list(self._read()) == list(theirs)

    def __ne__(self, other: object) -> bool:
        theirs = self._other(other)
        return NotImplemented if theirs is _NOTHING else list(self._read()) != list(theirs)

    def __lt__(self, other: object) -> bool:
        theirs = self._other(other)
        return NotImplemented if theirs is _NOTHING else list(self._read()) < list(theirs)

    def __le__(self, other: object) -> bool:
        theirs = self._other(other)
        return NotImplemented if theirs is _NOTHING else list(self._read()) <= list(theirs)

    def __gt__(self, other: object) -> bool:
        theirs = self._other(other)
        return NotImplemented if theirs is _NOTHING else list(self._read()) > list(theirs)

    def __ge__(self, other: object) -> bool:
        theirs = self._other(other)
        return NotImplemented if theirs is _NOTHING else list(self._read()) >= list(theirs)

    __hash__ = None  # type: ignore[assignment]

    def __add__(self, other: object) -> "lazydeque[_T]":
        theirs = self._other(other)
        if theirs is _NOTHING:
            return NotImplemented
        result = self.copy()
        result.extend(theirs)
        return result

    def __iadd__(self, other: Iterable[_T]) -> "lazydeque[_T]":  # type: ignore[misc]
        self.extend(other)
        return self

    def __mul__(self, n: int) -> "lazydeque[_T]":
        return type(self)(self._read() * n, self._maxlen)

    __rmul__ = __mul__

    def __imul__(self, n: int) -> "lazydeque[_T]":
        storage = self._read()
        if storage:
            storage *= n
        return self

    # -- pickling, repr --------------------------------------------------------

    def __reduce__(self) -> Any:
        return (type(self), (list(self._read()), self._maxlen))

    def __repr__(self) -> str:
        items = list(self._read())
        if self._maxlen is None:
            return f"lazydeque({items!r})"
        return f"lazydeque({items!r}, maxlen={self._maxlen})"


class lazyqueue(Generic[_T]):
    """A small FIFO that allocates its storage on the first `put()`;
    thread-safe and signal-safe."""

    __slots__ = ("_box", "__weakref__")

    _box: List[Deque[_T]]

    def __init__(self) -> None:
        self._box = []

    def put(self, item: _T, /) -> None:
        """Add `item` at the end."""
        box = self._box
        if not box:
            box.append(deque())
        box[0].append(item)

    def get(self) -> _T:
        """Remove and return the oldest item; `IndexError` when empty."""
        box = self._box
        if not box:
            raise IndexError("get from an empty queue")
        try:
            return box[0].popleft()
        except IndexError:
            raise IndexError("get from an empty queue") from None

    def __len__(self) -> int:
        box = self._box
        return len(box[0]) if box else 0

    def __bool__(self) -> bool:
        box = self._box
        return bool(box[0]) if box else False

    def __reduce__(self) -> Any:
        raise TypeError(f"cannot pickle {type(self).__qualname__!r} object")

    def __repr__(self) -> str:
        return f"<aiologic.lowlevel.lazyqueue object at {id(self):#x} [length={len(self)}]>"
