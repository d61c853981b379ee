"""`Condition`: a condition variable over an aiologic lock, a thread lock,
or no lock at all.

A waiter parks in the condition's own wait queue, releases the lock only
once its entry is in (so a notifier holding the lock cannot miss it), and
re-takes the lock through the lock's public acquire methods before it
returns: also after a timeout, and after cancellation, which it holds back
until it holds the lock again. The condition knows nothing of how the lock
works inside.

Each entry carries the waiter's start time on the condition's timer and,
for `wait_for`/`for_` with delegation, its predicate. A notifier wakes the
oldest entries that started at or before its deadline (skipping, and
leaving in place, those whose delegated predicate is false) and counts only
the wake-ups that took effect: a waiter that gave up at that very moment is
not counted, and one that was woken but cancelled anyway passes the wake-up
on to the next waiter.
"""

from __future__ import annotations

import itertools
import sys
from typing import Any, Awaitable, Callable, Dict, Generator, Generic, List, Optional, Tuple, TypeVar, overload

from .lowlevel._checkpoints import async_checkpoint_library, green_checkpoint_library
from .lowlevel._libraries import async_library, async_task_ident
from .lowlevel._originals import allocate_lock
from .lowlevel._originals import get_ident as _get_ident
from .lowlevel._originals import monotonic as _monotonic
from .lowlevel._validation import check_int, check_timeout
from .lowlevel._wakeups import close_batch, open_batch
from .meta import DEFAULT
from ._lock import Lock
from ._rlock import RLock, async_acquire_shielded, green_acquire_shielded
from ._tokens import TokenPrimitive
from ._waitqueue import TIMED_OUT, WaitQueue, queue_of, waiters_in, waiting_in
from .statistics import ConditionStatistics

__all__ = ("Condition",)

_T = TypeVar("_T")
_R = TypeVar("_R")

_CANNOT_WAIT = "cannot wait on un-acquired lock"
_CANNOT_NOTIFY = "cannot notify on un-acquired lock"

#: The default timer: a counter, so that a notification and a waiter that
#: arrives at the same moment are always ordered (clocks may tick coarsely).
_default_timer: Callable[[], int] = itertools.count().__next__

#: Exceptions a re-acquire lets through at once: errors, interrupts, and a
#: coroutine being closed. Anything else (asyncio's and trio's cancellation,
#: a green library's timeout or kill) is held back until the lock is taken.
_LET_THROUGH = (Exception, KeyboardInterrupt, SystemExit, GeneratorExit)

#: Per async library: whether its backend's `shield()` runs the shielded
#: awaitable in the calling task (trio's cancel scopes do; asyncio runs it as
#: a task of its own, which would own the lock instead of the waiter).
_shields_in_task: Dict[str, bool] = {}


def _green_retrying(acquire: Callable[[], Any]) -> None:
    """Call `acquire` until it completes; raise what cancelled it since."""
    pending: Optional[BaseException] = None
    while True:
        try:
            acquire()
        except _LET_THROUGH:
            raise
        except BaseException as exc:  # a timeout or kill: the lock first
            pending = pending or exc
            continue
        break
    if pending is not None:
        raise pending


async def _async_retrying(acquire: Callable[[], Awaitable[Any]]) -> Optional[BaseException]:
    """Await `acquire()` until it completes; return the first cancellation
    that interrupted it (to be raised once the caller is done)."""
    pending: Optional[BaseException] = None
    while True:
        try:
            await acquire()
        except _LET_THROUGH:
            raise
        except BaseException as exc:  # cancellation: the lock first
            pending = pending or exc
            continue
        return pending


async def _async_shielded(acquire: Callable[[], Awaitable[Any]]) -> None:
    """Await `acquire()` in the calling task, immune to cancellation, then
    re-raise a cancellation that came meanwhile.

    A library whose cancellation persists (trio's cancel scopes) is shielded
    through its backend; one whose cancellation is delivered once (asyncio)
    is retried until it completes. Which one a library is shows on first
    use: the backend's shield either runs our probe in this task or not."""
    lib = async_library()
    pending: Optional[BaseException] = None
    if _shields_in_task.get(lib.name) is not False:
        ident = async_task_ident()
        outcome: List[Optional[BaseException]] = []

        async def here() -> None:
            if async_task_ident() == ident:
                outcome.append(await _async_retrying(acquire))

        try:
            await lib.backend.shield(here())
        except _LET_THROUGH:
            raise
        except BaseException as exc:  # the cancellation, re-raised after the shield
            pending = exc
        _shields_in_task[lib.name] = bool(outcome)
        if outcome:
            pending = pending or outcome[0]
            if pending is not None:
                raise pending
            return
    pending = pending or await _async_retrying(acquire)
    if pending is not None:
        raise pending


