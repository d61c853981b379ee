"""Signal safety: code that may interrupt a library's own code.

A signal handler runs in the main thread between two bytecodes of whatever
the thread was doing, and a finalizer wherever the garbage collector
happens to run: possibly inside a task of an event loop, in the middle of
that loop's own bookkeeping. Waking a task of that loop through the loop's
local (not thread-safe) scheduling from there could corrupt it or be lost
until something else wakes the loop. While signal safety is enabled, wakers
take the thread-safe path even for tasks of their own thread, and detection
answers as outside any library, so that the handler waits (if it must) as a
plain thread.

The setting is per context (a context variable), so it covers the handler's
own call and nothing that runs concurrently.
"""

from __future__ import annotations

import functools
import inspect
from contextvars import ContextVar, Token
from typing import Any, Awaitable, Callable, Coroutine, List, TypeVar, overload

__all__ = ("disable_signal_safety", "enable_signal_safety", "signal_safety_enabled")

_enabled: ContextVar[bool] = ContextVar("aiologic_signal_safety", default=False)

#: Whether signal safety was ever enabled in this process: until then,
#: `signal_safety_enabled()` answers from this one read.
possible = False


def signal_safety_enabled() -> bool:
    """Whether signal safety is enabled in the current context."""
    return possible and _enabled.get()


def _set(value: bool) -> "Token[bool]":
    global possible
    if value:
        possible = True
    return _enabled.set(value)


class _Setting:
    """What `enable_signal_safety()`/`disable_signal_safety()` return
    without an argument: a context manager for ``with`` and ``async with``."""

    __slots__ = ("_value", "_tokens")

    def __init__(self, value: bool) -> None:
        self._value = value
        self._tokens: List[Token[bool]] = []

    def __enter__(self) -> bool:
        self._tokens.append(_set(self._value))
        return self._value

    def __exit__(self, *exc_info: object) -> None:
        _enabled.reset(self._tokens.pop())

    async def __aenter__(self) -> bool:
        return self.__enter__()

    async def __aexit__(self, *exc_info: object) -> None:
        self.__exit__()


def _wrap(value: bool, wrapped: Any) -> Any:
    if inspect.iscoroutinefunction(wrapped):

        @functools.wraps(wrapped)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            token = _set(value)
            try:
                return await wrapped(*args, **kwargs)
            finally:
                _enabled.reset(token)

        return async_wrapper
    if inspect.isawaitable(wrapped):

        async def proxy() -> Any:
            token = _set(value)
            try:
                return await wrapped
            finally:
                _enabled.reset(token)

        return proxy()
    if callable(wrapped):

        @functools.wraps(wrapped)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            token = _set(value)
            try:
                return wrapped(*args, **kwargs)
            finally:
                _enabled.reset(token)

        return wrapper
    raise TypeError(f"expected a function or an awaitable, not {type(wrapped).__name__}")


_NOTHING: Any = object()
_R = TypeVar("_R")
_F = TypeVar("_F", bound=Callable[..., Any])


@overload
def enable_signal_safety() -> _Setting: ...


@overload
def enable_signal_safety(wrapped: Awaitable[_R], /) -> Coroutine[Any, Any, _R]: ...


@overload
def enable_signal_safety(wrapped: _F, /) -> _F: ...


def enable_signal_safety(wrapped: Any = _NOTHING, /) -> Any:
    """Enable signal safety in the current context: a context manager
    (``with`` or ``async with``, binding True), or a wrapper for a function,
    coroutine function or awaitable (``@enable_signal_safety`` on a signal
    handler)."""
    if wrapped is _NOTHING:
        return _Setting(True)
    return _wrap(True, wrapped)


@overload
def disable_signal_safety() -> _Setting: ...


@overload
def disable_signal_safety(wrapped: Awaitable[_R], /) -> Coroutine[Any, Any, _R]: ...


@overload
def disable_signal_safety(wrapped: _F, /) -> _F: ...


def disable_signal_safety(wrapped: Any = _NOTHING, /) -> Any:
    """Disable signal safety in the current context (the three forms of
    `enable_signal_safety`, binding False)."""
    if wrapped is _NOTHING:
        return _Setting(False)
    return _wrap(False, wrapped)
