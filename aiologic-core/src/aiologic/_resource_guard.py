"""`ResourceGuard`: detects a second use of a resource that allows one."""

from __future__ import annotations

from typing import Any, List

from .meta import DEFAULT, DefaultType
from .statistics import ResourceGuardStatistics

__all__ = ("BusyResourceError", "ResourceGuard")


class BusyResourceError(RuntimeError):
    """A `ResourceGuard` was entered while its resource was in use."""


class ResourceGuard:
    """Marks a resource as in use for the duration of a ``with`` block, and
    raises `BusyResourceError` on an attempt to use it meanwhile (by
    another task or by the same one: it is not reentrant). It never waits,
    so it also serves inside coroutines, with a plain ``with``.
    """

    __slots__ = ("__weakref__", "_free", "_action")

    _free: List[None]
    _action: str

    def __new__(cls, _: DefaultType = DEFAULT, /, action: str = "using") -> ResourceGuard:
        if _ is not DEFAULT:
            raise ValueError("the first argument should not have been passed")
        if not isinstance(action, str):
            raise TypeError(f"action must be a string, not {type(action).__name__}")
        self = object.__new__(cls)
        self._free = [None]  # the one use; `pop()` takes it atomically
        self._action = action
        return self

    def __reduce__(self) -> Any:
        return (type(self), (DEFAULT, self._action))

    def __copy__(self) -> ResourceGuard:
        return type(self)(action=self._action)

    def __repr__(self) -> str:
        cls = type(self)
        state = "unlocked" if self._free else "locked"
        return f"<{cls.__module__}.{cls.__qualname__}({self._action!r}) at {id(self):#x} [{state}]>"

    def __bool__(self) -> bool:
        return not self._free

    @property
    def action(self) -> str:
        """The word the error message uses for a use ("using", "reading"...)."""
        return self._action

    def statistics(self) -> ResourceGuardStatistics:
        """A snapshot: whether the resource is in use."""
        return ResourceGuardStatistics(not self._free)

    def __enter__(self) -> ResourceGuard:
        try:
            self._free.pop()
        except IndexError:
            raise BusyResourceError(f"another task is already {self._action} this resource") from None
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if not self._free:  # leaving a guard not in use does nothing
            self._free.append(None)
