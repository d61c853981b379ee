"""Helpers for building aiologic itself and packages like it.

Only light standard modules are imported here: `aiologic.meta` is imported by
`import aiologic`, which must stay cheap.
"""

from __future__ import annotations

import enum
from types import FunctionType, ModuleType
from typing import Any, List, MutableMapping, Set, Tuple, Union

__all__ = ("DEFAULT", "MISSING", "DefaultType", "MissingType", "SingletonEnum", "export")


class _SingletonEnumMeta(enum.EnumMeta):
    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if not args and not kwargs:
            members: List[Any] = list(cls.__members__.values())
            if len(members) == 1:
                return members[0]
        return super().__call__(*args, **kwargs)


class SingletonEnum(enum.Enum, metaclass=_SingletonEnumMeta):
    """An `enum.Enum` base for marker types; a one-member subclass called
    with no arguments returns its member."""

    def __repr__(self) -> str:
        return f"{type(self).__module__}.{self._name_}"

    __str__ = __repr__

    def __setattr__(self, name: str, value: object) -> None:
        if name.startswith("_") and name.endswith("_") or name in getattr(type(self), "__slots__", ()):
            object.__setattr__(self, name, value)
            return
        prop = getattr(type(self), name, None)
        if isinstance(prop, property) and prop.fset is not None:
            prop.fset(self, value)
            return
        raise AttributeError(f"cannot set attribute {name!r} of {self!r}")

    def __copy__(self) -> SingletonEnum:
        return self

    def __deepcopy__(self, memo: object) -> SingletonEnum:
        return self

    def __bool__(self) -> bool:
        return False


class MissingType(SingletonEnum):
    """The type of `MISSING`: "not given, and no passed value could mean the same"."""

    MISSING = "MISSING"


class DefaultType(SingletonEnum):
    """The type of `DEFAULT`: "not given, use the usual default"."""

    DEFAULT = "DEFAULT"


def _final(cls: Any) -> Any:
    def __init_subclass__(*args: object, **kwargs: object) -> None:
        raise TypeError(f"type '{cls.__qualname__}' is not an acceptable base type")

    cls.__final__ = True
    return cls


_final(MissingType)
_final(DefaultType)

MISSING = MissingType.MISSING
DEFAULT = DefaultType.DEFAULT


def _rename(obj: Any, module: str, qualname: str, seen: Set[int]) -> None:
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, (classmethod, staticmethod)):
        _rename(obj.__func__, module, qualname, seen)
    elif isinstance(obj, property):
        for func in (obj.fget, obj.fset, obj.fdel):
            if func is not None:
                _rename(func, module, qualname, seen)
    elif isinstance(obj, (FunctionType, type)):
        try:
            obj.__module__ = module
            obj.__qualname__ = qualname
            if isinstance(obj, FunctionType) or "." not in qualname:
                obj.__name__ = qualname.rpartition(".")[2]
        except (AttributeError, TypeError):
            return
        if isinstance(obj, type):
            for name, member in list(vars(obj).items()):
                if name.startswith("__") and name.endswith("__"):
                    continue
                _rename(member, module, f"{qualname}.{name}", seen)
            for name in ("__init__", "__new__", "__call__", "__await__", "__enter__", "__exit__",
                         "__aenter__", "__aexit__", "__repr__", "__bool__", "__reduce__", "__copy__"):
                member = vars(obj).get(name)
                if member is not None:
                    _rename(member, module, f"{qualname}.{name}", seen)


def _sort_key(name: str) -> Tuple[int, str]:
    if name.isupper():
        group = 0
    elif name[:1].isupper():
        group = 1
    else:
        group = 2
    return (group, name)


def export(package_namespace: Union[ModuleType, MutableMapping[str, Any]], /) -> None:
    """Make every public object of a package look defined in that package
    (`__module__`, `__name__`, `__qualname__`), recursively for class members
    and public submodules; build `__all__` when it is missing."""
    namespace: MutableMapping[str, Any]
    if isinstance(package_namespace, ModuleType):
        namespace = vars(package_namespace)
    else:
        namespace = package_namespace
    module_name = namespace["__name__"]
    seen: Set[int] = set()
    public = []
    for name, obj in list(namespace.items()):
        if name.startswith("_"):
            continue
        if isinstance(obj, ModuleType):
            if obj.__name__.startswith(module_name + ".") and obj.__name__ != module_name:
                export(obj)
            continue
        if name in ("annotations", "TYPE_CHECKING") and getattr(obj, "__module__", None) in (None, "__future__", "typing"):
            if not isinstance(obj, (FunctionType, type)):
                continue
        public.append(name)
        if isinstance(obj, (FunctionType, type)) and getattr(obj, "__module__", "").startswith(
            module_name.partition(".")[0]
        ):
            _rename(obj, module_name, name, seen)
    if "__all__" not in namespace:
        namespace["__all__"] = tuple(sorted(public, key=_sort_key))

