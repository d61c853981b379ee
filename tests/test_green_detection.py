"""Green detection on the hot path: once a green library's marker module is
imported (SQLAlchemy imports greenlet without running any hub), a green call
asks only the probes of the loaded green backends; the registry is consulted
only when a green library appears whose backend is not loaded yet.

Each test runs in a fresh process: what a process imported and scanned is
the very state under test."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap

import pytest

# Counts the calls of the registry's detection entry points. Patched both in
# the registry and where `_libraries` bound them.
PRELUDE = """
import sys, threading, types
import aiologic
from aiologic.lowlevel import _libraries, _registry, current_green_library
from aiologic.lowlevel._backend import Backend
from aiologic.lowlevel._libraries import green_library, green_task_ident

calls = {"candidates": 0, "scans": 0, "detections": 0}

def counting(key, function):
    def counted(*args, **kwargs):
        calls[key] += 1
        return function(*args, **kwargs)
    return counted

_registry._read_entry_points = counting("scans", _registry._read_entry_points)
_registry.candidate_libraries = counting("candidates", _registry.candidate_libraries)
_libraries.candidate_libraries = counting("candidates", _libraries.candidate_libraries)
_libraries._detect_green = counting("detections", _libraries._detect_green)

def reset():
    for key in calls:
        calls[key] = 0

# A fake plugin for the library `name`, as if installed.
def register(name, kind, running=lambda: False):
    class FakeBackend(Backend):
        root_module = name
        def running(self): return running()
        def current_task(self): return register
        def current_token(self): return register
        def create_waiter(self, *, shield=False): raise RuntimeError
        def checkpoint(self): pass
        def checkpoint_before(self): pass
        def checkpoint_after(self): pass
        def clock(self): return 0.0
        def sleep(self, seconds): pass
        def shield(self, wrapped): return wrapped
    FakeBackend.name, FakeBackend.kind = name, kind
    real = _registry._read_entry_points
    def with_fake():
        found = real()
        found[name] = [_registry._EntryPoint(name, "x:y", "aiologic-" + name, FakeBackend)]
        return found
    _registry._read_entry_points = with_fake
"""


def run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


def test_greenlet_imported_without_hub_detects_nothing_per_call():
    out = run(
        """
        sys.modules["greenlet"] = types.ModuleType("greenlet")  # as SQLAlchemy does
        lock = aiologic.Lock()
        with lock:  # the first call may read the entry points, once
            pass
        reset()
        for _ in range(100):
            with lock:
                assert lock.owner == ("threading", threading.get_ident())
        assert lock.green_acquire(blocking=False)
        lock.green_release()
        assert green_task_ident() == ("threading", threading.get_ident())
        assert green_library().name == current_green_library() == "threading"
        print(calls)
        """
    )
    assert out == str({"candidates": 0, "scans": 0, "detections": 0})


def test_third_party_module_imported_detects_nothing_per_call():
    # A registered plugin's library (here an async one) is imported: its
    # backend is loaded once, and green calls go on asking nothing.
    out = run(
        """
        register("someio", "async")
        sys.modules["greenlet"] = types.ModuleType("greenlet")
        sys.modules["someio"] = types.ModuleType("someio")
        lock = aiologic.Lock()
        with lock:
            pass
        reset()
        for _ in range(100):
            with lock:
                pass
        print("someio" in _libraries._libraries, calls)
        """
    )
    assert out == "True " + str({"candidates": 0, "scans": 0, "detections": 0})


def test_green_library_appearing_later_is_detected():
    # A root that appears after the first call makes the registry be
    # consulted once; without aiologic-greenlet that is an error naming it,
    # on every call while gevent is imported, without consulting it again.
    if importlib.util.find_spec("aiologic_greenlet") is not None:
        pytest.skip("aiologic-greenlet is installed")
    out = run(
        """
        sys.modules["greenlet"] = types.ModuleType("greenlet")
        lock = aiologic.Lock()
        with lock:
            pass
        sys.modules["gevent"] = types.ModuleType("gevent")  # imported now
        for _ in range(4):
            try:
                with lock:
                    pass
            except RuntimeError as exc:
                print(exc)
            if not _:  # the first call consults the registry
                reset()
        print(calls["candidates"], calls["scans"], lock.locked())
        del sys.modules["gevent"]
        with lock:
            print(lock.owner[0])
        """
    )
    lines = out.splitlines()
    assert len(lines) == 6
    assert all("pip install aiologic-greenlet" in line for line in lines[:4])
    assert lines[4:] == ["0 0 False", "threading"]


def test_loaded_green_backend_is_probed_on_every_call():
    # A hub may be created in a thread at any time: "no hub here" is never
    # cached, and the loaded backend's probe answers without any detection.
    out = run(
        """
        hubs = set()
        register("somelet", "green", lambda: threading.get_ident() in hubs)

        sys.modules["greenlet"] = types.ModuleType("greenlet")
        sys.modules["somelet"] = types.ModuleType("somelet")
        print(current_green_library())  # loads the backend: no hub yet
        reset()
        hubs.add(threading.get_ident())  # a hub is created in this thread
        print(current_green_library(), green_task_ident() == ("somelet", id(register)))
        other = []
        thread = threading.Thread(target=lambda: other.append(current_green_library()))
        thread.start()
        thread.join()
        print(other[0], calls)
        """
    )
    assert out.splitlines() == [
        "threading",
        "somelet True",
        "threading " + str({"candidates": 0, "scans": 0, "detections": 0}),
    ]
