"""Every public name has a docstring, and so does every public method and
property of every public class: the API reference (docs/, built by autodoc)
is made from them, so a missing one is a hole in the documentation.

The names are collected in a subprocess: the greenlet backends import gevent
and eventlet, which the rest of the suite must not find imported."""

import importlib
import inspect
import json
import subprocess
import sys
import types
from typing import Any, Iterator, List, Tuple

import pytest

BACKEND_PACKAGES = ["aiologic_asyncio", "aiologic_trio", "aiologic_curio", "aiologic_greenlet"]


def _public_names(module: types.ModuleType) -> List[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [name for name in vars(module) if not name.startswith("_")]
    return list(names)


def _modules() -> Iterator[types.ModuleType]:
    import aiologic
    import aiologic.backends
    import aiologic.lowlevel
    import aiologic.meta

    yield aiologic
    yield aiologic.lowlevel
    yield aiologic.meta
    yield aiologic.backends
    for name in BACKEND_PACKAGES:
        try:
            yield importlib.import_module(name)
        except ImportError:  # pragma: no cover - a backend that is not installed
            continue


def _is_ours(obj: Any) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module.split(".")[0].startswith("aiologic")


def _members(cls: type) -> Iterator[Tuple[str, Any]]:
    """The public methods and properties that `cls` or one of our bases defines."""
    for name in sorted(dir(cls)):
        if name.startswith("_"):
            continue
        for owner in cls.__mro__:
            if name in vars(owner):
                break
        else:  # pragma: no cover - a metaclass attribute
            continue
        if not _is_ours(owner):
            continue  # inherited from the standard library (Exception, Enum...)
        raw = vars(owner)[name]
        if isinstance(raw, (staticmethod, classmethod)):
            raw = raw.__func__
        if isinstance(raw, (types.FunctionType, property)) or inspect.isroutine(raw):
            yield name, getattr(cls, name)


def _targets() -> Iterator[Tuple[str, Any]]:
    seen = set()
    for module in _modules():
        assert inspect.getdoc(module), f"{module.__name__} has no docstring"
        for name in _public_names(module):
            try:
                obj = getattr(module, name)
            except Exception:  # a backend whose library is not installed (gevent on PyPy)
                continue
            qualname = f"{module.__name__}.{name}"
            if isinstance(obj, types.ModuleType):
                continue
            if not (inspect.isclass(obj) or inspect.isroutine(obj) or _is_ours(type(obj))):
                continue  # a constant (API_VERSION, a tuple...)
            if (inspect.isclass(obj) or inspect.isroutine(obj)) and not _is_ours(obj):
                continue  # the interpreter's own type under our name (ThreadLock): a `#:` comment documents it
            if inspect.isclass(obj) or inspect.isroutine(obj):
                yield qualname, obj
            else:  # an instance of ours (a backend, MISSING, SET_EVENT): its class
                obj = type(obj)
                yield qualname + " (its class)", obj
            if inspect.isclass(obj) and id(obj) not in seen:
                seen.add(id(obj))
                for member, value in _members(obj):
                    yield f"{qualname}.{member}", value


def _collect() -> None:
    targets = list(_targets())
    missing = [name for name, obj in targets if not (inspect.getdoc(obj) or "").strip()]
    json.dump({"checked": [name for name, _ in targets], "missing": missing}, sys.stdout)


@pytest.fixture(scope="module")
def report() -> Any:
    out = subprocess.run(
        [sys.executable, __file__], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    return json.loads(out)


def test_something_is_checked(report: Any) -> None:
    names = set(report["checked"])
    assert "aiologic.Lock" in names
    assert "aiologic.Lock.async_acquire" in names
    assert "aiologic.Queue.green_get" in names
    assert "aiologic.lowlevel.create_green_waiter" in names
    assert "aiologic.backends.Backend.create_waiter" in names
    assert "aiologic.meta.export" in names
    assert "aiologic_trio.TrioWaiter.wake" in names
    assert len(names) > 300


def test_every_public_name_has_a_docstring(report: Any) -> None:
    missing = report["missing"]
    if missing:
        pytest.fail(f"{len(missing)} public names have no docstring:\n  " + "\n  ".join(missing))


if __name__ == "__main__":
    import warnings

    warnings.simplefilter("ignore")  # eventlet's deprecation notice
    _collect()