# -- what the condition does with each kind of lock ----------------------------


class _NoLock:
    """`Condition(None)`: nothing to take; waits and notifies work anywhere."""

    __slots__ = ()

    def owns(self, is_async: bool) -> bool:
        return True

    def held(self) -> bool:
        return False

    def may_notify(self) -> bool:
        return True

    def release(self, is_async: bool) -> Any:
        return None

    def green_restore(self, state: Any) -> None:
        pass

    async def async_restore(self, state: Any) -> None:
        pass

    def green_enter(self) -> None:
        self.green_checkpoint()

    def exit(self, is_async: bool) -> None:
        pass

    async def async_enter(self) -> None:
        await self.async_checkpoint()

    # The checkpoint of a wait that need not wait (a predicate already true),
    # made while the caller holds the lock.

    def green_checkpoint(self) -> None:
        lib = green_checkpoint_library()
        if lib is not None:
            lib.backend.checkpoint()

    async def async_checkpoint(self) -> None:
        lib = async_checkpoint_library()
        if lib is not None:
            await lib.backend.checkpoint()


class _ThreadLock(_NoLock):
    """A `threading`-style lock (``acquire``/``release``): always taken
    synchronously, also by async waiters (blocking their thread)."""

    __slots__ = ("lock", "_release_save", "_acquire_restore", "_is_owned")

    def __init__(self, lock: Any) -> None:
        self.lock = lock
        # A reentrant thread lock is released fully and restored to its level
        # through these, as `threading.Condition` does.
        self._release_save = getattr(lock, "_release_save", None)
        self._acquire_restore = getattr(lock, "_acquire_restore", None)
        self._is_owned = getattr(lock, "_is_owned", None)

    def owns(self, is_async: bool) -> bool:
        # A reentrant lock knows its owner; a plain one is "owned" while held.
        if self._is_owned is not None:
            return bool(self._is_owned())
        return self.held()

    def held(self) -> bool:
        locked = getattr(self.lock, "locked", None)
        if locked is not None:
            return bool(locked())
        if self._is_owned is not None and self._is_owned():
            return True
        if self.lock.acquire(False):
            self.lock.release()
            return False
        return True

    def may_notify(self) -> bool:
        return True  # a thread lock has no owner to check

    # No switch while holding a thread lock: another task of this thread
    # that asked for it would block the whole thread, the holder included.

    def green_checkpoint(self) -> None:
        pass

    async def async_checkpoint(self) -> None:
        pass

    def release(self, is_async: bool) -> Any:
        if self._release_save is not None:
            return self._release_save()
        self.lock.release()
        return None

    def green_restore(self, state: Any) -> None:
        if self._acquire_restore is not None:
            self._acquire_restore(state)
        else:
            self.lock.acquire()

    async def async_restore(self, state: Any) -> None:
        self.green_restore(state)

    def green_enter(self) -> None:
        self.lock.acquire()

    def exit(self, is_async: bool) -> None:
        self.lock.release()

    async def async_enter(self) -> None:
        # The whole checkpoint comes first, before the lock is held.
        await _NoLock.async_checkpoint(self)
        self.lock.acquire()


