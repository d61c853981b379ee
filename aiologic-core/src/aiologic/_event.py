"""`Event`: a one-time event (API.md 3.1)."""

from __future__ import annotations

from typing import Any, Deque, Generator, List, Optional

from .lowlevel import _libraries
from .lowlevel._checkpoints import async_checkpoint_enabled, green_checkpoint_enabled
from .lowlevel._events import _AsyncEvent, _GreenEvent
from .lowlevel._libraries import async_library, current_async_library_tlocal, green_library
from .lowlevel._validation import check_timeout
from .lowlevel._wakeups import close_batch, open_batch
from ._waitqueue import count_waiters, discard, waiter_queue

__all__ = ("Event",)


class Event:
    """A one-time event: once set, it stays set and every wait returns True.

    `set()` wakes the waiters oldest first, in O(n) in total.
    """

    __slots__ = ("__weakref__", "_unset", "_waiters")

    _unset: List[None]
    _waiters: List[Deque[Any]]

    def __new__(cls) -> Event:
        self = object.__new__(cls)
        self._unset = [None]  # emptied, atomically and once, by set()
        self._waiters = []
        return self

    def __reduce__(self) -> Any:
        return (type(self), ())

    def __copy__(self) -> Event:
        return type(self)()

    def __repr__(self) -> str:
        cls = type(self)
        name = f"{cls.__module__}.{cls.__qualname__}"
        if not self._unset:
            return f"<{name}() at {id(self):#x} [set]>"
        return f"<{name}() at {id(self):#x} [unset, waiting={self.waiting}]>"

    def __bool__(self) -> bool:
        return not self._unset

    def is_set(self) -> bool:
        """Whether the event is set."""
        return not self._unset

    @property
    def waiting(self) -> int:
        """The number of tasks waiting for the event."""
        return count_waiters(self._waiters)

    def set(self) -> None:
        """Set the event and wake every waiter, oldest first."""
        try:
            self._unset.pop()
        except IndexError:
            return
        holder = self._waiters
        if holder and holder[0]:
            waiters = holder[0]
            popleft = waiters.popleft
            gate = open_batch()
            error: Optional[BaseException] = None
            try:
                while waiters:
                    try:
                        event = popleft()
                    except IndexError:
                        break
                    # A failing wake-up (or an interrupt) must not leave the
                    # remaining waiters asleep: wake them all, then raise.
                    try:
                        event.set()
                    except BaseException as exc:
                        error = error or exc
            finally:
                close_batch(gate)
            if error is not None:
                raise error

    # -- green side ------------------------------------------------------------

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block until the event is set (True) or `timeout` expires (False)."""
        if timeout is not None:
            timeout = check_timeout(timeout)
        checkpoints = _libraries.green_checkpoints_possible and green_checkpoint_enabled()
        if not self._unset:
            if checkpoints:
                green_library().backend.checkpoint()
            return True
        if timeout == 0:
            if checkpoints:
                green_library().backend.checkpoint()
            return not self._unset
        event = _GreenEvent()
        self._queue(event)
        try:
            success = event.wait(timeout)
        finally:
            if event.cancelled():
                discard(self._waiters, event)
        return success

    def _queue(self, event: Any) -> None:
        waiter_queue(self._waiters).append(event)
        if not self._unset:  # set() may have run before we queued
            event.set()
            discard(self._waiters, event)

    # -- async side ------------------------------------------------------------

    def __await__(self) -> Generator[Any, Any, bool]:
        return (yield from self.with_().__await__())

    async def with_(self, timeout: Optional[float] = None) -> bool:
        """Wait until the event is set (True) or `timeout` expires (False)."""
        if timeout is not None:
            timeout = check_timeout(timeout)
        # trio names itself in sniffio's marker before its backend is loaded
        checkpoints = (
            _libraries.async_checkpoints_possible or current_async_library_tlocal.name is not None
        ) and async_checkpoint_enabled()
        if not self._unset:
            if checkpoints:
                await async_library().backend.checkpoint()
            return True
        if timeout == 0:
            if checkpoints:
                await async_library().backend.checkpoint()
            return not self._unset
        event = _AsyncEvent()
        self._queue(event)
        try:
            success = await event.with_(timeout)
        finally:
            if event.cancelled():
                discard(self._waiters, event)
        return success
