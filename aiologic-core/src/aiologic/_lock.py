"""`Lock`: a mutex owned by the task that acquired it."""

from __future__ import annotations

import sys
from typing import Any, Callable, List, Optional, Tuple, Union

from .lowlevel import _libraries
from .lowlevel._checkpoints import async_checkpoint_library, green_checkpoint_library
from .lowlevel._libraries import _GREEN_MARKER, _no_task, _task_probe_of, async_task_ident, green_task_ident, in_plain_thread
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

_modules = sys.modules

# How a lock records its owner: a plain thread by its thread identifier (an
# int, compared on the hot paths without building the public form), any
# other task by its task identifier ``(library, number)``.
_Key = Union[int, Tuple[str, int]]


def _key(ident: Tuple[str, int]) -> _Key:
    return ident[1] if ident[0] == "threading" else ident


def _public(key: Any) -> Any:
    return ("threading", key) if type(key) is int else key


class _Grant:
    """Ownership handed to a waiter inside `release()`.

    It names the waiter (its key) and carries its event: until the event is
    set (the hand-off took effect) the waiter does not own the lock, even
    though it is named. Being one immutable value in one slot, it is read in
    one step: nobody can see the key of one hand-off with the event of
    another.
    """

    __slots__ = ("ident", "event")

    def __init__(self, ident: _Key, event: Any) -> None:
        self.ident = ident
        self.event = event