class _MixedLock(_NoLock):
    """An aiologic `Lock`, `RLock` or binary semaphore: both faces, each
    through its own acquire and release methods."""

    __slots__ = ("lock", "_reentrant", "_has_owner", "_ours")

    def __init__(self, lock: Any) -> None:
        self.lock = lock
        self._ours = isinstance(lock, TokenPrimitive)
        self._reentrant = hasattr(lock, "green_count")
        self._has_owner = hasattr(lock, "green_owned")

    def owns(self, is_async: bool) -> bool:
        lock = self.lock
        if self._has_owner:
            return bool(lock.async_owned() if is_async else lock.green_owned())
        return not lock.value  # a binary semaphore: taken while at 0

    def held(self) -> bool:
        lock = self.lock
        return bool(lock.locked()) if self._has_owner else not lock.value

    def may_notify(self) -> bool:
        return self.held()

    def _args(self, level: Any) -> Tuple[Any, ...]:
        return () if level is None else (level,)

    def release(self, is_async: bool) -> Any:
        """Release every level the caller holds; returns that level."""
        lock = self.lock
        level = None
        if self._reentrant:
            level = lock.async_count() if is_async else lock.green_count()
        (lock.async_release if is_async else lock.green_release)(*self._args(level))
        return level

    # Uncontended, the lock is taken back without a second checkpoint.
    # Contended, aiologic's own locks are waited for in their queue with the
    # cancellation held back; other lock-alikes are retried until taken.

    def green_restore(self, level: Any) -> None:
        args = self._args(level)
        if not self.lock.green_acquire(*args, blocking=False):
            if self._ours:
                green_acquire_shielded(self.lock, level)
            else:
                _green_retrying(lambda: self.lock.green_acquire(*args))

    async def async_restore(self, level: Any) -> None:
        args = self._args(level)
        if not await self.lock.async_acquire(*args, blocking=False):
            if self._ours:
                await async_acquire_shielded(self.lock, level)
            else:
                await _async_shielded(lambda: self.lock.async_acquire(*args))

    def green_enter(self) -> None:
        self.lock.green_acquire()

    def exit(self, is_async: bool) -> None:
        if is_async:
            self.lock.async_release()
        else:
            self.lock.green_release()

    async def async_enter(self) -> None:
        await self.lock.async_acquire()


class _OwnLock(_MixedLock):
    """aiologic's own locks: `with cv` goes through their `with`, which is
    the same as their methods with the fast paths inlined."""

    __slots__ = ()

    def green_enter(self) -> None:
        self.lock.__enter__()

    def exit(self, is_async: bool) -> None:
        if is_async:
            self.lock.async_release()
        else:
            self.lock.__exit__(None, None, None)


def _lock_kind(lock: Any) -> _NoLock:
    if lock is None:
        return _NoLock()
    if isinstance(lock, TokenPrimitive):
        return _OwnLock(lock)
    if hasattr(lock, "green_acquire"):
        return _MixedLock(lock)
    return _ThreadLock(lock)


class _WaitFor:
    """The loop of `wait_for`/`for_`, written once for both faces: evaluate
    the predicate, and tell whether (and how long) to wait again."""

    __slots__ = ("predicate", "delegated", "deadline", "remaining", "result", "waited")

    def __init__(self, predicate: Callable[[], Any], timeout: Optional[float], delegate: bool) -> None:
        self.predicate = predicate
        self.delegated = predicate if delegate else None
        self.remaining = timeout
        self.deadline = None if timeout is None else _monotonic() + timeout
        self.result: Any = None
        self.waited = False

    def again(self) -> bool:
        self.result = result = self.predicate()
        if result:
            return False
        if self.waited and self.deadline is not None:
            self.remaining = self.deadline - _monotonic()
            if self.remaining <= 0:
                return False
        self.waited = True
        return True


def _delegated_true(predicate: Callable[[], Any]) -> bool:
    try:
        return bool(predicate())
    except Exception:
        return True  # the waiter evaluates it again itself, and sees the error


