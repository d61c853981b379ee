"""Backends are plugins: found through entry points, loaded lazily (the
built-in ones without reading any metadata), never deadlocking their own
thread, and a missing one is an error that names the distribution."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap

import pytest

import aiologic
from aiologic.backends import BackendNotFoundError, installed_backends
from aiologic.lowlevel import (
    AsyncLibraryNotFoundError,
    current_async_library,
    current_async_library_tlocal,
    current_green_library,
    current_green_library_tlocal,
)
from fake_plugins import run_with_plugins


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
        from aiologic.backends import Backend
        from aiologic.lowlevel import _registry, current_async_library

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


# -- loading without a full scan, and re-entry ---------------------------------------


def test_first_contended_use_reads_no_metadata():
    # Importing importlib.metadata and reading every distribution's entry
    # points cost the first wait tens of milliseconds: built-in backends are
    # found through their known modules instead.
    out = run_with_plugins(
        """
        import asyncio, aiologic

        async def main():
            lock = aiologic.Lock()
            async def holder():
                async with lock:
                    await asyncio.sleep(0)
            async def contender():
                async with lock:
                    pass
            await asyncio.gather(holder(), contender())
            assert lock.waiting == 0 and not lock.locked()

        asyncio.run(main())
        print(len(reads), "importlib.metadata" in sys.modules, sorted(_registry._backends))
        """
    )
    assert out == "0 False ['asyncio', 'threading']"


def test_builtin_backend_without_metadata():
    # Frozen applications carry no entry-point metadata: built-ins still load.
    out = run_with_plugins(
        """
        import asyncio, aiologic
        _registry._read_entry_points = lambda: {}
        assert _registry.installed_backends() == {}

        async def main():
            await aiologic.Semaphore(0).async_acquire(timeout=0.001)

        asyncio.run(main())
        print(_registry.get_backend("asyncio").distribution)
        """
    )
    assert out == "aiologic-asyncio"


def test_at_most_one_rescan_per_name():
    out = run_with_plugins(
        """
        def lookup(name):
            try:
                _registry.get_backend(name)
            except BackendNotFoundError:
                pass
            return len(reads)

        first = lookup("nope1")  # the first read is fresh: no re-scan
        again = lookup("nope1")  # remembered
        other = lookup("nope2")  # the metadata may have changed since: one re-scan
        register("lateio", lambda: type("Late", (Someio,), {"name": "lateio", "root_module": "lateio"})())
        late = _registry.get_backend("lateio").name  # installed while running: found by its re-scan
        print(first, again, other, late, len(reads))
        """
    )
    assert out == "1 1 2 lateio 3"


def test_reentry_from_a_loader_does_not_deadlock():
    # The registry loads under a lock; code that runs meanwhile in the same
    # thread (here the loader itself; in real life a finalizer or a signal
    # handler) and asks for a backend must not wait for that lock.
    out = run_with_plugins(
        """
        seen = []

        class Outer(Someio):
            name = root_module = "outerio"

        class Inner(Someio):
            name = root_module = "innerio"

        def load_outer():
            try:
                _registry.get_backend("innerio")
            except BackendNotFoundError as exc:
                seen.append(str(exc))
            assert _registry.get_backend("threading").name == "threading"  # loaded: answered
            return Outer()

        register("outerio", load_outer)
        register("innerio", Inner)
        print(_registry.get_backend("outerio").name)
        print(seen)
        print(_registry.get_backend("innerio").name)  # the refusal was not remembered
        """,
        timeout=30,
    )
    outer, seen, inner = out.splitlines()
    assert (outer, inner) == ("outerio", "innerio")
    assert "innerio" in seen and "finalizer or a signal handler" in seen


def test_finalizer_during_the_scan_releases_a_lock():
    # A finalizer that runs while the entry points are read (garbage
    # collection can run at any allocation) releases a Lock; with greenlet
    # imported (as SQLAlchemy does) the release asks green detection, which
    # asks the registry.
    out = run_with_plugins(
        """
        import aiologic

        lock = aiologic.Lock()
        lock.green_acquire()
        sys.modules["greenlet"] = types.ModuleType("greenlet")
        sys.modules["someio"] = types.ModuleType("someio")
        released = []

        class Garbage:
            def __del__(self):
                lock.green_release()
                released.append(True)

        _read = _registry._read_entry_points

        def read_with_garbage():
            if not released:
                garbage = Garbage()
                del garbage  # its finalizer runs here, in the middle of the read
            return _read()

        _registry._read_entry_points = read_with_garbage
        register("someio", Someio)
        print(_registry.get_backend("someio").name, released, lock.locked())
        """,
        timeout=30,
    )
    assert out == "someio [True] False"


def test_two_distributions_for_a_loaded_builtin_are_reported_later():
    # The check that two distributions register one name needs the full
    # scan. A built-in backend is loaded before any scan: the check comes
    # with the scan (here installed_backends(), as python -m aiologic does),
    # as a warning; the loaded backend stays in use.
    out = run_with_plugins(
        """
        import asyncio, warnings, aiologic

        register("asyncio", lambda: __import__("aiologic_asyncio").backend, "fork-asyncio")

        async def main():
            async with aiologic.Lock():
                pass

        asyncio.run(main())
        print(len(reads))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            print(_registry.installed_backends()["asyncio"])
            _registry.installed_backends()  # warned once
        print([(w.category.__name__, str(w.message)) for w in caught])
        asyncio.run(main())  # still served
        """
    )
    reads, installed, caught = out.splitlines()
    assert reads == "0"
    assert installed == "aiologic-asyncio, fork-asyncio"
    assert caught.count("RuntimeWarning") == 1 and "aiologic-asyncio and fork-asyncio" in caught


def test_two_distributions_for_a_builtin_known_before_loading():
    out = run_with_plugins(
        """
        import asyncio, aiologic

        register("asyncio", lambda: __import__("aiologic_asyncio").backend, "fork-asyncio")
        _registry.installed_backends()  # the scan comes first

        async def main():
            try:
                async with aiologic.Lock():
                    pass
            except BackendNotFoundError as exc:
                print(exc)

        asyncio.run(main())
        """
    )
    assert "aiologic-asyncio and fork-asyncio" in out


def test_registry_lock_blocks_os_threads_under_monkey_patching():
    import importlib.util

    if importlib.util.find_spec("gevent") is None:  # not imported here: it would count as in use
        pytest.skip("gevent is not installed")
    out = run(
        """
        from gevent import monkey
        monkey.patch_all()
        import _thread
        import aiologic
        from aiologic.lowlevel import _registry
        original = monkey.get_original("_thread", "allocate_lock")
        print(type(_registry._loading) is type(original()), type(_registry._loading) is type(_thread.allocate_lock()))
        """
    )
    assert out == "True False"