class Lock(TokenPrimitive):
    """A lock owned by the task that acquired it: a thread or greenlet
    (green side), an asyncio, trio or curio task (async side).

    Waiters are served first-in, first-out, and a release hands the lock to
    the oldest waiter directly. A lock that a plain thread acquired belongs
    to that OS thread: any code running in it may release it.
    """

    __slots__ = ("__weakref__", "_tokens", "_waiters", "_owner")

    _tokens: List[None]
    # `_owner` is None (unlocked, or between a release and the next grant),
    # the owner's key (see `_Key`), or a `_Grant` while a waiter that was
    # handed the lock has not resumed yet (it then writes its key).
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
            owner = owner.ident
        return _public(owner)  # type: ignore[no-any-return]

    @property
    def waiting(self) -> int:
        """The number of tasks waiting to acquire the lock."""
        return waiting_in(self._waiters)

    def statistics(self) -> LockStatistics:
        """A snapshot of the lock's state: owner, level, waiters."""
        owner = self.owner
        return LockStatistics(owner, 0 if owner is None else 1, waiters_in(self._waiters))

    def _owns(self, key: _Key) -> bool:
        owner = self._owner  # one read: see `_Grant`
        if owner == key:
            return True
        return type(owner) is _Grant and owner.ident == key and owner.event.is_set()

    def _check_owner(self, task_ident: Callable[[], Tuple[str, int]]) -> None:
        # Releasing a lock we do not hold would free someone else's lock.
        # (The state comes first: "unlocked" is the answer even outside any
        # library.)
        if self._tokens:
            raise RuntimeError(_UNLOCKED)
        if not self._owns(_key(task_ident())):
            raise RuntimeError(_NOT_HOLDING)

    # -- tokens and hand-off (see `_tokens`) -----------------------------------

    def _take_token(self) -> bool:
        try:
            self._tokens.pop()
        except IndexError:
            return False
        return True

    def _put_token(self) -> None:
        self._tokens.append(None)

    def _take_free(self) -> bool:
        # `_take_token` for coroutines: it looks before it pops, because an
        # exception raised in a coroutine (IndexError from an empty list)
        # turns the coroutine's frame into an object that the task keeps for
        # as long as it then waits (~500 bytes per blocked task).
        tokens = self._tokens
        if tokens:
            try:
                tokens.pop()
            except IndexError:  # another thread took it meanwhile
                return False
            return True
        return False

    def _granting(self, event: Any, key: Any) -> None:
        self._owner = _Grant(key, event)

    def _returning(self) -> None:
        self._owner = None

    def _pass_on(self, value: Any = None) -> None:
        self._release()

    def _release(self) -> None:
        # Whether anyone waits is read from the wait queue's dict itself:
        # once a lock has been contended its queue stays, and the queue's
        # own `__bool__` is a Python call on every release.
        # Inlined in `green_release`, `async_release`, `__exit__` and
        # `__aexit__`: a call is a large part of an uncontended release.
        self._owner = None
        if self._waiters and self._waiters[0]._parked:
            self._give_back()
        else:
            self._tokens.append(None)
            if self._waiters and self._waiters[0]._parked:  # a waiter parked meanwhile
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
    # The common case, a plain thread with checkpoints impossible (with
    # greenlet imported, no hub of a green library in this thread), is
    # inlined in `green_acquire` and `__enter__` (a call is a large part of an
    # uncontended acquire's cost: see benchmarks/); everything else is
    # `_green_acquire`. tests/test_lock.py runs both ways.

    def green_acquire(self, *, blocking: bool = True, timeout: Optional[float] = None) -> bool:
        """Acquire the lock for the current thread or greenlet; True on
        success, False if not acquired (``blocking=False`` or timeout)."""
        if timeout is None and _libraries.green_plain and (_GREEN_MARKER not in _modules or in_plain_thread()):
            try:
                self._tokens.pop()
            except IndexError:
                pass
            else:
                self._owner = _get_ident()
                return True
        return self._green_acquire(blocking, timeout)

    def _green_acquire(self, blocking: bool, timeout: Optional[float]) -> bool:
        if timeout is not None:
            timeout = check_timeout(timeout)
        ident = green_task_ident()
        key = _key(ident)
        lib = green_checkpoint_library() if blocking else None
        if lib is not None:
            lib.backend.checkpoint_before()
        try:
            self._tokens.pop()
        except IndexError:
            # A free token implies no owner: re-entry is only possible here.
            if self._owns(key):
                raise RuntimeError(_ALREADY_HOLDING) from None
            if type(key) is int:
                self._check_thread_deadlock()
            if blocking and timeout != 0:
                if self._green_wait(key, timeout, ident):
                    self._owner = key  # the grant took effect: ours now
                    return True
                return False
            acquired = False
        else:
            self._owner = key
            acquired = True
        if lib is not None:
            lib.backend.checkpoint_after()
        return acquired

    def green_release(self) -> None:
        """Release the lock; it passes to the oldest waiter at once."""
        # A plain thread releasing its own lock needs no detection.
        if self._owner != _get_ident():
            self._check_owner(green_task_ident)
        # `_release()` inlined (see `__exit__`).
        self._owner = None
        if self._waiters and self._waiters[0]._parked:
            self._give_back()
        else:
            self._tokens.append(None)
            if self._waiters and self._waiters[0]._parked:  # a waiter parked meanwhile
                self._recheck()

    def green_owned(self) -> bool:
        """Whether the current thread or greenlet owns the lock."""
        return self._owns(_key(green_task_ident()))

    def __enter__(self) -> Lock:
        if _libraries.green_plain and (_GREEN_MARKER not in _modules or in_plain_thread()):
            try:
                self._tokens.pop()
            except IndexError:
                pass
            else:
                self._owner = _get_ident()
                return self
        self._green_acquire(True, None)
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if self._owner != _get_ident():
            self._check_owner(green_task_ident)
        # `_release()` inlined: a call is a large part of an uncontended exit.
        self._owner = None
        if self._waiters and self._waiters[0]._parked:
            self._give_back()
        else:
            self._tokens.append(None)
            if self._waiters and self._waiters[0]._parked:  # a waiter parked meanwhile
                self._recheck()

    # -- async side ------------------------------------------------------------

    async def async_acquire(self, *, blocking: bool = True, timeout: Optional[float] = None) -> bool:
        """Acquire the lock for the current async task; True on success,
        False if not acquired (``blocking=False`` or timeout)."""
        if timeout is not None:
            timeout = check_timeout(timeout)
        ident = async_task_ident()
        lib = None
        if blocking and ident[0] in _libraries.async_checkpointing:
            lib = async_checkpoint_library(ident[0])
            if lib is not None:
                await lib.backend.checkpoint_before()
        if self._take_free():
            self._owner = ident
            acquired = True
        elif self._owns(ident):
            raise RuntimeError(_ALREADY_HOLDING)
        elif blocking and timeout != 0:
            # One coroutine for the whole acquire: each blocked task keeps
            # every frame of its wait in memory.
            if await self._async_wait(ident, timeout, ident) is not TIMED_OUT:
                self._owner = ident  # the grant took effect: ours now
                return True
            return False
        else:
            acquired = False
        if lib is not None:
            await lib.backend.checkpoint_after()
        return acquired

    def async_release(self) -> None:
        """Release the lock (a plain method, not a coroutine)."""
        # Is the owner the task running now? Asked of the owner's own library
        # (a library's current task in this thread is running now, whatever
        # another library nested in this thread says), so no detection; a
        # library that cannot answer cheaply gives None, and the full check
        # follows. Inlined: a call is a large part of an uncontended release.
        owner = self._owner
        if type(owner) is not tuple or id(_task_probe_of.get(owner[0], _no_task)()) != owner[1]:
            self._check_owner(async_task_ident)
        # `_release()` inlined (see `__exit__`).
        self._owner = None
        if self._waiters and self._waiters[0]._parked:
            self._give_back()
        else:
            self._tokens.append(None)
            if self._waiters and self._waiters[0]._parked:  # a waiter parked meanwhile
                self._recheck()

    def async_owned(self) -> bool:
        """Whether the current async task owns the lock."""
        return self._owns(async_task_ident())

    async def __aenter__(self) -> Lock:
        ident = async_task_ident()
        if ident[0] in _libraries.async_checkpointing and async_checkpoint_library(ident[0]) is not None:
            await self.async_acquire()
            return self
        tokens = self._tokens  # `_take_free()` inlined
        if tokens:
            try:
                tokens.pop()
            except IndexError:  # another thread took it meanwhile
                pass
            else:
                self._owner = ident
                return self
        if self._owns(ident):
            raise RuntimeError(_ALREADY_HOLDING)
        await self._async_wait(ident, None, ident)
        self._owner = ident
        return self

    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> None:
        # The owner check of `async_release`, inlined.
        owner = self._owner
        if type(owner) is not tuple or id(_task_probe_of.get(owner[0], _no_task)()) != owner[1]:
            self._check_owner(async_task_ident)
        # `_release()` inlined (see `__exit__`).
        self._owner = None
        if self._waiters and self._waiters[0]._parked:
            self._give_back()
        else:
            self._tokens.append(None)
            if self._waiters and self._waiters[0]._parked:  # a waiter parked meanwhile
                self._recheck()
