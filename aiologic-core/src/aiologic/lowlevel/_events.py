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
from typing import Any, Callable, Dict, Generator, List, Optional, Protocol, Tuple

from ._checkpoints import async_enabled, green_enabled
from ._libraries import _libraries, async_library, async_task_ident, green_library
from ._originals import get_ident
from ._originals import monotonic as _monotonic
from ._thread_locks import _once_init
from ._validation import check_timeout

__all__ = (
    "CANCELLED_EVENT",
    "DUMMY_EVENT",
    "SET_EVENT",
    "AsyncEvent",
    "CancelledEvent",
    "DummyEvent",
    "Event",
    "GreenEvent",
    "SetEvent",
    "create_async_event",
    "create_green_event",
)


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


#: What a park returns for a wait that ended without a hand-off.
TIMED_OUT: Any = object()

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
    """The state both kinds of events share, and the steps of a wait that do
    not depend on the face (see `_GreenEvent.wait`, `_AsyncEvent.with_`).

    A hand-off may carry a value (`set(value)`): a lock's level, a queue's
    item, a barrier's index. The value is written before the race is
    decided, so the waiting side finds it whichever way it learns of the
    set. This is sound because a value-carrying `set()` is made by exactly
    one party, the one that took the event off its wait queue; plain sets
    from several parties all carry True.
    """

    __slots__ = ("_flag", "_outcome", "_waiter", "_value", "shield", "force", "task", "thread", "__weakref__")

    _flag: List[None]
    _outcome: Optional[bool]
    _waiter: Any
    _value: Any
    shield: bool
    force: bool
    # Who waits: the task identifier and the OS thread identifier, written
    # by the wait queue for `statistics()` (two slots: a tuple would cost
    # each blocked task 56 bytes more); None for an event used on its own.
    task: Optional[Tuple[str, int]]
    thread: Optional[int]

    def __init__(self, shield: bool = False, force: bool = False) -> None:
        self._flag = [None]
        self._outcome = None
        self._waiter = None
        self._value = True
        self.shield = shield
        self.force = force
        self.task = self.thread = None

    def set(self, value: Any = True) -> bool:
        """Set the event, handing `value` to the waiting side; True only for
        the call that took effect before the wait was given up."""
        self._value = value
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

    def _arm(self, lib: Any) -> Any:
        """Publish a new waiter for the caller; None if a set() came first
        (it could not see the waiter, so the wait must not start)."""
        self._waiter = waiter = lib.backend.create_waiter(shield=self.shield)
        return waiter if self._flag else None

    def _first_step(self, lib: Any, timeout: Optional[float]) -> Tuple[Optional[float], Optional[float]]:
        """The timeout of the first step of a wait, and its deadline when the
        library cannot take the whole timeout at once (longer waits go in
        steps against the deadline, so backends never see a timeout longer
        than their `seconds_per_timeout`)."""
        limit = lib.backend.seconds_per_timeout
        if timeout is None or timeout <= limit or self.shield:
            return timeout, None
        return limit, _monotonic() + timeout

    def _next_step(self, lib: Any, deadline: float) -> Tuple[Any, float]:
        """The waiter and timeout of the next step, or (None, 0.0) when the
        deadline has passed, or (None, 1.0) when a set() came meanwhile."""
        remaining = deadline - _monotonic()
        if remaining <= 0:
            return None, 0.0
        waiter = self._arm(lib)
        if waiter is None:
            return None, 1.0
        return waiter, min(remaining, lib.backend.seconds_per_timeout)

    def _abandon(self) -> None:
        """The wait raised (cancellation, an error): give up unless a set()
        won, which the caller then sees in `is_set()`."""
        if race_hook is not None:
            race_hook(self)
        self._give_up()
        self._waiter = _DONE

    def _end(self, woken: bool) -> bool:
        if not woken:
            if race_hook is not None:
                race_hook(self)
            self._give_up()
        elif self._outcome is None:
            self._outcome = True
        self._waiter = _DONE
        return self._outcome is True

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

    def wait(self, timeout: Optional[float] = None) -> bool:
        if timeout is not None:
            timeout = check_timeout(timeout)
        if self._begin():
            self._checkpoint(green_library())
            return self._outcome is True
        try:
            lib = green_library()
            woken = self._block(lib, timeout)
        except BaseException:
            self._abandon()
            raise
        return self._end(woken)

    def _block(self, lib: Any, timeout: Optional[float]) -> bool:
        waiter = self._arm(lib)
        if waiter is None or (timeout == 0 and not self.shield):
            self._checkpoint(lib)
            return waiter is None
        step, deadline = self._first_step(lib, timeout)
        while not waiter.wait(step):
            if deadline is None:
                return False
            waiter, step = self._next_step(lib, deadline)
            if waiter is None:
                return step > 0
        return True

    def _checkpoint(self, lib: Any) -> None:
        if self.force or green_enabled(lib):
            lib.backend.checkpoint()


