"""`CountdownEvent`: an event that is set while a counter is zero."""

from __future__ import annotations

from typing import Any, Generator, Optional, Union

from .lowlevel._checkpoints import async_checkpoint_library, green_checkpoint_library
from .lowlevel._originals import allocate_lock
from .lowlevel._validation import check_int, check_timeout
from .meta import DEFAULT, DefaultType
from ._event import _Generation
from ._waitqueue import TIMED_OUT, queue_of, waiters_in, waiting_in
from .statistics import CountdownEventStatistics

__all__ = ("CountdownEvent",)


def _set(generation: _Generation) -> _Generation:
    generation.unset.pop()  # one owner: only called under the lock, once
    return generation


class CountdownEvent:
    """An event that is set while its counter `value` is zero.

    `up()` raises the counter, `down()` lowers it by one; the `down()` (or
    `clear()`) that brings it to zero wakes every waiter, oldest first. Each
    stretch of time the counter spends above zero is one generation: a
    waiter waits for the end of the stretch it found, so an `up()` right
    after the counter reached zero does not take the wake-up away.
    """

    __slots__ = ("__weakref__", "_generation", "_value", "_initial_value", "_lock")

    _generation: _Generation
    _value: int
    _initial_value: int
    _lock: Any

    def __new__(cls, initial_value: Union[int, DefaultType] = DEFAULT) -> CountdownEvent:
        if initial_value is DEFAULT:
            initial_value = 0
        initial_value = check_int(initial_value, "initial_value")
        if initial_value < 0:
            raise ValueError("initial_value must be >= 0")
        self = object.__new__(cls)
        self._initial_value = self._value = initial_value
        self._generation = generation = _Generation()
        if not initial_value:
            generation.unset.pop()
        # `up()`, `down()` and `clear()` read and write the counter and may
        # swap the generation: a read-modify-write that must not interleave
        # across threads (two `down()`s from 2 must end at 0 with exactly one
        # of them setting the event). Waits, `value` and `statistics()` take
        # no lock; it is never held while anyone is woken.
        self._lock = allocate_lock()
        return self

    def __reduce__(self) -> Any:
        return (type(self), (self._initial_value,))

    def __copy__(self) -> CountdownEvent:
        return type(self)(self._initial_value)

    def __repr__(self) -> str:
        cls = type(self)
        name = f"{cls.__module__}.{cls.__qualname__}"
        value = self._value
        state = f"value={value}, waiting={self.waiting}" if value else "value=0"
        return f"<{name}({self._initial_value!r}) at {id(self):#x} [{state}]>"

    def __bool__(self) -> bool:
        return not self._value

    @property
    def value(self) -> int:
        """The counter; the event is set while it is zero."""
        return self._value

    @property
    def initial_value(self) -> int:
        """The value the event was created with."""
        return self._initial_value

    @property
    def waiting(self) -> int:
        """The number of tasks waiting for the counter to reach zero."""
        return waiting_in(self._generation.waiters)

    def statistics(self) -> CountdownEventStatistics:
        """A snapshot of the counter and the waiters."""
        generation = self._generation
        return CountdownEventStatistics(not generation.unset, self._value, waiters_in(generation.waiters))

    def up(self, count: int = 1) -> None:
        """Add `count` to the counter (0 does nothing)."""
        if type(count) is not int or count != 1:
            count = check_int(count, "count")
            if count < 0:
                raise ValueError("count must be >= 0")
            if not count:
                return
        with self._lock:
            if not self._value:
                self._generation = _Generation()  # a new stretch above zero
            self._value += count

    def down(self) -> None:
        """Subtract one from the counter; reaching zero wakes every waiter."""
        with self._lock:
            value = self._value
            if not value:
                raise RuntimeError("down() called too many times")
            self._value = value - 1
            if value != 1:
                return
            generation = _set(self._generation)
        if generation.waiters:
            generation.waiters[0].unpark_all()

    def clear(self) -> None:
        """Drop the counter to zero at once, waking every waiter."""
        with self._lock:
            if not self._value:
                return
            self._value = 0
            generation = _set(self._generation)
        if generation.waiters:
            generation.waiters[0].unpark_all()

    # -- green side ------------------------------------------------------------

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block until the counter is zero (True) or `timeout` expires (False)."""
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
        return (yield from self.with_().__await__())

    async def with_(self, timeout: Optional[float] = None) -> bool:
        """Wait until the counter is zero (True) or `timeout` expires (False)."""
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
