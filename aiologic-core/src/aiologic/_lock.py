"""`Lock`: a mutex owned by the task that acquired it."""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from .lowlevel import _libraries
from .lowlevel._checkpoints import async_checkpoint_library, green_checkpoint_library
from .lowlevel._libraries import async_task_ident, green_task_ident
from .lowlevel._originals import get_ident as _get_ident
from .lowlevel._validation import check_timeout
from ._tokens import TokenPrimitive
from ._waitqueue import TIMED_OUT, waiters_in, waiting_in
from .statistics import LockStatistics

__all__ = ("Lock",)

_ALREADY_HOLDING = "the current task is already holding this lock"
_NOT_HOLDING = "the current task is not holding this lock"
_UNLOCKED = "release unlocked lock"
_THREAD_HOLDING = "the current thread is already holding this lock"


class _Grant:
    """Ownership handed to a waiter inside `release()`.

    It names the waiter and carries its event: until the event is set (the
    hand-off took effect) the waiter does not own the lock, even though it is
    named. Being one immutable value in one slot, it is read in one step:
    nobody can see the identifier of one hand-off with the event of another.
    """

    __slots__ = ("ident", "event")

    def __init__(self, ident: Any, event: Any) -> None:
        self.ident = ident
        self.event = event


class Lock(TokenPrimitive):
    """A lock owned by the task that acquired it: a thread or greenlet
    (green side), an asyncio, trio or curio task (async side).

    Waiters are served first-in, first-out, and a release hands the lock to
    the oldest waiter directly.
    """

    __slots__ = ("__weakref__", "_tokens", "_waiters", "_owner")

    _tokens: List[None]
    # `_owner` is None (unlocked, or between a release and the next grant),
    # the owner's task identifier, or a `_Grant` while a waiter that was
    # handed the lock has not resumed yet (it then writes its identifier).
    _owner: Any

    def __new__(cls) -> Lock:
        self = object.__new__(cls)
        self._tokens = [None]  # the free token; `pop()` takes it atomically
        self._waiters = []
        self._owner = None
        return self

    def __reduce__(self) -> Any:
        return (type(self), ())

    def __copy__(self) -> Lock:
        return type(self)()

    def __repr__(self) -> str:
        cls = type(self)
        name = f"{cls.__module__}.{cls.__qualname__}"
        if self._tokens:
            return f"<{name}() at {id(self):#x} [unlocked]>"
        return f"<{name}() at {id(self):#x} [locked, waiting={self.waiting}]>"

    def __bool__(self) -> bool:
        return not self._tokens

    def locked(self) -> bool:
        """Whether any task holds the lock."""
        return not self._tokens

    @property
    def owner(self) -> Optional[Tuple[str, int]]:
        """The identifier of the owning task, or None while unlocked."""
        owner = self._owner
        if type(owner) is _Grant:
            return owner.ident  # type: ignore[no-any-return]
        return owner  # type: ignore[no-any-return]

    @property
    def waiting(self) -> int:
        """The number of tasks waiting to acquire the lock."""
        return waiting_in(self._waiters)

    def statistics(self) -> LockStatistics:
        """A snapshot of the lock's state: owner, level, waiters."""
        owner = self.owner
        return LockStatistics(owner, 0 if owner is None else 1, waiters_in(self._waiters))

    def _owns(self, ident: Tuple[str, int]) -> bool:
        owner = self._owner  # one read: see `_Grant`
        if owner == ident:
            return True
        return type(owner) is _Grant and owner.ident == ident and owner.event.is_set()

    # -- tokens and hand-off (see `_tokens`) -----------------------------------

    def _take_token(self) -> bool:
        try:
            self._tokens.pop()
        except IndexError:
            return False
        return True

    def _put_token(self) -> None:
        self._tokens.append(None)

    def _granting(self, event: Any, ident: Any) -> None:
        self._owner = _Grant(ident, event)

    def _returning(self) -> None:
        self._owner = None

    def _pass_on(self, value: Any = None) -> None:
        self._release()

    def _release(self) -> None:
        # Also inlined in `__exit__` and `__aexit__`, to save a call.
        self._owner = None
        if self._waiters:
            self._give_back()
        else:
            self._tokens.append(None)
            if self._waiters:  # a waiter parked meanwhile
                self._recheck()

    def _check_thread_deadlock(self) -> None:
        # A plain thread about to block on a lock held by a task that runs in
        # this very thread (an async task whose loop called us) would never
        # be woken: refuse.
        owner = self.owner
        if owner is not None and owner[0] != "threading":
            lib = _libraries._libraries.get(owner[0])
            if lib is not None and lib.backend.runs_in_this_thread(owner[1]) and self.owner == owner:
                raise RuntimeError(_THREAD_HOLDING)

    # -- green side ------------------------------------------------------------

    def green_acquire(self, *, blocking: bool = True, timeout: Optional[float] = None) -> bool:
        """Acquire the lock for the current thread or greenlet; True on
        success, False if not acquired (``blocking=False`` or timeout)."""
        if timeout is not None:
            timeout = check_timeout(timeout)
        ident = green_task_ident()
        lib = green_checkpoint_library() if blocking else None
        if lib is not None:
            lib.backend.checkpoint_before()
        try:
            self._tokens.pop()
        except IndexError:
            # A free token implies no owner: re-entry is only possible here.
            if self._owns(ident):
                raise RuntimeError(_ALREADY_HOLDING) from None
            if ident[0] == "threading":
                self._check_thread_deadlock()
            if blocking and timeout != 0:
                if self._green_wait(ident, timeout, ident):
                    self._owner = ident  # the grant took effect: ours now
                    return True
                return False
            acquired = False
        else:
            self._owner = ident
            acquired = True
        if lib is not None:
            lib.backend.checkpoint_after()
        return acquired

    def green_release(self) -> None:
        """Release the lock; it passes to the oldest waiter at once."""
        if self._tokens:
            raise RuntimeError(_UNLOCKED)
        if not self._owns(green_task_ident()):
            raise RuntimeError(_NOT_HOLDING)
        self._release()

    def green_owned(self) -> bool:
        """Whether the current thread or greenlet owns the lock."""
        return self._owns(green_task_ident())

    # `with` and `async with` repeat the fast path of the acquire and release
    # methods instead of calling them: a call is a large part of an
    # uncontended acquire's cost (benchmarks/). tests/test_lock.py runs both.

    def __enter__(self) -> Lock:
        ident = green_task_ident()
        if _libraries.green_checkpoints_possible and green_checkpoint_library() is not None:
            self.green_acquire()
            return self
        try:
            self._tokens.pop()
        except IndexError:
            if self._owns(ident):
                raise RuntimeError(_ALREADY_HOLDING) from None
            if ident[0] == "threading":
                self._check_thread_deadlock()
            self._green_wait(ident, None, ident)
        self._owner = ident
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        owner = self._owner
        # A plain thread leaving its own block needs no detection: compare
        # the thread identifier first.
        if type(owner) is not tuple or owner[1] != _get_ident() or owner[0] != "threading":
            if owner is None or owner != green_task_ident():
                self._check_exit(green_task_ident())
        self._owner = None
        if self._waiters:
            self._give_back()
        else:
            self._tokens.append(None)
            if self._waiters:  # a waiter parked meanwhile
                self._recheck()

    def _check_exit(self, ident: Tuple[str, int]) -> None:
        # The block released the lock (and maybe another task took it since):
        # freeing it now would free someone else's lock.
        if self._tokens:
            raise RuntimeError(_UNLOCKED)
        if not self._owns(ident):
            raise RuntimeError(_NOT_HOLDING)

    # -- async side ------------------------------------------------------------

    async def async_acquire(self, *, blocking: bool = True, timeout: Optional[float] = None) -> bool:
        """Acquire the lock for the current async task; True on success,
        False if not acquired (``blocking=False`` or timeout)."""
        if timeout is not None:
            timeout = check_timeout(timeout)
        ident = async_task_ident()
        lib = async_checkpoint_library(ident[0]) if blocking else None
        if lib is not None:
            await lib.backend.checkpoint_before()
        try:
            self._tokens.pop()
        except IndexError:
            if self._owns(ident):
                raise RuntimeError(_ALREADY_HOLDING) from None
            if blocking and timeout != 0:
                if await self._async_wait(ident, timeout, ident) is not TIMED_OUT:
                    self._owner = ident  # the grant took effect: ours now
                    return True
                return False
            acquired = False
        else:
            self._owner = ident
            acquired = True
        if lib is not None:
            await lib.backend.checkpoint_after()
        return acquired

    def async_release(self) -> None:
        """Release the lock (a plain method, not a coroutine)."""
        if self._tokens:
            raise RuntimeError(_UNLOCKED)
        if not self._owns(async_task_ident()):
            raise RuntimeError(_NOT_HOLDING)
        self._release()

    def async_owned(self) -> bool:
        """Whether the current async task owns the lock."""
        return self._owns(async_task_ident())

    async def __aenter__(self) -> Lock:
        ident = async_task_ident()
        if _libraries.async_checkpoints_possible and async_checkpoint_library(ident[0]) is not None:
            await self.async_acquire()
            return self
        try:
            self._tokens.pop()
        except IndexError:
            if self._owns(ident):
                raise RuntimeError(_ALREADY_HOLDING) from None
            await self._async_wait(ident, None, ident)
        self._owner = ident
        return self

    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> None:
        owner = self._owner
        if owner is None or owner != async_task_ident():
            self._check_exit(async_task_ident())
        self._owner = None
        if self._waiters:
            self._give_back()
        else:
            self._tokens.append(None)
            if self._waiters:  # a waiter parked meanwhile
                self._recheck()
