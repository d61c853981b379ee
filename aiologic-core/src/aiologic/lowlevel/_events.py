"""Low-level events: a waiter with state, for one wait by one task.

This is the building block of every primitive. A primitive queues an event
for each blocked task and hands it a permit, an item or a wake-up with
`set()`. The one-element list `_flag` decides the race between `set()` and
the waiting side giving up (timeout or cancellation): whoever pops the element
first wins, and `list.pop()` is atomic under the GIL and under free-threading.
So `set()` returns True only if the waiting task will see the hand-off, and a
primitive whose `set()` returned False passes the hand-off on to the next
waiter. A waiting task that loses the pop while giving up was handed
something: the primitive's cancellation path gives it back.

The event picks its library when the wait starts (through the cheap probes of
`_libraries`), so it may be created anywhere.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable, Generator, List, Optional, Protocol

from ._checkpoints import async_enabled, green_enabled
from ._libraries import async_library, green_library
from ._validation import check_timeout

__all__ = ("AsyncEvent", "Event", "GreenEvent", "create_async_event", "create_green_event")


class Event(Protocol):
    """What green and async low-level events have in common."""

    __slots__ = ()

    shield: bool
    force: bool

    def set(self) -> bool:
        """Set the event; True only for the call that took effect."""

    def is_set(self) -> bool:
        """Whether the event was set (and the wait was not given up first)."""

    def cancelled(self) -> bool:
        """Whether the wait gave up (timeout or cancellation) before a set."""

    def __bool__(self) -> bool: ...


class GreenEvent(Event, ABC):
    """A low-level event waited for by a thread or a greenlet."""

    __slots__ = ()

    @abstractmethod
    def set(self) -> bool: ...

    @abstractmethod
    def is_set(self) -> bool: ...

    @abstractmethod
    def cancelled(self) -> bool: ...

    @abstractmethod
    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block until set (True) or until `timeout` expires (False)."""


class AsyncEvent(Event, ABC):
    """A low-level event awaited by an async task."""

    __slots__ = ()

    @abstractmethod
    def set(self) -> bool: ...

    @abstractmethod
    def is_set(self) -> bool: ...

    @abstractmethod
    def cancelled(self) -> bool: ...

    @abstractmethod
    def __await__(self) -> Generator[Any, Any, bool]: ...

    @abstractmethod
    async def with_(self, timeout: Optional[float] = None) -> bool:
        """Suspend until set (True) or until `timeout` expires (False)."""


#: A test hook (aiologic-testing's `pause_before_give_up`): when set, the
#: waiting side calls it with the event after its wait ended without a
#: wake-up (timeout or exception) and before it gives up. That is the window
#: in which a `set()` and a give-up race; a test that pauses there can force
#: either order. None in normal use, and read only on that path.
race_hook: Optional[Callable[[Any], None]] = None

# `_waiter` is None before the wait, the backend's waiter during it, and
# _DONE after it. `_outcome` is None until decided, then True (set) or False
# (given up); the waiting side always knows it once its wait returns.
_DONE: Any = object()


class _EventState:
    __slots__ = ("_flag", "_outcome", "_waiter", "shield", "force", "__weakref__")

    _flag: List[None]
    _outcome: Optional[bool]
    _waiter: Any
    shield: bool
    force: bool

    def set(self) -> bool:
        try:
            self._flag.pop()
        except IndexError:
            return False
        self._outcome = True
        waiter = self._waiter
        if waiter is not None and waiter is not _DONE:
            waiter.wake()
        return True

    def is_set(self) -> bool:
        return self._outcome is True

    def cancelled(self) -> bool:
        return self._outcome is False

    def __bool__(self) -> bool:
        return self._outcome is True

    def _give_up(self) -> bool:
        """Called by the waiting side on timeout or cancellation: True if the
        wait was given up before any set(), False if a set() won. Calling it
        again gives the same answer."""
        outcome = self._outcome
        if outcome is not None:
            return outcome is False
        try:
            self._flag.pop()
        except IndexError:
            self._outcome = True
            return False
        self._outcome = False
        return True

    def _begin(self) -> bool:
        """Start the wait; True if it is already decided."""
        waiter = self._waiter
        if waiter is not None:
            if waiter is _DONE:
                return True
            raise RuntimeError("this event is already being waited for")
        if not self._flag:
            self._waiter = _DONE
            if self._outcome is None:
                self._outcome = True  # set() popped and has not written yet
            return True
        return False

    def __reduce__(self) -> Any:
        raise TypeError(f"cannot pickle {type(self).__qualname__!r} object")

    def __repr__(self) -> str:
        if self._outcome is True:
            state = "set"
        elif self._outcome is False:
            state = "cancelled"
        else:
            state = "unset"
        kind = "GreenEvent" if isinstance(self, GreenEvent) else "AsyncEvent"
        return f"<aiologic.lowlevel.{kind} object at {id(self):#x}: {state}>"


