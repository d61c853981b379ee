"""`RLock`: a reentrant lock, owned by a task with a recursion level."""

from __future__ import annotations

from typing import Any, List, Optional, Tuple, cast

from .lowlevel import _libraries
from .lowlevel._checkpoints import async_checkpoint_library, green_checkpoint_library
from .lowlevel._libraries import async_task_ident, green_task_ident
from .lowlevel._originals import get_ident as _get_ident
from .lowlevel._validation import check_count, check_timeout
from ._lock import Lock, _Grant, _Key, _key
from ._tokens import TokenPrimitive
from ._waitqueue import TIMED_OUT, queue_of, waiters_in
from .statistics import LockStatistics

__all__ = ("RLock", "async_acquire_shielded", "green_acquire_shielded")

_NOT_HOLDING = "the current task is not holding this lock"
_UNLOCKED = "release unlocked lock"
_TOO_MANY = "lock released too many times"


class RLock(Lock):
    """A reentrant lock: the owning task may acquire it again, and must
    release it as many levels as it acquired before anyone else can take it.

    Waiters are served first-in, first-out; the release that brings the
    level to zero hands the lock, with the level the waiter asked for, to
    the oldest waiter directly.
    """

    __slots__ = ("_level",)

    # The owner's recursion level. Written only by whoever holds the lock: the
    # owner, or a releaser handing the lock to a waiter before it wakes it.
    # Meaningless while the lock is free (`count` reads 0 then).
    _level: int

    def __new__(cls) -> RLock:
        self = cast(RLock, super().__new__(cls))
        self._level = 0
        return self

    @property
    def count(self) -> int:
        """The owner's recursion level; 0 while unlocked."""
        level = self._level
        return 0 if self._tokens else level

    def statistics(self) -> LockStatistics:
        """A snapshot of the lock's state: owner, level, waiters."""
        owner = self.owner
        return LockStatistics(owner, 0 if owner is None else self._level, waiters_in(self._waiters))

    # -- hand-off (see `_tokens`): the waiter's payload is (key, level) -------
    # Owners are recorded by key, as `Lock` does (see `_lock._Key`).

    def _granting(self, event: Any, payload: Any) -> None:
        key, level = payload
        self._level = level  # before the grant: `count` shows it at once
        self._owner = _Grant(key, event)

    def _acquire_now(self, key: _Key, count: int) -> bool:
        """Re-enter or take the free lock without waiting."""
        if self._owner == key:  # the owner itself: nobody else writes now
            self._level += count
            return True
        try:
            self._tokens.pop()
        except IndexError:
            return False
        self._level = count
        self._owner = key
        return True

    def _release_levels(self, key: _Key, count: int) -> None:
        if self._tokens:
            raise RuntimeError(_UNLOCKED)
        if not self._owns(key):
            raise RuntimeError(_NOT_HOLDING)
        level = self._level - count
        if level < 0:
            raise RuntimeError(_TOO_MANY)
        if level:
            self._level = level
        else:
            self._release()  # free, or handed to the oldest waiter

    # -- green side ------------------------------------------------------------

    def green_acquire(self, count: int = 1, *, blocking: bool = True, timeout: Optional[float] = None) -> bool:
        """Acquire `count` levels for the current thread or greenlet (again,
        if it owns the lock already); True on success, False if not acquired
        (``blocking=False`` or timeout)."""
        if type(count) is not int or count != 1:
            count = check_count(count)
        if timeout is not None:
            timeout = check_timeout(timeout)
        ident = green_task_ident()
        key = _key(ident)
        lib = green_checkpoint_library() if blocking else None
        if lib is not None:
            lib.backend.checkpoint_before()
        if not self._acquire_now(key, count):
            if type(key) is int:
                self._check_thread_deadlock()
            if blocking and timeout != 0:
                if self._green_wait((key, count), timeout, ident):
                    self._owner = key  # the grant took effect: ours now
                    return True
                return False
            if lib is not None:
                lib.backend.checkpoint_after()
            return False
        if lib is not None:
            lib.backend.checkpoint_after()
        return True

    def green_release(self, count: int = 1) -> None:
        """Release `count` levels; at level 0 the lock passes to the oldest
        waiter at once."""
        if type(count) is not int or count != 1:
            count = check_count(count)
        if self._tokens:  # before asking who we are: see `async_release`
            raise RuntimeError(_UNLOCKED)
        self._release_levels(_key(green_task_ident()), count)

    def green_count(self) -> int:
        """The current thread's or greenlet's level (0 if not the owner)."""
        level = self._level
        return level if self._owns(_key(green_task_ident())) else 0

    # `with` repeats the fast paths of `green_acquire()` (`_acquire_now`) and
    # `green_release()` (`_release_levels`) instead of calling them: a call is
    # a large part of an uncontended acquire's cost. tests/test_rlock.py runs
    # both.

    def __enter__(self) -> RLock:
        key = _key(green_task_ident())
        if _libraries.green_checkpoints_possible and green_checkpoint_library() is not None:
            self.green_acquire()
            return self
        if self._owner == key:
            self._level += 1
            return self
        try:
            self._tokens.pop()
        except IndexError:
            self.green_acquire()  # contended (or a deadlock to refuse)
            return self
        self._level = 1
        self._owner = key
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        owner = self._owner
        # A plain thread leaving its own block needs no detection: compare
        # the thread identifier first.
        if owner != _get_ident():
            if owner is None or owner != _key(green_task_ident()):
                self.green_release()  # raises, or releases a grant not yet claimed
                return
        level = self._level - 1
        if level:
            self._level = level
        else:
            self._release()

    # -- async side ------------------------------------------------------------

    async def async_acquire(self, count: int = 1, *, blocking: bool = True, timeout: Optional[float] = None) -> bool:
        """Acquire `count` levels for the current async task (again, if it
        owns the lock already); True on success, False if not acquired
        (``blocking=False`` or timeout)."""
        if type(count) is not int or count != 1:
            count = check_count(count)
        if timeout is not None:
            timeout = check_timeout(timeout)
        ident = async_task_ident()
        lib = async_checkpoint_library(ident[0]) if blocking else None
        if lib is not None:
            await lib.backend.checkpoint_before()
        if not self._acquire_now(ident, count):
            if blocking and timeout != 0:
                if await self._async_wait((ident, count), timeout, ident) is not TIMED_OUT:
                    self._owner = ident  # the grant took effect: ours now
                    return True
                return False
            if lib is not None:
                await lib.backend.checkpoint_after()
            return False
        if lib is not None:
            await lib.backend.checkpoint_after()
        return True

    def async_release(self, count: int = 1) -> None:
        """Release `count` levels (a plain method, not a coroutine). An
        unlocked lock raises before the caller's task is looked up, so that
        plain code gets that error rather than a missing async library."""
        if type(count) is not int or count != 1:
            count = check_count(count)
        if self._tokens:
            raise RuntimeError(_UNLOCKED)
        self._release_levels(async_task_ident(), count)

    def async_count(self) -> int:
        """The current async task's level (0 if not the owner)."""
        level = self._level
        return level if self._owns(async_task_ident()) else 0

    async def __aenter__(self) -> RLock:
        await self.async_acquire()
        return self

    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.async_release()


