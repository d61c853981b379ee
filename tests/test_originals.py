"""The core keeps real OS-thread primitives under monkey-patching.

gevent's `patch_all()` and eventlet's `monkey_patch()`, made before aiologic
is imported as both libraries document, replace `_thread`, `threading` and
`time.sleep` with greenlet-level versions. The core's own locks, thread
identifiers and thread-locals must stay those of OS threads. These tests
check the core's pieces directly, in a process patched first: without the
greenlet backend, green calls inside a patched process raise by design.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
import threading
import time
import types
import _thread

import pytest

from aiologic.lowlevel import _originals

# Run in a process patched first. `real` is the library's own view of the
# unpatched `_thread`; `spawn(f)` runs `f` in a new greenlet and waits.
PATCH = {
    "gevent": """
        from gevent import monkey
        monkey.patch_all()
        import gevent
        class real:
            get_ident, allocate_lock, _local, start_new_thread = monkey.get_original(
                "_thread", ["get_ident", "allocate_lock", "_local", "start_new_thread"]
            )
            sleep = monkey.get_original("time", "sleep")
        def spawn(function):
            return gevent.spawn(function).get()
    """,
    "eventlet": """
        import warnings
        warnings.simplefilter("ignore", DeprecationWarning)  # eventlet's own notice
        import eventlet
        eventlet.monkey_patch()
        from eventlet.patcher import original
        class real:
            get_ident = original("_thread").get_ident
            allocate_lock = original("_thread").allocate_lock
            _local = original("_thread")._local
            start_new_thread = original("_thread").start_new_thread
            sleep = original("time").sleep
        def spawn(function):
            return eventlet.spawn(function).wait()
    """,
}

CHECKS = """
    import _thread, threading, time
    import aiologic
    from aiologic.lowlevel import (
        _originals, _registry, _wakeups, current_green_library_tlocal, current_thread, current_thread_ident,
    )
    from aiologic.lowlevel._threading_backend import ThreadWaiter, backend

    LockType = type(real.allocate_lock())
    assert type(_thread.allocate_lock()) is not LockType, "not patched"
    assert _thread.get_ident is not real.get_ident and time.sleep is not real.sleep

    # identity: the OS thread's, inside any greenlet
    idents = {spawn(current_thread_ident), spawn(current_thread_ident), current_thread_ident()}
    print("ident", idents == {real.get_ident()}, spawn(_thread.get_ident) != real.get_ident())
    print("thread", spawn(current_thread) is threading.main_thread() is spawn(backend.current_task))
    print("token ident", spawn(lambda: backend.task_ident_number(backend.current_token())) == real.get_ident())

    # one thread-local per OS thread: a greenlet sees what another set
    def override():
        current_green_library_tlocal.name = "somelet"
    spawn(override)
    print("override", spawn(lambda: current_green_library_tlocal.name), isinstance(current_green_library_tlocal, real._local))
    current_green_library_tlocal.name = None

    # real locks and sleep
    gate = _wakeups.open_batch()
    print(
        "locks",
        type(ThreadWaiter()._lock) is LockType,
        type(gate) is LockType,
        isinstance(_wakeups.current, real._local),
        type(_registry._loading) is LockType,
        _originals.sleep is real.sleep,
    )
    _wakeups.close_batch(gate)

    # a waiter blocks its OS thread until another OS thread wakes it
    waiter, woken = ThreadWaiter(), []
    def wait():
        woken.append(waiter.wait(10))
    real.start_new_thread(wait, ())
    real.sleep(0.05)
    print("waiter", woken)
    waiter.wake()
    deadline = time.monotonic() + 10
    while not woken and time.monotonic() < deadline:
        real.sleep(0.01)
    print("woken", woken)
"""

EXPECTED = [
    "ident True True",
    "thread True",
    "token ident True",
    "override somelet True",
    "locks True True True True True",
    "waiter []",
    "woken [True]",
]


@pytest.mark.parametrize("library", ["gevent", "eventlet"])
def test_core_primitives_are_originals_under_patching(library):
    if importlib.util.find_spec(library) is None:
        pytest.skip(f"{library} is not installed (no wheels for this interpreter)")
    code = textwrap.dedent(PATCH[library]) + textwrap.dedent(CHECKS)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == EXPECTED


def test_without_patching_the_standard_library_is_the_original():
    assert _originals.allocate_lock is _thread.allocate_lock
    assert _originals.get_ident is _thread.get_ident
    assert _originals.local is _thread._local
    assert _originals.sleep is time.sleep
    assert _originals.current_thread() is threading.current_thread()
    found = []
    thread = threading.Thread(target=lambda: found.append(_originals.current_thread()))
    thread.start()
    thread.join()
    assert found == [thread]


@pytest.fixture
def lookups(monkeypatch):
    # The real gevent and eventlet may be imported in this process (their
    # test worlds import them): hide them, as in a process without them.
    for name in [name for name in sys.modules if name.split(".")[0] in ("gevent", "eventlet")]:
        monkeypatch.delitem(sys.modules, name)
    added = []
    monkeypatch.setattr(_originals, "_added_lookups", added)
    return added


def test_added_lookup_answers_first_while_its_library_is_imported(lookups, monkeypatch):
    asked = []

    def lookup(module, name):
        asked.append((module, name))
        if name == "allocate_lock":
            return "somelet's original"
        raise LookupError(name)

    _originals.add_lookup("somelet", lookup)
    assert _originals.resolve("_thread", "allocate_lock") is _thread.allocate_lock  # not imported
    assert asked == []
    monkeypatch.setitem(sys.modules, "somelet", types.ModuleType("somelet"))
    assert _originals.resolve("_thread", "allocate_lock") == "somelet's original"
    assert _originals.resolve("_thread", "get_ident") is _thread.get_ident  # LookupError: the next one
    assert asked == [("_thread", "allocate_lock"), ("_thread", "get_ident")]


def test_a_module_named_like_a_patcher_is_not_one(lookups, monkeypatch):
    # What tests (and name clashes) put in sys.modules must not break import.
    monkeypatch.setitem(sys.modules, "gevent", types.ModuleType("gevent"))
    monkeypatch.setitem(sys.modules, "eventlet", types.ModuleType("eventlet"))
    assert _originals.resolve("_thread", "get_ident") is _thread.get_ident
