"""`Flag`: a slot that holds at most one value, set by the first to come."""

from __future__ import annotations

import warnings
from typing import Any, Callable, Dict, Generic, Tuple, TypeVar, Union, overload

from .meta import MISSING, MissingType
from .statistics import FlagStatistics

__all__ = ("Flag",)

_T = TypeVar("_T")
_D = TypeVar("_D")


class _DefaultMarker:
    """What `Flag.set()` stores when given no marker: one object, the same
    every time, also after pickling."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<default flag marker>"

    def __reduce__(self) -> str:
        return "DEFAULT_MARKER"


DEFAULT_MARKER: Any = _DefaultMarker()

# The flag's value lives in a dict under this key, wrapped in a 1-tuple made
# for each `set()` call: `dict.setdefault` is one atomic step that tells
# every racing setter, by identity, whether its own tuple went in.
_KEY = 0


def _warn(what: str) -> None:
    warnings.warn(
        f"{what} a set Flag is deprecated: it keeps the marker; create a new Flag instead",
        DeprecationWarning,
        stacklevel=3,
    )


class Flag(Generic[_T]):
    """A flag that holds at most one value (a marker). The first `set()`
    wins; `clear()` makes it settable again."""

    __slots__ = ("__weakref__", "_cell")

    _cell: Dict[int, Tuple[_T]]

    @overload
    def __new__(cls) -> Flag[_T]: ...

    @overload
    def __new__(cls, marker: _T) -> Flag[_T]: ...

    def __new__(cls, marker: Any = MISSING) -> Flag[Any]:
        self = object.__new__(cls)
        self._cell = {} if marker is MISSING else {_KEY: (marker,)}
        return self

    def __reduce__(self) -> Any:
        cell = self._cell.get(_KEY)
        if cell is None:
            return (type(self), ())
        _warn("pickling")
        return (type(self), cell)

    def __copy__(self) -> Flag[_T]:
        cell = self._cell.get(_KEY)
        if cell is None:
            return type(self)()
        _warn("copying")
        return type(self)(cell[0])

    def copy(self) -> Flag[_T]:
        """A new flag with the same marker (deprecated: use `copy.copy`)."""
        warnings.warn("Flag.copy() is deprecated: use copy.copy()", DeprecationWarning, stacklevel=2)
        cell = self._cell.get(_KEY)
        return type(self)() if cell is None else type(self)(cell[0])

    def __repr__(self) -> str:
        cls = type(self)
        cell = self._cell.get(_KEY)
        args = "" if cell is None else repr(cell[0])
        return f"{cls.__module__}.{cls.__qualname__}({args})"

    def __bool__(self) -> bool:
        return bool(self._cell)

    def statistics(self) -> FlagStatistics:
        """A snapshot: whether the flag is set."""
        return FlagStatistics(bool(self._cell))

    @overload
    def get(self) -> _T: ...

    @overload
    def get(self, default: _D) -> Union[_T, _D]: ...

    @overload
    def get(self, *, default_factory: Callable[[], _D]) -> Union[_T, _D]: ...

    @overload
    def get(self, default: _D, *, default_factory: Callable[[], Any]) -> Union[_T, _D]: ...

    def get(self, default: Any = MISSING, *, default_factory: Union[Callable[[], Any], MissingType] = MISSING) -> Any:
        """The marker when set; when unset, `default` if given, else the
        result of `default_factory()` if given, else `LookupError`."""
        cell = self._cell.get(_KEY)
        if cell is not None:
            return cell[0]
        if default is not MISSING:
            return default
        if not isinstance(default_factory, MissingType):
            return default_factory()
        raise LookupError(repr(self))

    def set(self, marker: _T = DEFAULT_MARKER) -> bool:
        """Set the flag to `marker` if it is unset (True); if it is set,
        change nothing (False). Of racing setters exactly one wins."""
        if self._cell:
            return False  # the common case, without building a tuple
        cell = (marker,)
        return self._cell.setdefault(_KEY, cell) is cell

    def clear(self) -> None:
        """Unset the flag (nothing happens if it is unset)."""
        self._cell.pop(_KEY, None)
