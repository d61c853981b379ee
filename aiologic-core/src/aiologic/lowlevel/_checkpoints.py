"""Trio-style checkpoints: the settings and the public checkpoint functions.

The effective setting for a call is, strongest first: ``force=True``; an
`enable_checkpoints()`/`disable_checkpoints()` in the current context; the
per-library environment variable; the group variable; the backend's default
(on for trio only). The variables are read once per library, when its backend
is first used (see `_libraries.Library`).
"""

from __future__ import annotations

import functools
import inspect
from contextvars import ContextVar, Token
from typing import Any, Awaitable, Callable, Coroutine, List, Optional, Tuple, TypeVar, overload

from . import _libraries
from ._libraries import Library, async_library, current_async_library_tlocal, green_library

__all__ = (
    "async_checkpoint",
    "async_checkpoint_enabled",
    "async_checkpoint_if_cancelled",
    "disable_checkpoints",
    "enable_checkpoints",
    "green_checkpoint",
    "green_checkpoint_enabled",
    "green_checkpoint_if_cancelled",
)

_T = TypeVar("_T")

# None: no override in this context; True/False: forced on/off.
green_override: ContextVar[Optional[bool]] = ContextVar("aiologic_green_checkpoints", default=None)
async_override: ContextVar[Optional[bool]] = ContextVar("aiologic_async_checkpoints", default=None)


def green_enabled(lib: Library) -> bool:
    override = green_override.get()
    return lib.checkpoints if override is None else override


def async_enabled(lib: Library) -> bool:
    override = async_override.get()
    return lib.checkpoints if override is None else override


def _set_green(value: bool) -> "Token[Optional[bool]]":
    _libraries.green_checkpoints_possible = True
    _libraries._green_not_plain()
    return green_override.set(value)


def _set_async(value: bool) -> "Token[Optional[bool]]":
    _libraries.async_checkpoints_possible = True
    _libraries.allow_async_checkpoints()
    return async_override.set(value)


# The primitives' hot paths call these two only when
# `_libraries.*_checkpoints_possible`; an override answers without a probe.


def green_checkpoint_enabled() -> bool:
    """Whether green checkpoints are on for the current library and context."""
    override = green_override.get()
    if override is not None:
        return override
    return green_library().checkpoints


def async_checkpoint_enabled() -> bool:
    """Whether async checkpoints are on for the current library and context."""
    override = async_override.get()
    if override is not None:
        return override
    return async_library().checkpoints


def green_checkpoint(*, force: bool = False) -> None:
    """Make one checkpoint if green checkpoints are on (or `force`)."""
    if force or green_override.get() is not False:
        lib = green_library()
        if force or green_enabled(lib):
            lib.backend.checkpoint()


async def async_checkpoint(*, force: bool = False) -> None:
    """Make one checkpoint (a schedule point and a cancel point) if async
    checkpoints are on (or `force`)."""
    if force or async_override.get() is not False:
        lib = async_library()
        if force or async_enabled(lib):
            await lib.backend.checkpoint()


def green_checkpoint_if_cancelled(*, force: bool = False) -> None:
    """Green libraries have no pending cancellation to raise: does nothing."""


async def async_checkpoint_if_cancelled(*, force: bool = False) -> None:
    """Raise the pending cancellation, if any, without a schedule point where
    the library allows it (call it before `shield()`)."""
    if force or async_override.get() is not False:
        lib = async_library()
        if force or async_enabled(lib):
            await lib.backend.checkpoint_before()


class _Setting:
    """What `enable_checkpoints()`/`disable_checkpoints()` return: a context
    manager (``with`` for green, ``async with`` for async), or a wrapper when
    given a function or an awaitable."""

    __slots__ = ("_value", "_tokens")

    def __init__(self, value: bool) -> None:
        self._value = value
        self._tokens: List[Token[Optional[bool]]] = []

    def __enter__(self) -> bool:
        self._tokens.append(_set_green(self._value))
        return self._value

    def __exit__(self, *exc_info: object) -> None:
        green_override.reset(self._tokens.pop())

    async def __aenter__(self) -> bool:
        self._tokens.append(_set_async(self._value))
        return self._value

    async def __aexit__(self, *exc_info: object) -> None:
        async_override.reset(self._tokens.pop())


def _wrap(value: bool, wrapped: Any) -> Any:
    if inspect.iscoroutinefunction(wrapped):

        @functools.wraps(wrapped)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            token = _set_async(value)
            try:
                return await wrapped(*args, **kwargs)
            finally:
                async_override.reset(token)

        return async_wrapper
    if inspect.isawaitable(wrapped):

        async def proxy() -> Any:
            token = _set_async(value)
            try:
                return await wrapped
            finally:
                async_override.reset(token)

        return proxy()
    if callable(wrapped):

        @functools.wraps(wrapped)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            token = _set_green(value)
            try:
                return wrapped(*args, **kwargs)
            finally:
                green_override.reset(token)

        return wrapper
    raise TypeError(f"expected a function or an awaitable, not {type(wrapped).__name__}")


_NOTHING: Any = object()
_R = TypeVar("_R")
_F = TypeVar("_F", bound=Callable[..., Any])


@overload
def enable_checkpoints() -> _Setting: ...


@overload
def enable_checkpoints(wrapped: Awaitable[_R], /) -> Coroutine[Any, Any, _R]: ...


@overload
def enable_checkpoints(wrapped: _F, /) -> _F: ...


def enable_checkpoints(wrapped: Any = _NOTHING, /) -> Any:
    """Turn checkpoints on in the current context: a context manager
    (binding True), or a wrapper for a function, coroutine function or
    awaitable."""
    if wrapped is _NOTHING:
        return _Setting(True)
    return _wrap(True, wrapped)


@overload
def disable_checkpoints() -> _Setting: ...


@overload
def disable_checkpoints(wrapped: Awaitable[_R], /) -> Coroutine[Any, Any, _R]: ...


@overload
def disable_checkpoints(wrapped: _F, /) -> _F: ...


def disable_checkpoints(wrapped: Any = _NOTHING, /) -> Any:
    """Turn checkpoints off in the current context: a context manager
    (binding False), or a wrapper for a function, coroutine function or
    awaitable."""
    if wrapped is _NOTHING:
        return _Setting(False)
    return _wrap(False, wrapped)


# -- what the primitives ask ---------------------------------------------------
# One question per face: "should this blocking call make a checkpoint, and in
# which library?" While nothing can have turned checkpoints on (no loaded
# library has them on by default, no variable, no `enable_checkpoints()` ever
# entered), the answer costs one flag read.


def green_checkpoint_library() -> Optional[Library]:
    """The green library in which the calling blocking call makes its
    checkpoint, or None when checkpoints are off for it."""
    if not _libraries.green_checkpoints_possible:
        return None
    override = green_override.get()
    if override is False:
        return None
    lib = green_library()
    return lib if override or lib.checkpoints else None


def async_checkpoint_library(name: Optional[str] = None) -> Optional[Library]:
    """The async library in which the calling blocking call makes its
    checkpoint, or None when checkpoints are off for it. `name` is the
    caller's library when already known (from its task identifier)."""
    if not _libraries.async_checkpoints_possible:
        # A library may name itself in sniffio's marker before its backend
        # is loaded (trio does): only then can it have checkpoints on now.
        if name is not None or current_async_library_tlocal.name is None:
            return None
    override = async_override.get()
    if override is False:
        return None
    lib = async_library() if name is None else _libraries.library(name)
    return lib if override or lib.checkpoints else None
