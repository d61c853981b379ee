"""Constant-size counts whose common case takes no lock.

A semaphore's permits (and a bounded semaphore's permits that are out) may
number anything from 0 to far beyond what fits in memory one by one. A
`Count` keeps a few of them as elements of a list, `cache`, where
`list.pop()` takes one and `list.append()` returns one atomically, and the
rest as an integer, `_spare`. Only moving permits between the two touches
the integer, and that read-modify-write needs a lock: a per-object lock,
created the first time the cache runs dry or overflows. Counts that stay
small never create it.
"""

from __future__ import annotations

from typing import Any, List

from .lowlevel._originals import allocate_lock

__all__ = ("Count",)

#: How many permits the cache holds at most (a few dozen: enough that a
#: burst of acquires and releases rarely reaches the integer).
CACHE_SIZE = 32


class Count:
    """A non-negative number of interchangeable permits."""

    __slots__ = ("cache", "_spare", "_lock_holder")

    def __init__(self, value: int) -> None:
        cached = min(value, CACHE_SIZE)
        self.cache: List[None] = [None] * cached
        self._spare = value - cached
        self._lock_holder: List[Any] = []

    @property
    def value(self) -> int:
        """The permits available now (a snapshot: not atomic with a
        concurrent refill)."""
        return len(self.cache) + self._spare

    def _lock(self) -> Any:
        holder = self._lock_holder
        if not holder:
            holder.append(allocate_lock())  # racing threads agree on element 0
        return holder[0]

    def take(self) -> bool:
        """Take one permit if there is one."""
        try:
            self.cache.pop()
        except IndexError:
            pass
        else:
            return True
        if not self._spare:
            return False
        with self._lock():
            moved = min(self._spare, CACHE_SIZE)
            self._spare -= moved
        if not moved:
            return False
        # One for the caller, the rest into the cache.
        self.cache.extend([None] * (moved - 1))
        return True

    def put(self, count: int = 1) -> None:
        """Give back `count` permits, in O(1)."""
        cache = self.cache
        room = CACHE_SIZE - len(cache)
        if count == 1 and room > 0:
            cache.append(None)
            return
        if count <= room:
            cache.extend([None] * count)
            return
        # Room may shrink meanwhile (a racing put): the cache then holds a
        # few more than CACHE_SIZE, which costs nothing but memory.
        if room > 0:
            cache.extend([None] * room)
            count -= room
        with self._lock():
            self._spare += count