class _AsyncEvent(_EventState, AsyncEvent):
    __slots__ = ()

    def __await__(self) -> Generator[Any, Any, bool]:
        return (yield from self.with_().__await__())

    async def with_(self, timeout: Optional[float] = None) -> bool:
        return await self._park(None, None, None, None, None, timeout) is not TIMED_OUT

    async def _park(
        self,
        queue: Any,
        payload: Any,
        recheck: Optional[Callable[[], Any]],
        on_lost: Optional[Callable[[Any], Any]],
        ident: Optional[Tuple[str, int]],
        timeout: Optional[float],
    ) -> Any:
        # The whole wait of a task parked in a wait queue `queue` (see
        # `_waitqueue.WaitQueue.async_park`), in one coroutine: every layer
        # is a frame that each blocked task keeps in memory. Without a queue,
        # a plain wait. Returns the value handed over, or TIMED_OUT.
        if timeout is not None:
            timeout = check_timeout(timeout)
        lib = None
        try:
            if queue is not None:
                # Here, not when the park is created: a park that never runs
                # (a task cancelled before it started) must never be queued.
                if ident is None:
                    ident = async_task_ident()
                self.task = ident
                self.thread = get_ident()
                queue._enter(self, payload, recheck)
                # The library that named the task is the caller's: no second
                # detection (its backend is loaded, since it answered).
                lib = _libraries.get(ident[0])
            if lib is None:
                lib = async_library()
            if self._begin():
                await self._checkpoint(lib)
                woken = self._outcome is True
            else:
                waiter = self._arm(lib)
                if waiter is None or (timeout == 0 and not self.shield):
                    await self._checkpoint(lib)
                    woken = self._end(waiter is None)
                else:
                    step, deadline = self._first_step(lib, timeout)
                    # Awaiting the waiter itself when there is no timeout
                    # saves the frame of its `with_()` in every blocked task.
                    while not await (waiter if step is None else waiter.with_(step)):
                        if deadline is None:
                            woken = self._end(False)
                            break
                        waiter, step = self._next_step(lib, deadline)
                        if waiter is None:
                            woken = self._end(step > 0)
                            break
                    else:
                        # `_end(True)` inlined: a fan-out resumes every
                        # waiter through here.
                        if self._outcome is None:
                            self._outcome = True
                        self._waiter = _DONE
                        woken = self._outcome is True
        except BaseException:
            self._abandon()
            if queue is not None:
                queue._leave(self, on_lost)
            raise
        if woken:
            return True if queue is None else self._value
        if queue is not None:
            queue._discard(self)  # the give-up succeeded
        return TIMED_OUT

    async def _checkpoint(self, lib: Any) -> None:
        if self.force or async_enabled(lib):
            await lib.backend.checkpoint()


class _LockingGreenEvent(_GreenEvent):
    # `ThreadOnceLock`'s state, so that its methods apply to the event.
    __slots__ = ("_once_lock", "_once_owner", "_once_count", "_once_done")

    def __init__(self, shield: bool = False, force: bool = False) -> None:
        super().__init__(shield, force)
        _once_init(self)


