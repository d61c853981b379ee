"""Capacity limiters: at most `total_tokens` tasks at once, one token each."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, Dict, Optional, Tuple, Type, TypeVar

from .lowlevel._checkpoints import async_checkpoint_library, green_checkpoint_library
from .lowlevel._libraries import async_task_ident, green_task_ident
from .lowlevel._validation import check_count, check_int, check_timeout
from ._counts import Count
from ._tokens import TokenPrimitive
from ._waitqueue import TIMED_OUT, waiters_in, waiting_in
from .statistics import LimiterStatistics

__all__ = ("CapacityLimiter", "RCapacityLimiter")

_L = TypeVar("_L", bound="CapacityLimiter")

_ALREADY_HOLDING = "the current task is already holding one of this capacity limiter's tokens"
_NOT_HOLDING = "the current task is not holding any of this capacity limiter's tokens"
_TOO_MANY = "capacity limiter released too many times"


class CapacityLimiter(TokenPrimitive):
    """Lets at most `total_tokens` tasks in at once: each task borrows one
    token, and a task that holds one may not borrow another.

    Waiters are served first-in, first-out; a released token goes to the
    oldest waiter directly.
    """

    __slots__ = ("__weakref__", "_tokens", "_waiters", "_total_tokens", "_borrowers")

    _tokens: Count
    _total_tokens: int
    # Borrower's task identifier -> its level (always 1 here). Each task
    # writes only its own entry; a dict's item operations are atomic.
    _borrowers: Dict[Tuple[str, int], int]

    def __new__(cls: Type[_L], total_tokens: int = 1) -> _L:
        total_tokens = check_int(total_tokens, "total_tokens")
        if total_tokens < 0:
            raise ValueError("total_tokens must be >= 0")
        self = object.__new__(cls)
        self._total_tokens = total_tokens
        self._tokens = Count(total_tokens)
        self._waiters = []
        self._borrowers = {}
        return self

    def __reduce__(self) -> Any:
        return (type(self), (self._total_tokens,))

    def __copy__(self: _L) -> _L:
        return type(self)(self._total_tokens)

    def __repr__(self) -> str:
        cls = type(self)
        name = f"{cls.__module__}.{cls.__qualname__}"
        available = self._tokens.value
        state = f"available_tokens={available}" if available else f"available_tokens=0, waiting={self.waiting}"
        return f"<{name}({self._total_tokens!r}) at {id(self):#x} [{state}]>"

    def __bool__(self) -> bool:
        return self._tokens.value < self._total_tokens

    @property
    def total_tokens(self) -> int:
        """How many tokens exist (read-only)."""
        return self._total_tokens

    @property
    def available_tokens(self) -> int:
        """How many tokens are free now."""
        return self._tokens.value

    @property
    def borrowed_tokens(self) -> int:
        """How many tokens are out (held, or handed to a waiter)."""
        return self._total_tokens - self._tokens.value

    @property
    def borrowers(self) -> MappingProxyType[Tuple[str, int], int]:
        """A read-only view: borrowing task's identifier -> its level."""
        return MappingProxyType(self._borrowers)

    @property
    def waiting(self) -> int:
        """The number of tasks waiting for a token."""
        return waiting_in(self._waiters)

    def statistics(self) -> LimiterStatistics:
        """A snapshot of the tokens, the borrowers and the waiters."""
        borrowed = self._total_tokens - self._tokens.value
        return LimiterStatistics(self._total_tokens, borrowed, tuple(self._borrowers.copy()), waiters_in(self._waiters))

    # -- tokens and hand-off (see `_tokens`) -----------------------------------

    def _take_token(self) -> bool:
        return self._tokens.take()

    def _put_token(self) -> None:
        self._tokens.put()

    def _acquire_now(self, ident: Tuple[str, int], count: int) -> bool:
        """Borrow a free token (or re-enter) without waiting."""
        level = self._borrowers.get(ident)
        if level is not None:
            return self._reenter(ident, level, count)
        if self._tokens.take():
            self._borrowers[ident] = count
            return True
        return False

    def _reenter(self, ident: Tuple[str, int], level: int, count: int) -> bool:
        raise RuntimeError(_ALREADY_HOLDING)

    def _release(self, ident: Tuple[str, int], count: int) -> None:
        level = self._borrowers.get(ident)
        if level is None:
            raise RuntimeError(_NOT_HOLDING)
        if count > level:
            raise RuntimeError(_TOO_MANY)
        if count < level:
            self._borrowers[ident] = level - count
            return
        del self._borrowers[ident]
        holder = self._waiters
        if holder and holder[0]._parked:
            self._give_back()  # to the oldest waiter
        else:
            self._tokens.put()
            if holder:  # a waiter may have parked meanwhile
                self._recheck()

    # -- the two faces: validated arguments in, the same steps ---------------

    def _green_acquire(self, count: int, blocking: bool, timeout: Optional[float]) -> bool:
        if timeout is not None:
            timeout = check_timeout(timeout)
        ident = green_task_ident()
        lib = green_checkpoint_library() if blocking else None
        if lib is not None:
            lib.backend.checkpoint_before()
        acquired = self._acquire_now(ident, count)
        if not acquired and blocking and timeout != 0:
            if self._green_wait(None, timeout, ident):
                self._borrowers[ident] = count  # the token handed to us
                return True
            return False
        if lib is not None:
            lib.backend.checkpoint_after()
        return acquired

    async def _async_acquire(self, count: int, blocking: bool, timeout: Optional[float]) -> bool:
        if timeout is not None:
            timeout = check_timeout(timeout)
        ident = async_task_ident()
        lib = async_checkpoint_library(ident[0]) if blocking else None
        if lib is not None:
            await lib.backend.checkpoint_before()
        acquired = self._acquire_now(ident, count)
        if not acquired and blocking and timeout != 0:
            if await self._async_wait(None, timeout, ident) is not TIMED_OUT:
                self._borrowers[ident] = count  # the token handed to us
                return True
            return False
        if lib is not None:
            await lib.backend.checkpoint_after()
        return acquired

    # -- green side ------------------------------------------------------------

    def green_acquire(self, *, blocking: bool = True, timeout: Optional[float] = None) -> bool:
        """Borrow a token for the current thread or greenlet, waiting (FIFO)
        while none is free; True on success, False if none was borrowed
        (``blocking=False`` or timeout)."""
        return self._green_acquire(1, blocking, timeout)

    def green_release(self) -> None:
        """Give back the current thread's or greenlet's token."""
        self._release(green_task_ident(), 1)

    def green_borrowed(self) -> bool:
        """Whether the current thread or greenlet holds a token."""
        return green_task_ident() in self._borrowers

    def __enter__(self: _L) -> _L:
        self.green_acquire()
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.green_release()

    # -- async side ------------------------------------------------------------

    async def async_acquire(self, *, blocking: bool = True, timeout: Optional[float] = None) -> bool:
        """Borrow a token for the current async task, waiting (FIFO) while
        none is free; True on success, False if none was borrowed
        (``blocking=False`` or timeout)."""
        return await self._async_acquire(1, blocking, timeout)

    def async_release(self) -> None:
        """Give back the current async task's token (a plain method)."""
        self._release(async_task_ident(), 1)

    def async_borrowed(self) -> bool:
        """Whether the current async task holds a token."""
        return async_task_ident() in self._borrowers

    async def __aenter__(self: _L) -> _L:
        await self.async_acquire()
        return self

    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.async_release()