class _GreenEvent(_EventState, GreenEvent):
    __slots__ = ()

    def __init__(self, shield: bool = False, force: bool = False) -> None:
        self._flag = [None]
        self._outcome = None
        self._waiter = None
        self.shield = shield
        self.force = force

    def wait(self, timeout: Optional[float] = None) -> bool:
        if timeout is not None:
            timeout = check_timeout(timeout)
        if self._begin():
            self._checkpoint()
            return self._outcome is True
        try:
            lib = green_library()
            waiter = lib.backend.create_waiter(shield=self.shield)
        except BaseException:
            self._give_up()
            self._waiter = _DONE
            raise
        self._waiter = waiter
        if not self._flag:  # set() came between _begin() and now
            self._waiter = _DONE
            self._outcome = True
            self._checkpoint(lib)
            return True
        if timeout == 0 and not self.shield:
            self._checkpoint(lib)
            woken = False
        else:
            try:
                woken = waiter.wait(timeout)
            except BaseException:
                if race_hook is not None:
                    race_hook(self)
                self._give_up()
                self._waiter = _DONE
                raise
        if not woken:
            if race_hook is not None:
                race_hook(self)
            self._give_up()
        elif self._outcome is None:
            self._outcome = True
        self._waiter = _DONE
        return self._outcome is True

    def _checkpoint(self, lib: Any = None) -> None:
        if lib is None:
            lib = green_library()
        if self.force or green_enabled(lib):
            lib.backend.checkpoint()


class _AsyncEvent(_EventState, AsyncEvent):
    __slots__ = ()

    def __init__(self, shield: bool = False, force: bool = False) -> None:
        self._flag = [None]
        self._outcome = None
        self._waiter = None
        self.shield = shield
        self.force = force

    def __await__(self) -> Generator[Any, Any, bool]:
        return (yield from self.with_().__await__())

    async def with_(self, timeout: Optional[float] = None) -> bool:
        if timeout is not None:
            timeout = check_timeout(timeout)
        if self._begin():
            lib = async_library()
            if self.force or async_enabled(lib):
                await lib.backend.checkpoint()
            return self._outcome is True
        try:
            lib = async_library()
            waiter = lib.backend.create_waiter(shield=self.shield)
        except BaseException:
            self._give_up()
            self._waiter = _DONE
            raise
        self._waiter = waiter
        if not self._flag:  # set() came between _begin() and now
            self._waiter = _DONE
            self._outcome = True
            if self.force or async_enabled(lib):
                await lib.backend.checkpoint()
            return True
        if timeout == 0 and not self.shield:
            woken = False
            if self.force or async_enabled(lib):
                try:
                    await lib.backend.checkpoint()
                except BaseException:
                    self._give_up()
                    self._waiter = _DONE
                    raise
        else:
            try:
                woken = await waiter.with_(timeout)
            except BaseException:
                if race_hook is not None:
                    race_hook(self)
                self._give_up()
                self._waiter = _DONE
                raise
        if not woken:
            if race_hook is not None:
                race_hook(self)
            self._give_up()
        elif self._outcome is None:
            self._outcome = True
        self._waiter = _DONE
        return self._outcome is True


def create_green_event(*, shield: bool = False, force: bool = False) -> GreenEvent:
    """A new low-level event for one wait by a thread or greenlet."""
    return _GreenEvent(shield, force)


def create_async_event(*, shield: bool = False, force: bool = False) -> AsyncEvent:
    """A new low-level event for one wait by an async task."""
    return _AsyncEvent(shield, force)
