"""`Lock`: a mutex owned by a task (API.md 6)."""

from __future__ import annotations

from typing import Any, Optional, Tuple

from .lowlevel import _libraries
from .lowlevel._checkpoints import async_checkpoints_for, green_checkpoint_enabled
from .lowlevel._libraries import async_library, async_task_ident, green_library, green_task_ident
from .lowlevel._validation import check_timeout
from ._tokens import TokenQueue
from ._waitqueue import count_waiters

__all__ = ("Lock",)

_ALREADY_HOLDING = "the current task is already holding this lock"
_NOT_HOLDING = "the current task is not holding this lock"
_UNLOCKED = "release unlocked lock"
_THREAD_HOLDING = "the current thread is already holding this lock"


class Lock(TokenQueue):
    """A lock owned by the task that acquired it: a thread or greenlet
    (green side), an asyncio, trio or curio task (async side).

    Waiters are served first-in, first-out, and a release hands the lock to
    the oldest waiter directly.
    """

    __slots__ = ("__weakref__", "_tokens", "_waiters", "_owner", "_pending")

    _owner: Optional[Tuple[str, int]]
    _pending: Any

    def __new__(cls) -> Lock:
        self = object.__new__(cls)
        self._tokens = [None]
        self._waiters = []
        self._owner = None
        # The waiter event of the latest hand-off. While a hand-off is in
        # progress, `_owner` names its waiter even if that waiter is giving up
        # at this very moment; a task that reads its own identifier in
        # `_owner` checks this event to tell a real ownership from such a
        # passing one (see `_owns` and `_granting`).
        self._pending = None
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
        return self._owner

    @property
    def waiting(self) -> int:
        """The number of tasks waiting to acquire the lock."""
        return count_waiters(self._waiters)

    # -- hand-off hooks (see `_tokens`) ----------------------------------------

    # `_pending` is written before `_owner` and `_owner` is cleared as soon
    # as a hand-off fails, so a task that reads its own identifier in
    # `_owner` always finds its own event in `_pending` (see `_owns`). After a
    # successful hand-off `_pending` keeps that event: it is set for good, so
    # it never makes anyone's ownership look passing.

    def _granting(self, event: Any, ident: Any) -> None:
        self._pending = event
        self._owner = ident

    def _revoked(self) -> None:
        self._owner = None

    def _returning(self) -> None:
        self._owner = None
        self._pending = None

    def _owns(self, ident: Tuple[str, int]) -> bool:
        if self._owner != ident:
            return False
        pending = self._pending
        return pending is None or not pending.cancelled()

    def _release(self) -> None:
        self._owner = None
        self._give_back()

    # -- green side ------------------------------------------------------------

    def green_acquire(self, *, blocking: bool = True, timeout: Optional[float] = None) -> bool:
        """Acquire the lock for the current thread or greenlet; True on
        success, False if not acquired (``blocking=False`` or timeout)."""
        if timeout is not None:
            timeout = check_timeout(timeout)
        ident = green_task_ident()
        if self._owner == ident and self._owns(ident):
            raise RuntimeError(_ALREADY_HOLDING)
        checkpoints = _libraries.green_checkpoints_possible and green_checkpoint_enabled()
        if checkpoints and blocking:
            return self._green_acquire_checkpointed(ident, timeout)
        try:
            self._tokens.pop()
        except IndexError:
            if ident[0] == "threading":
                self._check_thread_deadlock()
            if not blocking or timeout == 0:
                return False
            return self._green_wait(ident, timeout)
        self._owner = ident
        return True

    def _green_acquire_checkpointed(self, ident: Any, timeout: Optional[float]) -> bool:
        backend = green_library().backend
        backend.checkpoint_before()
        try:
            self._tokens.pop()
        except IndexError:
            if ident[0] == "threading":
                self._check_thread_deadlock()
            if timeout == 0:
                backend.checkpoint_after()
                return False
            return self._green_wait(ident, timeout)
        self._owner = ident
        backend.checkpoint_after()
        return True

    def _check_thread_deadlock(self) -> None:
        # A plain thread about to block on a lock held by a task that runs in
        # this very thread (an async task whose loop called us) would never
        # be woken: refuse, as API.md 6.4 asks.
        owner = self._owner
        if owner is not None and owner[0] != "threading":
            lib = _libraries._libraries.get(owner[0])
            if lib is not None and lib.backend.runs_in_this_thread(owner[1]) and self._owner == owner:
                raise RuntimeError(_THREAD_HOLDING)

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

    # `with` and `async with` repeat the fast path of the acquire methods
    # instead of calling them: a call is a large part of an uncontended
    # acquire's cost (see benchmarks/).

    def __enter__(self) -> Lock:
        ident = green_task_ident()
        if self._owner == ident and self._owns(ident):
            raise RuntimeError(_ALREADY_HOLDING)
        checkpoints = _libraries.green_checkpoints_possible and green_checkpoint_enabled()
        if checkpoints:
            self._green_acquire_checkpointed(ident, None)
            return self
        try:
            self._tokens.pop()
        except IndexError:
            if ident[0] == "threading":
                self._check_thread_deadlock()
            self._green_wait(ident, None)
        else:
            self._owner = ident
        return self

    def __exit__(self, *exc_info: object) -> None:
        # The release runs in the acquiring task by construction, so the
        # owner is not probed again; only a lock released meanwhile (inside
        # the block) is caught.
        if self._tokens:
            raise RuntimeError(_UNLOCKED)
        self._owner = None
        if self._waiters:
            self._give_back()
        else:
            self._tokens.append(None)
            if self._waiters:  # a waiter queued meanwhile
                self._recheck()

    # -- async side ------------------------------------------------------------

    async def async_acquire(self, *, blocking: bool = True, timeout: Optional[float] = None) -> bool:
        """Acquire the lock for the current async task; True on success,
        False if not acquired (``blocking=False`` or timeout)."""
        if timeout is not None:
            timeout = check_timeout(timeout)
        ident = async_task_ident()
        if self._owner == ident and self._owns(ident):
            raise RuntimeError(_ALREADY_HOLDING)
        if blocking:
            checkpoints = _libraries.async_checkpoints_possible and async_checkpoints_for(ident)
            if checkpoints:
                return await self._async_acquire_checkpointed(ident, timeout)
        try:
            self._tokens.pop()
        except IndexError:
            if not blocking or timeout == 0:
                return False
            return await self._async_wait(ident, timeout)
        self._owner = ident
        return True

    async def _async_acquire_checkpointed(self, ident: Any, timeout: Optional[float]) -> bool:
        backend = async_library().backend
        await backend.checkpoint_before()
        try:
            self._tokens.pop()
        except IndexError:
            if timeout == 0:
                await backend.checkpoint_after()
                return False
            return await self._async_wait(ident, timeout)
        self._owner = ident
        await backend.checkpoint_after()
        return True

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
        if self._owner == ident and self._owns(ident):
            raise RuntimeError(_ALREADY_HOLDING)
        checkpoints = _libraries.async_checkpoints_possible and async_checkpoints_for(ident)
        if checkpoints:
            await self._async_acquire_checkpointed(ident, None)
            return self
        try:
            self._tokens.pop()
        except IndexError:
            await self._async_wait(ident, None)
        else:
            self._owner = ident
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._tokens:
            raise RuntimeError(_UNLOCKED)
        self._owner = None
        if self._waiters:
            self._give_back()
        else:
            self._tokens.append(None)
            if self._waiters:  # a waiter queued meanwhile
                self._recheck()
