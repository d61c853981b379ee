"""Backends are plugins: found through entry points, loaded lazily, and a
missing one is an error that names the distribution (DESIGN.md "Plugins")."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap

import pytest

import aiologic
from aiologic.lowlevel import (
    AsyncLibraryNotFoundError,
    BackendNotFoundError,
    current_async_library,
    current_async_library_tlocal,
    current_green_library,
    current_green_library_tlocal,
    installed_backends,
)


def run(code, **env):
    import os

    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_installed_backends_are_entry_points():
    found = installed_backends()
    assert found["threading"] == "aiologic-core"
    assert found["asyncio"] == "aiologic-asyncio"


def test_detection():
    assert current_green_library() == "threading"
    assert current_async_library(failsafe=True) is None
    with pytest.raises(AsyncLibraryNotFoundError):
        current_async_library()

    async def main():
        return current_async_library()

    assert asyncio.run(main()) == "asyncio"


def test_thread_local_overrides():
    current_green_library_tlocal.name = "somelet"
    current_async_library_tlocal.name = "someio"
    try:
        assert current_green_library() == "somelet"
        assert current_async_library() == "someio"
        import sniffio

        assert sniffio.current_async_library() == "someio"
    finally:
        current_green_library_tlocal.name = None
        current_async_library_tlocal.name = None
    assert current_green_library() == "threading"


def missing_builtin():
    for name, dist in (("trio", "aiologic-trio"), ("curio", "aiologic-curio")):
        if name not in installed_backends():
            return name, dist
    pytest.skip("every built-in async backend is installed")


def test_missing_async_backend_names_distribution():
    name, dist = missing_builtin()

    async def main():
        lock = aiologic.Lock()
        current_async_library_tlocal.name = name
        try:
            with pytest.raises(RuntimeError, match=f"pip install {dist}"):
                async with lock:  # the fast path too
                    pass
            with pytest.raises(BackendNotFoundError, match=f"pip install {dist}"):
                await lock.async_acquire()
        finally:
            current_async_library_tlocal.name = None
        assert not lock.locked()

    asyncio.run(main())


def test_unknown_library_error():
    async def main():
        current_async_library_tlocal.name = "someio"
        try:
            with pytest.raises(BackendNotFoundError, match="someio"):
                await aiologic.Semaphore(0).async_acquire(timeout=1)
        finally:
            current_async_library_tlocal.name = None

    asyncio.run(main())


def test_missing_green_backend_names_distribution():
    if "gevent" in installed_backends():
        pytest.skip("aiologic-greenlet is installed")
    out = run(
        """
        import sys, types
        # what importing gevent does to sys.modules (gevent imports greenlet)
        sys.modules["greenlet"] = types.ModuleType("greenlet")
        sys.modules["gevent"] = types.ModuleType("gevent")
        import aiologic
        try:
            with aiologic.Lock():
                pass
        except RuntimeError as exc:
            print(exc)
        """
    )
    assert "pip install aiologic-greenlet" in out


def test_backend_loaded_once_and_lazily():
    out = run(
        """
        import asyncio, sys
        import aiologic
        from aiologic.lowlevel import _registry
        assert _registry._entry_points is None
        async def main():
            async with aiologic.Lock():
                pass
        asyncio.run(main())
        first = _registry._backends["asyncio"]
        asyncio.run(main())
        print(first is _registry._backends["asyncio"], "aiologic_asyncio" in sys.modules)
        """
    )
    assert out == "True True"


def test_duplicate_registration_is_an_error(monkeypatch):
    from aiologic.lowlevel import _registry

    fake = {
        "dupio": [
            _registry._EntryPoint("dupio", "a:b", "dist-one", lambda: None),
            _registry._EntryPoint("dupio", "c:d", "dist-two", lambda: None),
        ]
    }
    monkeypatch.setattr(_registry, "_read_entry_points", lambda: fake)
    monkeypatch.setattr(_registry, "_entry_points", None)
    monkeypatch.setattr(_registry, "_failures", {})
    with pytest.raises(BackendNotFoundError, match="dist-one and dist-two"):
        _registry.get_backend("dupio")


def test_checkpoint_environment_variables():
    code = """
        import asyncio
        from aiologic.lowlevel import async_checkpoint_enabled, green_checkpoint_enabled
        async def main():
            return async_checkpoint_enabled()
        print(asyncio.run(main()), green_checkpoint_enabled())
        """
    assert run(code) == "False False"
    assert run(code, AIOLOGIC_ASYNCIO_CHECKPOINTS="0") == "True False"
    assert run(code, AIOLOGIC_ASYNC_CHECKPOINTS="1", AIOLOGIC_ASYNCIO_CHECKPOINTS="") == "False False"
    assert run(code, AIOLOGIC_GREEN_CHECKPOINTS="yes") == "False True"


def test_third_party_backend_loads_only_once_its_module_is_imported():
    # Loading a plugin imports its library: detection must not do that in
    # programs that do not use the library (it once loaded every plugin).
    out = run(
        """
        import asyncio, sys, types
        import aiologic
        from aiologic.lowlevel import Backend, _registry, current_async_library

        loads = []

        class SomeioBackend(Backend):
            name, kind, root_module = "someio", "async", "someio"
            def running(self): return False
            def current_task(self): raise RuntimeError
            def current_token(self): raise RuntimeError
            def create_waiter(self, *, shield=False): raise RuntimeError
            async def checkpoint(self): pass
            async def checkpoint_before(self): pass
            async def checkpoint_after(self): pass
            def clock(self): return 0.0
            async def sleep(self, seconds): pass
            def shield(self, wrapped): return wrapped

        def load():
            loads.append("someio")
            return SomeioBackend()

        real = _registry._read_entry_points
        def with_someio():
            found = real()
            found["someio"] = [_registry._EntryPoint("someio", "aiologic_someio:backend", "aiologic-someio", load)]
            return found
        _registry._read_entry_points = with_someio

        async def main():
            async with aiologic.Lock():
                return current_async_library()

        print(asyncio.run(main()), current_async_library(failsafe=True), loads)
        sys.modules["someio"] = types.ModuleType("someio")  # the library is imported now
        print(current_async_library(failsafe=True), loads)
        """
    )
    assert out.splitlines() == ["asyncio None []", "None ['someio']"]


def test_python_m_aiologic_maps_libraries_to_backends():
    from aiologic.__main__ import library_map

    found, absent = library_map({"threading": "aiologic-core"})
    lines = dict(found)
    assert lines["threading"] == "aiologic-core (installed)"
    assert lines["asyncio"] == "aiologic-asyncio (not installed)"
    for name in ("curio", "gevent", "eventlet"):
        assert (name in absent) != (name in lines)
    found, _ = library_map(installed_backends())
    assert dict(found)["asyncio"] == "aiologic-asyncio (installed)"
