"""Which library is the caller running in, and which task is it?

Two depths of the same question:

* the full detection of `current_async_library()` and
  `current_green_library()`: thread-local overrides, then sniffio's markers,
  then the probes of the libraries whose root module is imported (loading
  their backends on first need);
* the cheap probes the primitives use on their hot paths (`async_library()`,
  `green_library()`): the same overrides and markers, then only the probes of
  backends that are already loaded, falling back to full detection only when
  nothing answers. After the first call in a given world the answer costs a
  few attribute reads and one probe, and never imports anything.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Container, Dict, KeysView, List, Mapping, Optional, Tuple

from sniffio import AsyncLibraryNotFoundError
from sniffio import current_async_library_cvar as _sniffio_cvar
from sniffio import thread_local as current_async_library_tlocal

from ._backend import Backend
from . import _registry, _signals
from ._originals import get_ident
from ._originals import local as _thread_local
from ._registry import KNOWN_LIBRARIES, BackendNotFoundError, _load_hooks, candidate_libraries, get_backend

_KNOWN_NAMES = frozenset(known.name for known in KNOWN_LIBRARIES)

__all__ = (
    "AsyncLibraryNotFoundError",
    "BackendNotFoundError",
    "GreenLibraryNotFoundError",
    "current_async_library",
    "current_async_library_tlocal",
    "current_green_library",
    "current_green_library_tlocal",
)


class GreenLibraryNotFoundError(RuntimeError):
    """Raised when the current green library cannot be determined (kept for
    symmetry: threading always counts, so detection never fails)."""


#: Whether any thread ever set `current_green_library_tlocal.name`. Until
#: then the green hot path skips reading the thread-local (a costly lookup).
green_overridden = False

#: True while a thread is a plain thread with checkpoints off unless the
#: marker module of the green libraries (`_GREEN_MARKER`) is imported: no
#: override was ever set, no third-party green library is registered, and
#: green checkpoints cannot be on. The green hot paths read this one flag
#: and look the marker up, and need no detection when both say so.
green_plain = True


class _GreenLibraryLocal(_thread_local):
    """Per-OS-thread override of `current_green_library()`, shared by the
    greenlets of the thread whatever monkey-patching replaced."""

    _name: Optional[str] = None

    @property
    def name(self) -> Optional[str]:
        """The green library this OS thread reports (None: detect it as usual).
        Setting it overrides `current_green_library()` for every greenlet of
        the thread."""
        return self._name

    @name.setter
    def name(self, value: Optional[str]) -> None:
        global green_overridden, green_plain
        green_overridden = True
        green_plain = False
        self._name = value


current_green_library_tlocal = _GreenLibraryLocal()


class Library:
    """The core's record of one loaded backend, with what hot paths read.

    `checkpoints` is the default setting after the environment variables (read
    once, when the backend is first used); `enable_checkpoints()` contexts
    override it per call.
    """

    __slots__ = (
        "backend",
        "name",
        "kind",
        "running",
        "current_task",
        "task_ident",
        "probe_task",
        "ident_is_id",
        "checkpoints",
        "priority",
    )

    task_ident: Callable[[], Tuple[str, int]]
    probe_task: Callable[[], Any]

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.name = backend.name
        self.kind = backend.kind
        self.running = backend.running
        self.priority = backend.priority
        self.current_task = backend.current_task
        # Hot paths ask for the task through the cheaper probe if there is
        # one; where it finds no task (trio's marker set outside a task, an
        # asyncio callback), `current_task()` raises the library's error.
        fast_task = backend.fast_current_task
        if fast_task is None:
            current_task = backend.current_task
        else:
            slow_task = backend.current_task

            def current_task() -> Any:
                task = fast_task()
                return slow_task() if task is None else task

        name = backend.name
        ident_number = backend.task_ident_number
        fast_number = backend.fast_task_ident_number
        self.ident_is_id = fast_number is None and type(backend).task_ident_number is Backend.task_ident_number
        if fast_number is not None:
            self.task_ident = lambda: (name, fast_number())
        elif type(backend).task_ident_number is Backend.task_ident_number:
            self.task_ident = lambda: (name, id(current_task()))
        else:
            self.task_ident = lambda: (name, ident_number(current_task()))
        # One call answers both "am I in this library" and "which task".
        if fast_task is not None:
            self.probe_task = fast_task
        else:
            running = backend.running

            def probe_task() -> Any:
                return current_task() if running() else None

            self.probe_task = probe_task
        self.checkpoints = _checkpoints_from_environment(backend)

    def __repr__(self) -> str:
        return f"<aiologic library {self.name!r}>"


def _checkpoints_from_environment(backend: Backend) -> bool:
    value = os.environ.get(f"AIOLOGIC_{backend.name.upper()}_CHECKPOINTS")
    if value is None:
        group = "AIOLOGIC_ASYNC_CHECKPOINTS" if backend.kind == "async" else "AIOLOGIC_GREEN_CHECKPOINTS"
        value = os.environ.get(group)
    if value is None:
        return bool(backend.checkpoints_default)
    return bool(value)  # set and non-empty (even "0") turns them on


_libraries: Dict[str, Library] = {}


class _Everyone:
    """A container of every name (see `async_checkpointing`)."""

    def __contains__(self, name: object) -> bool:
        return True


#: Whether checkpoints may be on anywhere, per kind: some loaded library has
#: them on by default, or an `enable_checkpoints()`/`disable_checkpoints()`
#: context was ever entered. Until then a hot path knows, from one read, that
#: checkpoints are off (see `_checkpoints.green_checkpoint_enabled`).
async_checkpoints_possible = False
green_checkpoints_possible = False
#: The same per async library, for the async hot paths: the names of the
#: loaded libraries with checkpoints on by default, or every name once
#: checkpoints may be on anywhere else (a context, an environment variable).
#: So one library's default (trio's) costs the others nothing.
async_checkpointing: Container[str] = frozenset()
# A checkpoint variable set in the environment may concern a library whose
# backend is not loaded yet.
if any(key.startswith("AIOLOGIC_") and key.endswith("_CHECKPOINTS") and value for key, value in os.environ.items()):
    async_checkpoints_possible = green_checkpoints_possible = True
    async_checkpointing = _Everyone()
    green_plain = False
_async_probes: List[Library] = []  # loaded async libraries, highest priority first
# (name, probe_task) of the loaded async libraries whose task identifier is
# `id(task)`, in the same order, except those that set sniffio's markers
# themselves (`Backend.sets_sniffio_marker`): the hot path of
# `async_task_ident()`, which runs only when both markers are empty.
_async_task_probes: List[Tuple[str, Callable[[], Any]]] = []
_green_probes: List[Library] = []  # loaded green libraries except threading
_green_running: List[Callable[[], bool]] = []  # their `running`, in the same order
#: The task probe of each loaded async library whose task identifier is
#: `id(task)`, by name: whether a given owner is the task running now
#: (asked of the owner's own library, so no detection: see `Lock.__aexit__`).
_task_probe_of: Dict[str, Callable[[], Any]] = {}

#: Marker modules of the green libraries other than threading (see
#: `KnownLibrary.marker_module`): the built-in libraries' one marker, and
#: the root modules of third-party green libraries. While none of them is
#: imported, every thread is a plain thread. (Kept apart because PyPy's JIT
#: makes a lookup of a global key nearly free, not one of a loop variable.)
(_GREEN_MARKER,) = {known.marker_module for known in KNOWN_LIBRARIES if known.kind == "green" and known.marker_module}
_green_markers: Tuple[str, ...] = ()


def _register(backend: Backend) -> None:
    global _green_markers, async_checkpoints_possible, green_checkpoints_possible
    library = Library(backend)
    _libraries[backend.name] = library
    if library.checkpoints:
        if library.kind == "async":
            async_checkpoints_possible = True
            allow_async_checkpoints(backend.name)
        else:
            green_checkpoints_possible = True
            _green_not_plain()
    if backend.kind == "async":
        probes = _async_probes
    elif backend.name != "threading":
        probes = _green_probes
        if backend.name not in _KNOWN_NAMES and backend.root_module not in _green_markers:
            _green_markers = (*_green_markers, backend.root_module)
            _green_not_plain()
    else:
        return
    # Replace the list's contents at once so that readers never see it half
    # sorted (slice assignment is a single operation on the list).
    probes[:] = sorted([*probes, library], key=lambda lib: -lib.priority)
    if probes is _async_probes:
        if library.ident_is_id:
            _task_probe_of[library.name] = library.probe_task
        _async_task_probes[:] = [
            (lib.name, lib.probe_task) for lib in probes if lib.ident_is_id and not lib.backend.sets_sniffio_marker
        ]
    else:
        _green_running[:] = [lib.running for lib in probes]


def allow_async_checkpoints(name: Optional[str] = None) -> None:
    """Let the async hot paths ask about checkpoints in library `name`, or
    in every library (`name` None: a checkpoint context was entered)."""
    global async_checkpointing
    if name is None:
        async_checkpointing = _Everyone()
    elif name not in async_checkpointing:
        async_checkpointing = frozenset((*async_checkpointing, name))  # type: ignore[misc]


def _green_not_plain() -> None:
    global green_plain
    green_plain = False


_load_hooks.append(_register)


def library(name: str) -> Library:
    """The record for the library `name`, loading its backend if needed."""
    found = _libraries.get(name)
    if found is None:
        get_backend(name)
        found = _libraries[name]
    return found


def _threading_library() -> Library:
    from ._threading_backend import backend

    found = _libraries.get("threading")
    if found is None:
        from ._registry import _backends

        _backends.setdefault("threading", backend)
        _register(backend)
        found = _libraries["threading"]
    return found


THREADING = _threading_library()


# -- async -------------------------------------------------------------------


def async_library() -> Library:
    """The async library of the caller; cheap after the first call.

    Raises `AsyncLibraryNotFoundError` outside any async library and
    `BackendNotFoundError` (a `RuntimeError`) when the library in use has no
    backend installed."""
    name = current_async_library_tlocal.name
    if name is None:
        name = _sniffio_cvar.get()
        if name is None:
            for lib in _async_probes:
                if lib.running():
                    return lib
            return _detect_async()
    found = _libraries.get(name)
    if found is None:
        found = library(name)
    return found


def _detect_async() -> Library:
    # Every candidate is probed, loaded ones included: another thread may
    # have loaded one since the caller looked. A library that is imported but
    # has no backend may be the one running: its error is raised only if no
    # other library answers.
    missing: Optional[BackendNotFoundError] = None
    for known in candidate_libraries("async"):
        try:
            lib = library(known.name)
        except BackendNotFoundError as exc:
            missing = missing or exc
            continue
        if lib.running():
            return lib
    if missing is not None:
        raise missing
    raise AsyncLibraryNotFoundError("unknown async library, or not in async context")


def async_task_ident(
    _tlocal: Any = current_async_library_tlocal,
    _cvar_get: Callable[[], Optional[str]] = _sniffio_cvar.get,
    _probes: List[Tuple[str, Callable[[], Any]]] = _async_task_probes,
) -> Tuple[str, int]:
    """The identifier of the calling async task: `async_library().task_ident()`
    in one step for the common case (no sniffio marker, a loaded backend)."""
    # (The defaults are bound once: local reads are a tenth of this call's
    # cost cheaper than global ones. `_probes` is only ever updated in place.)
    if _tlocal.name is None and _cvar_get() is None:
        for name, probe_task in _probes:
            task = probe_task()
            if task is not None:
                return (name, id(task))
    return async_library().task_ident()


def _no_task() -> None:
    return None


def current_async_library(*, failsafe: bool = False) -> Optional[str]:
    """The name of the async library the caller runs in (``"asyncio"``,
    ``"trio"``...), or `None` with ``failsafe=True`` outside any (and
    while signal safety is enabled, which acts as outside any library)."""
    if _signals.possible and _signals.signal_safety_enabled():
        if failsafe:
            return None
        raise AsyncLibraryNotFoundError("signal safety is enabled: no async library context")
    name = current_async_library_tlocal.name
    if name is None:
        name = _sniffio_cvar.get()
    if name is not None:
        return name
    try:
        return async_library().name
    except (AsyncLibraryNotFoundError, BackendNotFoundError):
        # Without its backend, an imported library cannot be probed: with
        # `failsafe` it counts as not running; otherwise its error names the
        # distribution to install.
        if failsafe:
            return None
        raise


# -- green -------------------------------------------------------------------


_BUILTIN_GREEN = tuple(
    (known.name, known.root_module) for known in KNOWN_LIBRARIES if known.kind == "green" and known.name != "threading"
)


def _watch(roots: Tuple[str, ...]) -> Tuple[str, str, str, Tuple[str, ...]]:
    # Three roots in fixed places, then the rest: the hot path looks the
    # three up without making an iterator. "" is never a module's name.
    first, second, third = (*roots[:3], "", "", "")[:3]
    return (first, second, third, roots[3:])


#: Once a marker is imported, the root modules that a green call looks up
#: after the probes of the loaded green backends (see `_watch`): those of
#: the green libraries whose backend is not loaded (built-in, or a
#: third-party plugin named like its library's root module and not tried
#: yet). Only one of them being imported consults the registry
#: (`_detect_green`), which then stops watching what it handled. Until the
#: entry points are read the marker stands in for them, so the first green
#: call that finds it reads them.
_green_watch = _watch((_GREEN_MARKER,))
#: The errors for the built-in roots whose backend is missing (they stay
#: watched: each green call raises while the library is imported).
_green_missing: Dict[str, BackendNotFoundError] = {}


def green_task_ident(
    _modules: Mapping[str, object] = sys.modules, _names: KeysView[str] = sys.modules.keys()
) -> Tuple[str, int]:
    """The identifier of the calling green task; cheapest for plain threads."""
    if not green_overridden:
        if _GREEN_MARKER not in _modules:
            if not _green_markers or _names.isdisjoint(_green_markers):
                return ("threading", get_ident())
        elif not _green_probes:
            # `green_library()` inlined: this runs on every acquire and release.
            first, second, third, more = _green_watch
            if not (
                first in _modules or second in _modules or third in _modules or more and not _names.isdisjoint(more)
            ):
                return ("threading", get_ident())
    return green_library().task_ident()


def in_plain_thread(_modules: Mapping[str, object] = sys.modules, _names: KeysView[str] = sys.modules.keys()) -> bool:
    """For the green hot paths of a process that imported the green
    libraries' marker, with `green_plain` true: whether the caller is
    certainly a plain thread (no hub of a loaded green library in this
    thread, and no green library imported that is not loaded yet). False
    means: ask `green_task_ident()`."""
    for running in _green_running:
        if running():
            return False
    first, second, third, more = _green_watch
    return not (first in _modules or second in _modules or third in _modules or more and not _names.isdisjoint(more))


def green_library(_modules: Mapping[str, object] = sys.modules, _names: KeysView[str] = sys.modules.keys()) -> Library:
    """The green library of the caller: threading unless a green library's
    hub exists in this thread (and the caller is not that hub). Cheap: no
    answer is cached, but only the loaded green backends are probed.
    While signal safety is enabled, the caller (a signal handler, a
    finalizer) waits as a plain thread: it must not switch to a hub."""
    name = current_green_library_tlocal.name if green_overridden else None
    if name is None:
        if _signals.possible and _signals.signal_safety_enabled():
            return THREADING
        if _GREEN_MARKER not in _modules and (not _green_markers or _names.isdisjoint(_green_markers)):
            return THREADING
        for lib in _green_probes:
            if lib.running():
                return lib
        first, second, third, more = _green_watch
        if first in _modules or second in _modules or third in _modules or more and not _names.isdisjoint(more):
            return _detect_green()
        return THREADING
    found = _libraries.get(name)
    if found is None:
        found = library(name)
    return found


def _detect_green() -> Library:
    # A watched root is imported: load the backends of the imported green
    # libraries (the first call reads the entry points), watch only what is
    # still unhandled, then probe.
    global _green_watch
    modules = sys.modules
    first, second, third, more = _green_watch
    for root in (first, second, third, *more):
        error = _green_missing.get(root)
        if error is not None and root in modules:
            raise error
    missing: Optional[BackendNotFoundError] = None
    for known in candidate_libraries("green"):  # loads imported third-party plugins
        if known.name != "threading":
            try:
                library(known.name)
            except BackendNotFoundError as exc:
                if _registry._failures.get(known.name) is exc:  # remembered: not a load in progress
                    _green_missing[known.root_module] = exc
                missing = missing or exc
    # Unhandled: a built-in library whose backend is not loaded, a plugin
    # not tried yet, a green plugin that failed (it raises like a missing
    # backend). A plugin of another kind that failed has nothing to tell.
    registered = _registry._entry_points
    roots = [root for name, root in _BUILTIN_GREEN if name not in _libraries]
    roots += (
        name
        for name in registered or ()
        if name not in _KNOWN_NAMES
        and name not in _libraries
        and (name in _green_missing or name not in _registry._failures)
    )
    if registered is None:  # not read (a load in progress in this thread): next time
        roots.append(_GREEN_MARKER)
    _green_watch = _watch(tuple(roots))
    for lib in _green_probes:
        if lib.running():
            return lib
    if missing is not None:
        raise missing
    return THREADING


def current_green_library(*, failsafe: bool = False) -> Optional[str]:
    """The name of the green library the caller runs in: ``"gevent"`` or
    ``"eventlet"`` when that library's hub exists in this thread, otherwise
    ``"threading"``. Raises `BackendNotFoundError` while a green library is
    imported whose backend is missing (`failsafe` exists for symmetry).
    While signal safety is enabled the caller counts as a plain thread."""
    if _signals.possible and _signals.signal_safety_enabled():
        return "threading"
    name = current_green_library_tlocal.name
    if name is not None:
        return name
    return green_library().name


def current_thread_ident() -> int:
    """The identifier of the current OS thread (inside a greenlet too, under
    monkey-patching)."""
    return get_ident()

