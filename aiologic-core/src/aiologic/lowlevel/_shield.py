"""`shield()`: run an operation to completion through a cancellation.

The library-specific part is the backend's `shield`: for an async backend it
takes an awaitable and returns one that completes it and then re-raises a
cancellation that arrived meanwhile; for a green backend it takes a
callable and returns a callable that does the same for a call (gevent and
eventlet hold back `GreenletExit` and `Timeout`; threads have nothing to
shield, so the threading backend returns the callable itself).
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Awaitable, Callable, Generator, TypeVar, overload

from ._libraries import async_library, green_library

__all__ = ("shield",)

_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., Any])


class _ShieldedAwaitable:
    """The awaitable `shield(awaitable)` returns: the library is detected
    when it is awaited, in the task that awaits it."""

    __slots__ = ("_wrapped",)

    def __init__(self, wrapped: Any) -> None:
        self._wrapped = wrapped

    def __await__(self) -> Generator[Any, Any, Any]:
        return (yield from async_library().backend.shield(self._wrapped).__await__())


@overload
def shield(wrapped: Awaitable[_T], /) -> Awaitable[_T]: ...


@overload
def shield(wrapped: _F, /) -> _F: ...


def shield(wrapped: Any, /) -> Any:
    """Protect an operation from outside cancellation.

    Given an awaitable, returns an awaitable; given a coroutine function, a
    coroutine function; given any other callable, a callable. The shielded
    operation runs to completion even if the calling task is cancelled
    meanwhile; the cancellation is re-raised once it has completed."""
    if inspect.isawaitable(wrapped):
        return _ShieldedAwaitable(wrapped)
    if inspect.iscoroutinefunction(wrapped):

        @functools.wraps(wrapped)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            return await async_library().backend.shield(wrapped(*args, **kwargs))

        return async_wrapper
    if callable(wrapped):
        function: Callable[..., Any] = wrapped

        @functools.wraps(function)
        def green_wrapper(*args: Any, **kwargs: Any) -> Any:
            return green_library().backend.shield(functools.partial(function, *args, **kwargs))()

        return green_wrapper
    raise TypeError(f"expected an awaitable or a callable, not {type(wrapped).__name__}")