class Condition(Generic[_T]):
    """A condition variable: tasks wait (releasing the lock) until notified.

    ``Condition()`` uses a new `RLock`; any aiologic `Lock`, `RLock` or
    binary semaphore, a `threading` lock, or None (no lock) may be given.
    """

    __slots__ = ("__weakref__", "_lock", "_timer", "_kind", "_waiters", "_guard", "_waking")

    _lock: _T
    _timer: Callable[[], Any]
    _kind: _NoLock
    _waiters: List[WaitQueue]
    _guard: Any
    _waking: Optional[int]

    @overload
    def __new__(cls) -> Condition[RLock]: ...

    @overload
    def __new__(cls, lock: _T, timer: Callable[[], Any] = ...) -> Condition[_T]: ...

    def __new__(cls, lock: Any = DEFAULT, timer: Any = DEFAULT) -> Any:
        self = object.__new__(cls)
        self._lock = RLock() if lock is DEFAULT else lock  # type: ignore[assignment]
        self._timer = _default_timer if timer is DEFAULT else timer
        self._kind = _lock_kind(self._lock)
        self._waiters = []
        # Wakers take turns (see `_wake`); `_waking` is the thread whose turn
        # it is.
        self._guard = allocate_lock()
        self._waking = None
        return self

    def __reduce__(self) -> Any:
        if type(self._kind) is _ThreadLock:
            # As for the thread lock itself (PyPy would raise a PicklingError).
            raise TypeError(f"cannot pickle {type(self).__qualname__!r} object over a thread lock")
        if self._timer is _default_timer:
            return (type(self), (self._lock,))
        return (type(self), (self._lock, self._timer))

    def __copy__(self) -> Condition[_T]:
        return type(self)(self._lock, self._timer)

    def __repr__(self) -> str:
        cls = type(self)
        name = f"{cls.__module__}.{cls.__qualname__}"
        lock = self._lock
        args = "None" if lock is None else f"<{type(lock).__module__}.{type(lock).__qualname__}>"
        if self._timer is not _default_timer:
            args += f", timer={self._timer!r}"
        return f"<{name}({args}) at {id(self):#x} [waiting={self.waiting}]>"

    def __bool__(self) -> bool:
        return self._kind.held()

    @property
    def lock(self) -> _T:
        """The lock given to the constructor (None for no lock)."""
        return self._lock

    @property
    def timer(self) -> Callable[[], Any]:
        """The callable that stamps waiters and notifications."""
        return self._timer

    @property
    def waiting(self) -> int:
        """The number of tasks waiting to be notified."""
        return waiting_in(self._waiters)

    def statistics(self) -> ConditionStatistics:
        """A snapshot of the lock's state (for an aiologic `Lock` or `RLock`)
        and of the waiters."""
        lock = self._lock
        stats = lock.statistics() if isinstance(lock, Lock) else None
        return ConditionStatistics(stats, waiters_in(self._waiters))

    # -- waiting (the steps both faces share) ---------------------------------

    def _begin(self, is_async: bool, predicate: Optional[Callable[[], Any]]) -> Tuple[Any, List[Any], Callable[[], None]]:
        """Check ownership; return the entry's payload, where the saved lock
        state will go, and the release to run once the entry is in."""
        kind = self._kind
        if not kind.owns(is_async):
            raise RuntimeError(_CANNOT_WAIT)
        saved: List[Any] = []

        def release() -> None:
            saved.append(kind.release(is_async))

        return (self._timer(), predicate), saved, release

    def _pass_on(self, deadline: Any) -> None:
        # A wake-up that reached a waiter cancelled at that very moment: the
        # next waiter gets it (it re-checks its own predicate, if any).
        self._wake(1, deadline, False)

    # -- green side ------------------------------------------------------------

    def _green_wait(self, timeout: Optional[float], predicate: Optional[Callable[[], Any]]) -> bool:
        payload, saved, release = self._begin(False, predicate)
        queue = queue_of(self._waiters)
        try:
            result = queue.green_park(payload, timeout, recheck=release, on_lost=self._pass_on)
        finally:
            if saved:
                self._kind.green_restore(saved[0])
        return result is not TIMED_OUT

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Release the lock, wait until notified (True) or until `timeout`
        expires (False), and take the lock back before returning, raising."""
        if timeout is not None:
            timeout = check_timeout(timeout)
        return self._green_wait(timeout, None)

    def wait_for(self, predicate: Callable[[], _R], timeout: Optional[float] = None, *, delegate: bool = True) -> _R:
        """Wait until `predicate()` is true and return its value; on timeout
        return its last (false) value. With `delegate`, a notifier evaluates
        it first and wakes this waiter only when it is true."""
        if timeout is not None:
            timeout = check_timeout(timeout)
        if not self._kind.owns(False):
            raise RuntimeError(_CANNOT_WAIT)
        steps = _WaitFor(predicate, timeout, delegate)
        if not steps.again():
            self._kind.green_checkpoint()
            return steps.result  # type: ignore[no-any-return]
        while True:
            self._green_wait(steps.remaining, steps.delegated)
            if not steps.again():
                return steps.result  # type: ignore[no-any-return]

    def __enter__(self) -> Condition[_T]:
        self._kind.green_enter()
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._kind.exit(False)

    # -- async side ------------------------------------------------------------

    async def _async_wait(self, timeout: Optional[float], predicate: Optional[Callable[[], Any]]) -> bool:
        payload, saved, release = self._begin(True, predicate)
        queue = queue_of(self._waiters)
        try:
            result = await queue.async_park(payload, timeout, recheck=release, on_lost=self._pass_on)
        finally:
            if saved:
                await self._kind.async_restore(saved[0])
        return result is not TIMED_OUT

    def __await__(self) -> Generator[Any, Any, bool]:
        return (yield from self.with_().__await__())

    async def with_(self, timeout: Optional[float] = None) -> bool:
        """Release the lock, wait until notified (True) or until `timeout`
        expires (False), and take the lock back before returning, raising."""
        if timeout is not None:
            timeout = check_timeout(timeout)
        return await self._async_wait(timeout, None)

    async def for_(self, predicate: Callable[[], _R], timeout: Optional[float] = None, *, delegate: bool = True) -> _R:
        """Wait until `predicate()` is true and return its value; on timeout
        return its last (false) value. With `delegate`, a notifier evaluates
        it first and wakes this waiter only when it is true."""
        if timeout is not None:
            timeout = check_timeout(timeout)
        if not self._kind.owns(True):
            raise RuntimeError(_CANNOT_WAIT)
        steps = _WaitFor(predicate, timeout, delegate)
        if not steps.again():
            await self._kind.async_checkpoint()
            return steps.result  # type: ignore[no-any-return]
        while True:
            await self._async_wait(steps.remaining, steps.delegated)
            if not steps.again():
                return steps.result  # type: ignore[no-any-return]

    async def __aenter__(self) -> Condition[_T]:
        await self._kind.async_enter()
        return self

    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._kind.exit(True)

    # -- notifying -------------------------------------------------------------

    def notify(self, count: int = 1, *, deadline: Optional[Any] = None) -> int:
        """Wake the `count` oldest waiters that started waiting at or before
        `deadline` (by the timer; default: now); returns how many woke."""
        if type(count) is not int:
            count = check_int(count, "count")
        if not self._kind.may_notify():
            raise RuntimeError(_CANNOT_NOTIFY)
        holder = self._waiters
        if count <= 0 or not holder or not holder[0]._parked:
            return 0  # nobody to wake: no need to read the timer
        return self._wake(count, self._timer() if deadline is None else deadline, True)

    def notify_all(self, *, deadline: Optional[Any] = None) -> int:
        """Wake every waiter that started waiting at or before `deadline`
        (by the timer; default: now); returns how many woke."""
        if not self._kind.may_notify():
            raise RuntimeError(_CANNOT_NOTIFY)
        holder = self._waiters
        if not holder or not holder[0]._parked:
            return 0
        return self._wake(sys.maxsize, self._timer() if deadline is None else deadline, True)

    def _wake(self, count: int, deadline: Any, delegate: bool) -> int:
        # A waker takes entries out to look at them (their start, their
        # predicate) and puts back those it leaves asleep: two wakers at once
        # could each miss what the other holds out, so they take turns. They
        # overlap where the lock does not order them: a cancelled waiter
        # passing a wake-up on, a thread lock's notifiers, no lock. The turn
        # lasts a few list operations (and the delegated predicates); a waker
        # nested in the same thread (a predicate notifying, a signal handler)
        # goes on without waiting for itself.
        if not self._waiters:
            return 0
        me = _get_ident()
        if self._waking == me:
            return self._wake_now(count, deadline, delegate)
        with self._guard:
            self._waking = me
            try:
                return self._wake_now(count, deadline, delegate)
            finally:
                self._waking = None

    def _wake_now(self, count: int, deadline: Any, delegate: bool) -> int:
        queue = self._waiters[0]
        woken = 0
        kept: List[Tuple[Any, Any]] = []
        # Threads woken in bulk wait for the end of the batch before they run.
        gate = open_batch() if count > 1 else None
        try:
            while woken < count:
                entry = queue.pop()
                if entry is None:
                    break
                event, (started, predicate) = entry
                if started > deadline:  # it came after the notification, and so did the rest
                    kept.append(entry)
                    break
                if delegate and predicate is not None and not _delegated_true(predicate):
                    kept.append(entry)  # left asleep: not counted
                    continue
                # The value is the deadline, for a pass-on (`_pass_on`).
                if event.set(deadline):
                    woken += 1
        finally:
            close_batch(gate)
            if kept:
                queue.put_back(kept)
        return woken