class RCapacityLimiter(CapacityLimiter):
    """A reentrant capacity limiter: a task that holds a token may acquire
    again, raising its level; the token goes back when the level is 0."""

    __slots__ = ()

    def _reenter(self, ident: Tuple[str, int], level: int, count: int) -> bool:
        self._borrowers[ident] = level + count  # only this task writes its entry
        return True

    def green_acquire(
        self, count: int = 1, *, blocking: bool = True, timeout: Optional[float] = None
    ) -> bool:
        """Borrow a token with level `count` (or raise the current thread's
        or greenlet's level by `count`); True on success, False if none was
        borrowed (``blocking=False`` or timeout)."""
        if type(count) is not int or count != 1:
            count = check_count(count)
        return self._green_acquire(count, blocking, timeout)

    def green_release(self, count: int = 1) -> None:
        """Lower the current thread's or greenlet's level by `count`; at 0
        the token goes back (to the oldest waiter first)."""
        if type(count) is not int or count != 1:
            count = check_count(count)
        self._release(green_task_ident(), count)

    def green_count(self) -> int:
        """The current thread's or greenlet's level (0 if it holds none)."""
        return self._borrowers.get(green_task_ident(), 0)

    async def async_acquire(
        self, count: int = 1, *, blocking: bool = True, timeout: Optional[float] = None
    ) -> bool:
        """Borrow a token with level `count` (or raise the current async
        task's level by `count`); True on success, False if none was
        borrowed (``blocking=False`` or timeout)."""
        if type(count) is not int or count != 1:
            count = check_count(count)
        return await self._async_acquire(count, blocking, timeout)

    def async_release(self, count: int = 1) -> None:
        """Lower the current async task's level by `count` (a plain method);
        at 0 the token goes back (to the oldest waiter first)."""
        if type(count) is not int or count != 1:
            count = check_count(count)
        self._release(async_task_ident(), count)

    def async_count(self) -> int:
        """The current async task's level (0 if it holds none)."""
        return self._borrowers.get(async_task_ident(), 0)
