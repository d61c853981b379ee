"""aiologic.meta: the markers, copies, export and export_dynamic."""

from __future__ import annotations

import asyncio
import copy
import enum
import pickle
import sys
import types

import pytest

from aiologic import meta
from aiologic.meta import DEFAULT, MISSING, DefaultType, MissingType, SingletonEnum, copies, export, export_dynamic

# -- markers -------------------------------------------------------------------------


@pytest.mark.parametrize(("marker", "cls", "name"), [(MISSING, MissingType, "MISSING"), (DEFAULT, DefaultType, "DEFAULT")])
def test_markers(marker, cls, name):
    assert not marker and type(marker) is cls and isinstance(marker, enum.Enum)
    assert repr(marker) == str(marker) == f"aiologic.meta.{name}"
    assert marker.name == marker.value == name
    assert getattr(cls, name) is marker and list(cls) == [marker] and cls() is marker
    assert copy.copy(marker) is marker and copy.deepcopy(marker) is marker
    assert pickle.loads(pickle.dumps(marker)) is marker
    assert cls.__final__ is True
    with pytest.raises(TypeError):

        class Sub(cls):
            pass

    with pytest.raises(AttributeError):
        marker.anything = 1


def test_singleton_enum_subclass():
    class Marker(SingletonEnum):
        __slots__ = ("note",)
        ONLY = "ONLY"

    assert Marker() is Marker.ONLY
    assert repr(Marker.ONLY) == f"{__name__}.ONLY"
    Marker.ONLY.note = "allowed"  # declared in __slots__
    with pytest.raises(AttributeError):
        Marker.ONLY.other = 1

    class Two(SingletonEnum):
        A = 1
        B = 2

    assert Two(2) is Two.B
    with pytest.raises(TypeError):
        Two()


# -- copies -------------------------------------------------------------------------


def _original(a, b=2, *, c=3):
    """original's doc"""
    return ("original", a, b, c)


def test_copies_two_arguments():
    def replaced(x: int) -> str:
        """replaced's doc"""
        raise AssertionError

    replaced.marker = "kept"
    new = copies(_original, replaced)
    assert new is not _original and new is not replaced
    assert new(1) == ("original", 1, 2, 3)
    assert new.__code__ is _original.__code__
    assert new.__name__ == "replaced" and new.__qualname__ == replaced.__qualname__
    assert new.__doc__ == "replaced's doc" and new.__module__ == __name__
    assert new.__annotations__ == replaced.__annotations__ and new.__annotations__ is not replaced.__annotations__
    assert new.__kwdefaults__ == {"c": 3} and new.__kwdefaults__ is not _original.__kwdefaults__
    assert new.marker == "kept" and not hasattr(new, "__wrapped__")


def test_copies_as_decorator_and_async():
    async def sig1(x):
        return x + 1

    @copies(sig1)
    async def sig2(x):
        return await sig1(x)

    assert sig2.__name__ == "sig2" and sig2.__code__ is sig1.__code__
    assert asyncio.iscoroutinefunction(sig2)
    assert asyncio.run(sig2(1)) == 2


def test_copies_builtin_and_self():
    def replaced():
        pass

    assert copies(len, replaced) is replaced
    again = copies(_original, _original)
    assert again is not _original and again.__code__ is _original.__code__
    with pytest.raises(TypeError):
        copies(len, len)


# -- export ------------------------------------------------------------------------------


def _package(name):
    module = types.ModuleType(name)
    module.__path__ = []
    module.__package__ = name
    sys.modules[name] = module
    return module


def test_export_renames_and_builds_all():
    package = _package("exportpkg")
    try:
        ns = vars(package)

        class _Hidden:
            def method(self):
                pass

        def helper():
            pass

        _Hidden.__module__ = helper.__module__ = "exportpkg._impl"
        ns.update(Public=_Hidden, do=helper, CONSTANT=1, _private=2)
        export(ns)
        assert _Hidden.__module__ == "exportpkg" and _Hidden.__qualname__ == "Public"
        assert _Hidden.method.__qualname__ == "Public.method"
        assert helper.__name__ == "do" and helper.__module__ == "exportpkg"
        assert ns["__all__"] == ("CONSTANT", "Public", "do")
    finally:
        del sys.modules["exportpkg"]


# -- export_dynamic -------------------------------------------------------------------


@pytest.fixture
def dyn_package(tmp_path, monkeypatch):
    root = tmp_path / "dynpkg"
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "_impl.py").write_text("def thing():\n    return 42\n\nclass Klass:\n    pass\n\nversion = '1.0'\n")
    (root / "sub" / "__init__.py").write_text("")
    (root / "sub" / "leaf.py").write_text("value = 'leaf'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import dynpkg

    yield dynpkg
    for name in [name for name in sys.modules if name == "dynpkg" or name.startswith("dynpkg.")]:
        del sys.modules[name]


def test_export_dynamic_is_lazy(dyn_package):
    ns = vars(dyn_package)
    export_dynamic(ns, "thing", "._impl.thing")
    export_dynamic(ns, "Klass", "dynpkg._impl.Klass")
    export_dynamic(ns, "__version__", "._impl.version")
    export_dynamic(ns, "leaf", ".sub.leaf")
    assert "dynpkg._impl" not in sys.modules  # nothing imported yet
    assert dyn_package.thing() == 42
    assert dyn_package.thing.__module__ == "dynpkg" and dyn_package.thing.__name__ == "thing"
    assert dyn_package.Klass.__qualname__ == "Klass" and dyn_package.Klass.__module__ == "dynpkg"
    assert dyn_package.__version__ == "1.0"
    assert dyn_package.leaf.value == "leaf"
    assert "thing" in ns  # cached
    assert "thing" not in getattr(dyn_package, "__all__", ())
    with pytest.raises(AttributeError):
        dyn_package.unknown


def test_export_dynamic_errors(dyn_package):
    ns = vars(dyn_package)
    export_dynamic(ns, "missing", "._impl.nothing_here")
    with pytest.raises(ImportError):
        dyn_package.missing
    export_dynamic(ns, "bare", "_impl")  # a bare name is ".name"
    assert dyn_package.bare.version == "1.0"
    with pytest.raises(ValueError):
        export_dynamic(ns, "above", "..elsewhere")
    export_dynamic(ns, "same", "._impl.thing")
    export_dynamic(ns, "same", "._impl.thing")  # same target: allowed
    with pytest.raises(RuntimeError):
        export_dynamic(ns, "same", "._impl.Klass")
    with pytest.raises(RuntimeError):
        export_dynamic({"__name__": "not_a_loaded_module"}, "x", ".y")


def test_export_dynamic_refuses_a_foreign_getattr(dyn_package):
    def __getattr__(name):
        raise AttributeError(name)

    dyn_package.__getattr__ = __getattr__
    with pytest.raises(RuntimeError):
        export_dynamic(vars(dyn_package), "thing", "._impl.thing")


def test_meta_all():
    assert isinstance(meta.__all__, tuple)
    for name in meta.__all__:
        assert hasattr(meta, name)