class _LockingAsyncEvent(_AsyncEvent):
    __slots__ = ("_once_lock", "_once_owner", "_once_count", "_once_done")

    def __init__(self, shield: bool = False, force: bool = False) -> None:
        super().__init__(shield, force)
        _once_init(self)


def create_green_event(*, locking: bool = False, shield: bool = False, force: bool = False) -> GreenEvent:
    """A new low-level event for one wait by a thread or greenlet. With
    ``locking=True`` it also carries a `ThreadOnceLock`'s state, so that
    ``ThreadOnceLock.acquire(event)`` and its other methods apply to it."""
    if locking:
        return _LockingGreenEvent(shield, force)
    return _GreenEvent(shield, force)


def create_async_event(*, locking: bool = False, shield: bool = False, force: bool = False) -> AsyncEvent:
    """A new low-level event for one wait by an async task (``locking``: as
    for `create_green_event`)."""
    if locking:
        return _LockingAsyncEvent(shield, force)
    return _AsyncEvent(shield, force)


# -- the three constant events -------------------------------------------------


class _ConstantEvent(GreenEvent, AsyncEvent):
    """An event whose state never changes: its waits end at once."""

    __slots__ = ("__weakref__",)

    _state: bool = True
    _name: str = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        if _ConstantEvent not in cls.__bases__:
            raise TypeError(f"type '{cls.__mro__[1].__qualname__}' is not an acceptable base type")
        super().__init_subclass__(**kwargs)

    def __new__(cls) -> Any:
        return _CONSTANTS[cls]

    @property
    def shield(self) -> bool:  # type: ignore[override]
        """False: a constant event never waits, so there is nothing to shield."""
        return False

    @property
    def force(self) -> bool:  # type: ignore[override]
        """False: a constant event never waits, so it never forces a checkpoint."""
        return False

    def set(self) -> bool:
        return False

    def is_set(self) -> bool:
        return self._state

    def cancelled(self) -> bool:
        return not self._state

    def __bool__(self) -> bool:
        return self._state

    def wait(self, timeout: Optional[float] = None) -> bool:
        if timeout is not None:
            check_timeout(timeout)
        return self._state

    def __await__(self) -> Generator[Any, Any, bool]:
        return self._state
        yield  # a generator that returns at once  # noqa: B901

    async def with_(self, timeout: Optional[float] = None) -> bool:
        if timeout is not None:
            check_timeout(timeout)
        return self._state

    def __copy__(self) -> Any:
        return self

    def __deepcopy__(self, memo: object) -> Any:
        return self

    def __reduce__(self) -> str:
        return self._name

    def __repr__(self) -> str:
        return f"aiologic.lowlevel.{self._name}"


class SetEvent(_ConstantEvent):
    """The type of `SET_EVENT`: an event that is set for good."""

    __slots__ = ()
    _name = "SET_EVENT"


class DummyEvent(_ConstantEvent):
    """The type of `DUMMY_EVENT`: behaves as `SET_EVENT`, a distinct object
    (a placeholder where no real event is needed)."""

    __slots__ = ()
    _name = "DUMMY_EVENT"


class CancelledEvent(_ConstantEvent):
    """The type of `CANCELLED_EVENT`: an event whose wait was given up."""

    __slots__ = ()
    _state = False
    _name = "CANCELLED_EVENT"


for _cls in (SetEvent, DummyEvent, CancelledEvent):
    _cls.__final__ = True  # type: ignore[attr-defined]

_CONSTANTS: Dict[type, Any] = {cls: object.__new__(cls) for cls in (SetEvent, DummyEvent, CancelledEvent)}
SET_EVENT: SetEvent = _CONSTANTS[SetEvent]
DUMMY_EVENT: DummyEvent = _CONSTANTS[DummyEvent]
CANCELLED_EVENT: CancelledEvent = _CONSTANTS[CancelledEvent]
