"""The real OS-thread primitives, also under monkey-patching.

gevent's `patch_all()` and eventlet's `monkey_patch()` replace `_thread`,
`threading` and `time.sleep` with greenlet-level versions. The core must
keep blocking, identifying and storing per-thread state at the level of OS
threads whatever is patched: a waiter's lock must block the thread, not a
greenlet; `current_thread_ident()` must name the OS thread; a thread-local
must be shared by every greenlet of its thread. Every core module takes its
thread primitives from here.

They are resolved once, when this module is imported (patching happens
before, as both libraries document): through the original-lookup helpers of
the libraries that patch, for each of them already imported, and from the
standard library otherwise (then nothing was patched yet, and the functions
bound now stay the originals after a later patch).
"""

from __future__ import annotations

import importlib
import sys
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

__all__ = (
    "DUMMY_THREAD_TYPES",
    "add_lookup",
    "allocate_lock",
    "current_thread",
    "get_ident",
    "local",
    "monotonic",
    "resolve",
    "sleep",
)

#: ``lookup(module, name)``: the unpatched object `module.name`, or
#: `LookupError` when the library has none to give.
Lookup = Callable[[str, str], Any]


def _from_gevent(module: str, name: str) -> Any:
    try:
        monkey = importlib.import_module("gevent.monkey")
        # For an object gevent did not patch, `get_original()` gives the
        # current one, which another library may have replaced: leave it to
        # the next lookup.
        if monkey.is_object_patched(module, name):
            return monkey.get_original(module, name)
    except (ImportError, AttributeError) as exc:  # a module named gevent, but not gevent
        raise LookupError(f"no original {module}.{name} from gevent") from exc
    raise LookupError(f"gevent did not patch {module}.{name}")


def _from_eventlet(module: str, name: str) -> Any:
    try:
        original = importlib.import_module("eventlet.patcher").original
        return getattr(original(module), name)  # from a fresh, unpatched import
    except (ImportError, AttributeError) as exc:
        raise LookupError(f"no original {module}.{name} from eventlet") from exc


#: The built-in libraries that patch, each with its own lookup helper.
_BUILTIN_LOOKUPS: Tuple[Tuple[str, Lookup], ...] = (
    ("gevent", _from_gevent),
    ("eventlet", _from_eventlet),
)
_added_lookups: List[Tuple[str, Lookup]] = []


def add_lookup(root_module: str, lookup: Lookup) -> None:
    """Let a library that monkey-patches give its originals.

    `lookup(module, name)` returns the unpatched object `module.name` or
    raises `LookupError`. `resolve()` asks it while `root_module` is
    imported, before the built-in lookups. The core binds its own
    primitives when `aiologic` is imported: a lookup added later serves the
    `resolve()` calls made after it (by a backend as it loads, for one).
    """
    _added_lookups.append((root_module, lookup))


def resolve(module: str, name: str) -> Any:
    """The original (unpatched) object `module.name`: from the first lookup
    whose library is imported and has it, else from the standard library."""
    modules = sys.modules
    for root, lookup in [*_added_lookups, *_BUILTIN_LOOKUPS]:
        if root in modules:
            try:
                return lookup(module, name)
            except LookupError:
                pass
    return getattr(importlib.import_module(module), name)


if TYPE_CHECKING:
    from _thread import _local as local
    from _thread import allocate_lock, get_ident
    from time import monotonic, sleep
else:
    allocate_lock = resolve("_thread", "allocate_lock")
    get_ident = resolve("_thread", "get_ident")
    local = resolve("_thread", "_local")
    sleep = resolve("time", "sleep")
    monotonic = resolve("time", "monotonic")

#: The classes of the stand-in `Thread` objects made for threads that the
#: threading module did not start: the threading module's and, under
#: patching, its original's (gevent patches the class; eventlet's original
#: is a second copy of the module, with classes of its own).
DUMMY_THREAD_TYPES: Tuple[type, ...] = (threading._DummyThread,)
_original_dummy: type = resolve("threading", "_DummyThread")
if _original_dummy is not threading._DummyThread:
    DUMMY_THREAD_TYPES += (_original_dummy,)

# The threading module's `Thread` objects by thread identifier. Under
# patching it keys its greenlets by greenlet identifiers, which never equal
# an OS thread's; eventlet starts its real threads from an unpatched copy of
# the module, whose registry is the original one.
_active: Dict[int, threading.Thread] = threading._active  # type: ignore[attr-defined]
_original_active: Optional[Dict[int, threading.Thread]] = resolve("threading", "_active")
if _original_active is _active:
    _original_active = None
try:
    _get_native_id: Optional[Callable[[], int]] = resolve("_thread", "get_native_id")
except AttributeError:  # not on every platform
    _get_native_id = None


def current_thread() -> threading.Thread:
    """The `threading.Thread` of the calling OS thread, also inside a
    greenlet under monkey-patching (a stand-in, of `DUMMY_THREAD_TYPES`, for
    a thread that the threading module did not start)."""
    ident = get_ident()
    thread = _active.get(ident)
    if thread is not None:
        return thread
    # gevent re-keys the main thread by its main greenlet; its native
    # identifier, which nothing patches, still tells it apart.
    main = threading.main_thread()
    if _get_native_id is not None and getattr(main, "native_id", None) == _get_native_id():
        return main
    if _original_active is not None:
        thread = _original_active.get(ident)
        if thread is not None:
            return thread
    return threading.current_thread()