# -- re-taking a lock that cannot be refused: what a condition wait ends with ---
#
# A condition waiter that timed out or was cancelled must hold its lock again
# before it leaves, whatever cancellation keeps arriving (anyio's cancel
# scopes re-deliver it on asyncio until the task leaves them). These park in
# the lock's own queue with a shielded wait, which holds the cancellation
# back until the lock is handed over and re-raises it then. They rely on the
# token machinery (`_tokens`) that Lock, RLock and the semaphores share.


def _shielded_payload(lock: TokenPrimitive, ident: Tuple[str, int], level: Optional[int]) -> Any:
    # What each kind's `_granting` expects of a waiter.
    if isinstance(lock, RLock):
        return (_key(ident), level)
    if isinstance(lock, Lock):
        return _key(ident)
    return None


def _claim(lock: TokenPrimitive, ident: Tuple[str, int]) -> None:
    if isinstance(lock, Lock):
        lock._owner = _key(ident)  # the grant took effect: ours now


def green_acquire_shielded(lock: TokenPrimitive, level: Optional[int] = None) -> None:
    """Acquire `lock` (with `level`, for an RLock) for the current thread or
    greenlet, waiting as long as it takes; a green timeout or kill that comes
    meanwhile is raised once the lock is held."""
    ident = green_task_ident()
    if isinstance(lock, Lock) and ident[0] == "threading":
        lock._check_thread_deadlock()
    handed: List[Any] = []
    queue = queue_of(lock._waiters)
    payload = _shielded_payload(lock, ident, level)
    try:
        queue.green_park(payload, None, recheck=lock._recheck, on_lost=handed.append, shield=True, ident=ident)
    except BaseException:
        if handed:  # handed over, then interrupted: keep it, then raise
            _claim(lock, ident)
        raise
    _claim(lock, ident)


async def async_acquire_shielded(lock: TokenPrimitive, level: Optional[int] = None) -> None:
    """Acquire `lock` (with `level`, for an RLock) for the current async task,
    waiting as long as it takes; a cancellation that comes meanwhile is
    raised once the lock is held."""
    ident = async_task_ident()
    handed: List[Any] = []
    queue = queue_of(lock._waiters)
    payload = _shielded_payload(lock, ident, level)
    try:
        await queue.async_park(payload, None, recheck=lock._recheck, on_lost=handed.append, shield=True, ident=ident)
    except BaseException:
        if handed:
            _claim(lock, ident)
        raise
    _claim(lock, ident)
