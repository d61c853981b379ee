"""`once`: a function that runs once, whichever threads call it."""

from __future__ import annotations

import functools
from typing import Any, Callable, Optional, TypeVar, Union, overload

from ._thread_locks import THREAD_DUMMY_LOCK, ThreadOnceLock

__all__ = ("once",)

_T = TypeVar("_T")
_NOTHING: Any = object()


class _Once:
    """The state of one `once` function: its result (`_NOTHING` until it
    succeeded) and the lock its first run holds."""

    __slots__ = ("result", "lock")

    def __init__(self) -> None:
        self.result: Any = _NOTHING
        self.lock: Any = ThreadOnceLock()


def _make(function: Callable[[], _T], reentrant: bool) -> Callable[[], _T]:
    state = _Once()

    @functools.wraps(function)
    def wrapper() -> _T:
        while True:
            result = state.result
            if result is not _NOTHING:
                return result  # type: ignore[no-any-return]
            lock = state.lock
            if lock._is_owned():
                # A call from within the run: the same thread, or a signal
                # handler or finalizer that interrupted it.
                if not reentrant:
                    raise RuntimeError("recursive call of a once function during its first run")
                return function()
            lock.acquire()
            if not lock._is_owned():
                # Released after a run: it succeeded (the loop returns its
                # result) or failed and left a fresh lock for the next try.
                continue
            try:
                result = function()
            except BaseException:
                state.lock = ThreadOnceLock()  # before the release wakes the others
                raise
            else:
                state.result = result
                state.lock = THREAD_DUMMY_LOCK  # done: the real lock can go
                return result
            finally:
                lock.release()

    return wrapper


@overload
def once(wrapped: Callable[[], _T], /, *, reentrant: bool = False) -> Callable[[], _T]: ...


@overload
def once(*, reentrant: bool = False) -> Callable[[Callable[[], _T]], Callable[[], _T]]: ...


def once(
    wrapped: Optional[Callable[[], _T]] = None, /, *, reentrant: bool = False
) -> Union[Callable[[], _T], Callable[[Callable[[], _T]], Callable[[], _T]]]:
    """Make a no-argument function run once: the first call runs it, calls
    from other threads meanwhile wait for it, and every later call returns
    its stored result. If it raises, a later call runs it again. A call from
    within its own run raises `RuntimeError`, or with ``reentrant=True``
    runs the function again. Usable as ``@once`` or ``@once(reentrant=True)``."""
    if wrapped is None:
        return functools.partial(_make, reentrant=reentrant)
    if not callable(wrapped):
        raise TypeError(f"expected a function, not {type(wrapped).__name__}")
    return _make(wrapped, reentrant)
