"""What `import aiologic` does and does not do."""

from __future__ import annotations

import subprocess
import sys

import pytest

import aiologic


def run(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


HEAVY = ("asyncio", "trio", "anyio", "gevent", "eventlet", "curio", "greenlet", "importlib.metadata")


@pytest.mark.parametrize("module", ["aiologic", "aiologic.lowlevel", "aiologic.meta", "aiologic.backends"])
def test_import_is_light(module):
    code = f"import {module}, sys; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    assert run(code) == "[]"


def test_meta_imports_nothing_heavy():
    heavy = HEAVY + ("wrapt", "typing_extensions", "importlib_metadata")
    code = f"import aiologic.meta, sys; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    assert run(code) == "[]"


def test_all_tuples():
    import aiologic.lowlevel
    import aiologic.meta

    assert isinstance(aiologic.lowlevel.__all__, tuple) and len(aiologic.lowlevel.__all__) == 67
    assert len(set(aiologic.lowlevel.__all__)) == 67
    for name in aiologic.lowlevel.__all__:
        assert hasattr(aiologic.lowlevel, name), name
    assert set(aiologic.meta.__all__) == {
        "DEFAULT",
        "MISSING",
        "DefaultType",
        "MissingType",
        "SingletonEnum",
        "copies",
        "export",
        "export_dynamic",
    }
    # the plugin interface is not part of aiologic.lowlevel's names
    assert "Backend" not in aiologic.lowlevel.__all__


def test_public_names_report_public_home():
    for name in aiologic.__all__:
        obj = getattr(aiologic, name)
        assert obj.__module__ == "aiologic", name
    assert aiologic.Lock.async_acquire.__qualname__ == "Lock.async_acquire"
    for name in aiologic.lowlevel.__all__:
        obj = getattr(aiologic.lowlevel, name)
        if name == "AsyncLibraryNotFoundError":  # sniffio's own class, re-exported
            continue
        if name in ("ThreadLock", "ThreadRLock"):  # the interpreter's own lock types
            continue
        if isinstance(obj, type) or callable(obj) and hasattr(obj, "__code__"):
            assert obj.__module__ == "aiologic.lowlevel", name
    assert isinstance(aiologic.__all__, tuple)
    assert aiologic.__version__ == "0.18.0.dev0"


def test_no_entry_points_read_at_import():
    code = "import aiologic.lowlevel._registry as r; print(r._entry_points is None)"
    assert run(code) == "True"
