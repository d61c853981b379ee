"""Helpers for building aiologic itself and packages like it.

Only light standard modules are imported here: `aiologic.meta` is imported by
`import aiologic`, which must stay cheap.
"""

from __future__ import annotations

import enum
import sys
from types import FunctionType, ModuleType
from typing import Any, Callable, Dict, List, MutableMapping, Set, Tuple, TypeVar, Union

_F = TypeVar("_F", bound=Callable[..., Any])

__all__ = (
    "DEFAULT",
    "MISSING",
    "DefaultType",
    "MissingType",
    "SingletonEnum",
    "copies",
    "export",
    "export_dynamic",
)


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



# -- copies --------------------------------------------------------------------

_NOTHING: Any = object()


def _copy_function(original: Any, replaced: Any) -> Any:
    new = FunctionType(
        original.__code__,
        original.__globals__,
        replaced.__name__,
        original.__defaults__,
        original.__closure__,
    )
    new.__kwdefaults__ = None if original.__kwdefaults__ is None else dict(original.__kwdefaults__)
    new.__qualname__ = replaced.__qualname__
    new.__module__ = replaced.__module__
    new.__doc__ = replaced.__doc__
    new.__annotations__ = dict(getattr(replaced, "__annotations__", None) or {})
    new.__dict__.update(getattr(replaced, "__dict__", {}))
    new.__dict__.pop("__wrapped__", None)
    return new


def copies(original: Any, replaced: Any = _NOTHING, /) -> Any:
    """Replace a function by a copy of `original` that looks like `replaced`.

    ``copies(original, replaced)`` returns a new function that runs
    `original`'s code (its code, globals, closure, defaults and a copy of its
    keyword defaults) under `replaced`'s name, qualified name, module,
    docstring, annotations and attributes: the call that `replaced` would
    make to `original` is saved. ``copies(original)`` is the same as a
    decorator. If `original` is not a Python function, `replaced` is returned
    as it is (and ``copies(f, f)``, which always asks for a copy, raises
    `TypeError`)."""
    if replaced is _NOTHING:

        def decorator(function: _F) -> _F:
            return copies(original, function)  # type: ignore[no-any-return]

        return decorator
    if not isinstance(original, FunctionType):
        if original is replaced:
            raise TypeError(f"cannot copy {original!r}: not a Python function")
        return replaced
    return _copy_function(original, replaced)


# -- export_dynamic --------------------------------------------------------------

_LINKS = "__aiologic_dynamic_links__"


def _absolute(namespace: MutableMapping[str, Any], target: str) -> str:
    """The absolute dotted path of `target` (``pkg.mod.attr``, ``.attr``,
    ``..attr`` or a bare name, relative to the namespace's package)."""
    if "." not in target:
        target = "." + target
    if not target.startswith("."):
        return target
    package = namespace.get("__package__")
    if not package:
        name = namespace["__name__"]
        package = name if "__path__" in namespace else name.rpartition(".")[0]
    level = len(target) - len(target.lstrip("."))
    parts = package.split(".") if package else []
    if level - 1 >= len(parts) or not parts:
        raise ValueError(f"{target!r} goes above the top-level package of {namespace['__name__']!r}")
    base = parts[: len(parts) - (level - 1)]
    return ".".join([*base, target[level:]])


def _load(path: str) -> Any:
    import importlib

    module_path, _, attribute = path.rpartition(".")
    if not module_path:
        return importlib.import_module(path)
    try:
        module = importlib.import_module(module_path)
    except ImportError as exc:
        raise ImportError(f"cannot import {path!r}: {exc}") from exc
    try:
        return getattr(module, attribute)
    except AttributeError:
        pass
    try:
        return importlib.import_module(path)  # a submodule not imported yet
    except ImportError as exc:
        raise ImportError(f"cannot import name {attribute!r} from {module_path!r}") from exc


def export_dynamic(
    module_namespace: Union[ModuleType, MutableMapping[str, Any]], link_name: str, target: str, /
) -> None:
    """Make `link_name` a lazy attribute of a module: its first read imports
    `target` (``pkg.mod.attr``, ``.attr``, ``..attr``, or a bare name for
    ``.name``; a submodule too), renames it as `export` does, caches it in
    the module and returns it. Nothing is imported before that read, and the
    link is not added to ``__all__``."""
    namespace: MutableMapping[str, Any]
    if isinstance(module_namespace, ModuleType):
        namespace = vars(module_namespace)
    else:
        namespace = module_namespace
    module_name = namespace["__name__"]
    if module_name not in sys.modules:
        raise RuntimeError(f"{module_name!r} is not in sys.modules")
    path = _absolute(namespace, target)
    links: Dict[str, str]
    hook = namespace.get("__getattr__")
    if hook is None:
        links = {}

        def __getattr__(name: str) -> Any:
            found = links.get(name)
            if found is None:
                raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
            value = _load(found)
            if isinstance(value, (FunctionType, type)) and getattr(value, "__module__", "").startswith(
                module_name.partition(".")[0]
            ):
                _rename(value, module_name, name, set())
            namespace[name] = value
            return value

        setattr(__getattr__, _LINKS, links)
        namespace["__getattr__"] = __getattr__
    else:
        existing = getattr(hook, _LINKS, None)
        if existing is None:
            raise RuntimeError(f"{module_name!r} already defines its own __getattr__")
        links = existing
    previous = links.get(link_name)
    if previous is not None and previous != path:
        raise RuntimeError(f"{module_name}.{link_name} already links to {previous!r}, not {path!r}")
    links[link_name] = path
