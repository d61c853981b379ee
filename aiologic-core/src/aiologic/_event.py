"""`Event`: a one-time event."""

from __future__ import annotations

from typing import Any, Generator, List, Optional

from .lowlevel._checkpoints import async_checkpoint_library, green_checkpoint_library
from .lowlevel._validation import check_timeout
from ._waitqueue import TIMED_OUT, WaitQueue, queue_of, waiters_in, waiting_in
from .statistics import EventStatistics

__all__ = ("Event",)


class _Generation:
    """One generation of an event: set once, with the waiters that wait for
    it. An event that can be reset swaps in a new generation with one write,
    so a waiter that started before the reset is woken by the set it waited
    for, never lost."""

    __slots__ = ("unset", "waiters")

    def __init__(self) -> None:
        self.unset = [None]  # emptied, atomically and once, by set()
        self.waiters: List[WaitQueue] = []  # the wait queue, on first wait

    def recheck(self) -> None:
        """After parking: set() may have run before the entry was in."""
        if not self.unset:
            self.waiters[0].unpark_all()


class Event:
    """A one-time event: once set, it stays set and every wait returns True.

    `set()` wakes the waiters oldest first, in O(n) in total.
    """

    __slots__ = ("__weakref__", "_generation")

    _generation: _Generation

    def __new__(cls) -> Event:
        self = object.__new__(cls)
        self._generation = _Generation()
        return self

    def __reduce__(self) -> Any:
        return (type(self), ())

    def __copy__(self) -> Event:
        return type(self)()

    def __repr__(self) -> str:
        cls = type(self)
        name = f"{cls.__module__}.{cls.__qualname__}"
        if not self._generation.unset:
            return f"<{name}() at {id(self):#x} [set]>"
        return f"<{name}() at {id(self):#x} [unset, waiting={self.waiting}]>"

    def __bool__(self) -> bool:
        return not self._generation.unset

    def is_set(self) -> bool:
        """Whether the event is set."""
        return not self._generation.unset

    @property
    def waiting(self) -> int:
        """The number of tasks waiting for the event."""
        return waiting_in(self._generation.waiters)

    def statistics(self) -> EventStatistics:
        """A snapshot of the event's state and waiters."""
        generation = self._generation
        return EventStatistics(not generation.unset, waiters_in(generation.waiters))

    def set(self) -> None:
        """Set the event and wake every waiter, oldest first."""
        generation = self._generation
        try:
            generation.unset.pop()
        except IndexError:
            return
        if generation.waiters:
            generation.waiters[0].unpark_all()

    # -- green side ------------------------------------------------------------

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block until the event is set (True) or `timeout` expires (False)."""
        if timeout is not None:
            timeout = check_timeout(timeout)
        generation = self._generation
        if generation.unset and timeout != 0:
            queue = queue_of(generation.waiters)
            return queue.green_park(None, timeout, recheck=generation.recheck) is not TIMED_OUT
        lib = green_checkpoint_library()
        if lib is not None:
            lib.backend.checkpoint()
        return not generation.unset

    # -- async side ------------------------------------------------------------

    def __await__(self) -> Generator[Any, Any, bool]:
        # `with_()` without a timeout, written out: awaiting it from here
        # would add a frame to every blocked task, and to every wake-up.
        generation = self._generation
        if generation.unset:
            queue = queue_of(generation.waiters)
            park = queue.async_park(None, None, recheck=generation.recheck)
            return (yield from park.__await__()) is not TIMED_OUT
        lib = async_checkpoint_library()
        if lib is not None:
            yield from lib.backend.checkpoint().__await__()
        return not generation.unset

    async def with_(self, timeout: Optional[float] = None) -> bool:
        """Wait until the event is set (True) or `timeout` expires (False)."""
        if timeout is not None:
            timeout = check_timeout(timeout)
        generation = self._generation
        if generation.unset and timeout != 0:
            queue = queue_of(generation.waiters)
            return await queue.async_park(None, timeout, recheck=generation.recheck) is not TIMED_OUT
        lib = async_checkpoint_library()
        if lib is not None:
            await lib.backend.checkpoint()
        return not generation.unset
