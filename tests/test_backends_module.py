"""The plugin interface is the public module `aiologic.backends`; its names'
old home, `aiologic.lowlevel`, keeps them for one release with a
`DeprecationWarning`."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

import aiologic
import aiologic.lowlevel

MOVED = ("API_VERSION", "Backend", "BackendNotFoundError", "installed_backends")


def test_public_names():
    import aiologic.backends as backends

    assert set(MOVED) <= set(backends.__all__)
    for name in backends.__all__:
        obj = getattr(backends, name)
        if isinstance(obj, type) or callable(obj):
            assert obj.__module__ == "aiologic.backends", name
    assert backends.API_VERSION == 1
    assert issubclass(backends.BackendNotFoundError, RuntimeError)
    assert backends.installed_backends()["threading"] == "aiologic-core"
    assert backends.get_backend("threading").name == "threading"


def test_available_after_import_aiologic():
    code = "import aiologic; print(aiologic.backends.Backend.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "Backend"


def test_old_names_deprecated_in_lowlevel():
    import aiologic.backends as backends

    assert not set(MOVED) & set(aiologic.lowlevel.__all__)
    for name in MOVED:
        with pytest.warns(DeprecationWarning, match=f"aiologic.backends"):
            assert getattr(aiologic.lowlevel, name) is getattr(backends, name)
    with pytest.warns(DeprecationWarning) as caught:
        from aiologic.lowlevel import Backend  # noqa: F401
    assert caught[0].filename == __file__  # points at the importing line
    with pytest.raises(AttributeError):
        aiologic.lowlevel.no_such_name  # noqa: B018


def test_new_names_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from aiologic.backends import API_VERSION, Backend, BackendNotFoundError, installed_backends  # noqa: F401

        for name in aiologic.lowlevel.__all__:
            getattr(aiologic.lowlevel, name)


def test_import_stays_light():
    heavy = ("asyncio", "trio", "anyio", "gevent", "eventlet", "curio", "greenlet", "importlib.metadata")
    code = f"import aiologic.backends, sys; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
