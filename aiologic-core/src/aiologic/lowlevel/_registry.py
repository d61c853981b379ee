"""Finding, loading and checking backends.

Backends are plugins registered in the entry-point group ``aiologic.backends``.
Nothing here runs at import time, and each backend is loaded at most once.

**Built-in backends need no metadata.** Their modules are known
(``aiologic_asyncio``, ``aiologic_trio``, ``aiologic_greenlet`` for both
gevent and eventlet, ``aiologic_curio``; the attribute ``backend``, or
``<name>_backend`` in a package serving several libraries), so the first wait
in a process imports one module instead of importing `importlib.metadata` and
reading every installed distribution's entry points (tens of milliseconds).
Where there is no metadata at all (frozen applications) that is also how they
are found.

**The full scan** of the group runs at most once per process, the first time
one of these needs it:

* a name that is not built in is looked up (a third-party backend), or a
  built-in backend's module is not installed (another distribution may
  register the name);
* detection finds no running library among the built-in ones whose root
  module is imported (a third-party library may be the one running);
* `installed_backends()` is called (it always re-reads), as
  ``python -m aiologic`` does.

A name not found triggers at most one re-scan per name per process, so a
backend installed while the process runs is still found. The scan also
checks that no two distributions register one name. If they do, loading that
backend fails with an error naming both; a built-in backend that was loaded
from its module before the scan stays in use (primitives may be waiting on
its waiters), the scan warns once with a `RuntimeWarning`, and
``python -m aiologic`` shows the error.

**Every backend is checked when it loads**: it is a `Backend` (an entry point
may give an instance or the class), its `kind` is ``"async"`` or ``"green"``,
its `name` is its entry point's name, it implements every abstract member,
and its `api_version` is an integer from 1 to the core's. A backend that
fails gets one `BackendNotFoundError` naming its distribution and every
problem, remembered for the rest of the process.

**Loading never blocks its own thread.** Loads are serialised by one lock, a
real OS-thread lock even under monkey-patching. A finalizer or a signal
handler that runs in the thread holding it, and asks for a backend, is
answered from what is loaded already; for a backend not loaded yet it gets a
`BackendNotFoundError` that is not remembered (the next call loads it).

The core also keeps a small table of the built-in libraries. It is used only
to notice cheaply that a library is in use (its root module is already in
`sys.modules`), to find a built-in backend's module, and to name the
distribution to install when a backend is missing; everything
library-specific lives in the backends.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Set, Tuple

from . import _originals
from ._backend import API_VERSION, Backend

__all__ = ("BackendNotFoundError", "KNOWN_LIBRARIES", "get_backend", "installed_backends")

GROUP = "aiologic.backends"
_KINDS = ("async", "green")


class KnownLibrary(NamedTuple):
    name: str
    kind: str  # "async" or "green"
    root_module: str
    distribution: str
    #: A module the library cannot run without. While none of the green
    #: libraries' markers is imported, no hub can exist in any thread, which
    #: the green hot path learns from one lookup (gevent and eventlet share
    #: ``greenlet``).
    marker_module: str = ""


#: The built-in libraries, in detection priority order within each kind.
KNOWN_LIBRARIES: Tuple[KnownLibrary, ...] = (
    KnownLibrary("trio", "async", "trio", "aiologic-trio"),
    KnownLibrary("curio", "async", "curio", "aiologic-curio"),
    KnownLibrary("asyncio", "async", "asyncio", "aiologic-asyncio"),
    KnownLibrary("gevent", "green", "gevent", "aiologic-greenlet", "greenlet"),
    KnownLibrary("eventlet", "green", "eventlet", "aiologic-greenlet", "greenlet"),
    KnownLibrary("threading", "green", "threading", "aiologic-core"),
)
_KNOWN = {library.name: library for library in KNOWN_LIBRARIES}


class BackendNotFoundError(RuntimeError):
    """The backend of a library in use is not installed, or does not load;
    the message names the distribution to install or repair."""


class _EntryPoint(NamedTuple):
    name: str
    value: str
    distribution: str
    load: Callable[[], Any]


# The lock that serialises loading. Loading is rare (once per backend per
# process) and nothing on a hot path takes it. It must block OS threads, not
# greenlets, whatever is monkey-patched.
_loading = _originals.allocate_lock()
#: The OS threads inside `_loading`, or about to wait for it: such a thread
#: that asks again (a finalizer, a signal handler) must not wait for itself.
_busy: Set[int] = set()
_entry_points: Optional[Dict[str, List[_EntryPoint]]] = None
_rescanned: Set[str] = set()
_backends: Dict[str, Backend] = {}
_failures: Dict[str, BackendNotFoundError] = {}
#: The valid `kind` a plugin declared, for plugins that failed to load:
#: detection of that kind raises their error when nothing else answers.
_failed_kinds: Dict[str, str] = {}
#: Names that two distributions register, already reported by a warning.
_warned: Set[str] = set()


# -- the lock ---------------------------------------------------------------------


def _reentered() -> bool:
    """Whether the calling OS thread is already loading (or waiting to)."""
    return _originals.get_ident() in _busy


@contextmanager
def _exclusive() -> Iterator[None]:
    # The thread is marked busy before it waits for the lock, so that code
    # which interrupts the wait (a signal handler runs during a lock wait)
    # does not wait for the same lock behind it. Callers check `_reentered()`
    # first: a thread never enters twice.
    ident = _originals.get_ident()
    _busy.add(ident)
    try:
        with _loading:
            yield
    finally:
        _busy.discard(ident)


def _busy_error(name: str) -> BackendNotFoundError:
    return BackendNotFoundError(
        f"the aiologic backend for {name!r} is not loaded yet, and this thread is in the middle of loading"
        " backends: the call came from code that interrupted it (a finalizer or a signal handler). This error"
        " is not remembered: the same call made later loads the backend"
    )


# -- the metadata --------------------------------------------------------------------


def _read_entry_points() -> Dict[str, List[_EntryPoint]]:
    """Every entry point of the group, by name (the full scan)."""
    if sys.version_info >= (3, 10):
        from importlib.metadata import entry_points
    else:
        try:
            from importlib_metadata import entry_points
        except ImportError:  # frozen or stripped environments
            return {}
    found: Dict[str, List[_EntryPoint]] = {}
    try:
        group = entry_points(group=GROUP)
    except Exception:  # broken metadata must not break detection
        return found
    for ep in group:
        entry = _EntryPoint(ep.name, ep.value, _distribution_of(ep), ep.load)
        same = found.setdefault(ep.name, [])
        # The same distribution can be seen twice (a path listed twice).
        if all(other.distribution != entry.distribution for other in same):
            same.append(entry)
    return found


def _distribution_of(ep: Any) -> str:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "?"
    return getattr(dist, "name", None) or dist.metadata.get("Name") or "?"


def _scan(force: bool = False) -> Dict[str, List[_EntryPoint]]:
    """The registered backends, read once (again with `force`). Call it under
    `_exclusive()`."""
    global _entry_points
    if _entry_points is None or force:
        _entry_points = _read_entry_points()
        _warn_conflicts(_entry_points)
    return _entry_points


def _warn_conflicts(found: Dict[str, List[_EntryPoint]]) -> None:
    # A backend loaded before the scan revealed a second registration stays
    # in use: primitives may already wait on its waiters.
    import warnings

    for name, entries in found.items():
        if len(entries) > 1 and name in _backends and name not in _warned:
            _warned.add(name)
            message = f"{_conflict(name, entries)}; the one loaded from {_backends[name].distribution} stays in use"
            warnings.warn(message, RuntimeWarning, stacklevel=2)


def _registered(name: str) -> List[_EntryPoint]:
    """The entry points named `name`: scanned once, and re-scanned once per
    name if a scan made earlier does not have it."""
    fresh = _entry_points is None
    entries = _scan().get(name, [])
    if not entries and not fresh and name not in _rescanned:
        _rescanned.add(name)
        entries = _scan(force=True).get(name, [])
    return entries


def _known_registrations() -> Dict[str, List[_EntryPoint]]:
    """The registered backends, scanning if needed; in a thread that is
    already loading, only what is known."""
    if _entry_points is not None or _reentered():
        return _entry_points or {}
    with _exclusive():
        return _scan()


# -- errors -------------------------------------------------------------------------


def _distribution_for(name: str) -> str:
    known = _KNOWN.get(name)
    if known is not None:
        return known.distribution
    return f"an aiologic backend for {name!r} (a distribution registering it in the {GROUP!r} entry-point group)"


def _missing(name: str) -> BackendNotFoundError:
    dist = _distribution_for(name)
    if name in _KNOWN:
        return BackendNotFoundError(f"{name} is in use but its aiologic backend is not installed: pip install {dist}")
    return BackendNotFoundError(f"{name} is in use but no aiologic backend is installed for it: install {dist}")


def _broken(name: str, distribution: str, problems: List[str]) -> BackendNotFoundError:
    return BackendNotFoundError(
        f"the aiologic backend for {name!r} from {distribution} does not load: {'; '.join(problems)}"
    )


def _conflict(name: str, entries: List[_EntryPoint]) -> BackendNotFoundError:
    owners = " and ".join(sorted(entry.distribution for entry in entries))
    return BackendNotFoundError(
        f"two distributions register an aiologic backend named {name!r}: {owners}; uninstall one of them"
    )


# -- loading --------------------------------------------------------------------------


def get_backend(name: str) -> Backend:
    """The backend of the library `name`, loaded on first use and checked.

    Raises `BackendNotFoundError` (a `RuntimeError`) naming the distribution
    to install, or the one that does not load and why. A failure is
    remembered: later calls raise it again at once.
    """
    backend = _backends.get(name)
    if backend is not None:
        return backend
    failure = _failures.get(name)
    if failure is not None:
        raise failure
    if _reentered():
        raise _busy_error(name)
    with _exclusive():
        return _get_exclusively(name)


def _get_exclusively(name: str) -> Backend:
    backend = _backends.get(name)  # another thread may have loaded it meanwhile
    if backend is not None:
        return backend
    failure = _failures.get(name)
    if failure is not None:
        raise failure
    try:
        backend = _load(name)
    except BackendNotFoundError as exc:
        exc.__traceback__ = None
        _failures[name] = exc
        raise
    _add_original_lookup(backend)
    _on_load(backend)  # before publishing: readers of _backends find it registered
    _backends[name] = backend
    return backend


def _load(name: str) -> Backend:
    known = _KNOWN.get(name)
    if known is not None and _entry_points is None:
        backend = _from_module(known)
        if backend is not None:
            return backend
        entries = _registered(name)  # not installed: another distribution may register the name
    else:
        entries = _registered(name)
        if not entries and known is not None:  # no metadata (frozen applications)
            backend = _from_module(known)
            if backend is not None:
                return backend
    if not entries:
        raise _missing(name)
    if len(entries) > 1:
        raise _conflict(name, entries)
    return _checked(_call(entries[0].load, name, entries[0].distribution), name, entries[0].distribution)


def _from_module(known: KnownLibrary) -> Optional[Backend]:
    """The built-in backend from its known module, or None if that module is
    not installed."""
    import importlib

    if known.name == "threading":
        module_name = "aiologic.lowlevel._threading_backend"
    else:
        module_name = known.distribution.replace("-", "_")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        if isinstance(exc, ModuleNotFoundError) and exc.name == module_name:
            return None
        raise _broken(known.name, known.distribution, [f"importing it failed: {exc!r}"]) from exc
    # A package may serve several libraries (aiologic_greenlet serves gevent
    # and eventlet): "<name>_backend" first, then "backend".
    found = getattr(module, f"{known.name}_backend", None) or getattr(module, "backend", None)
    return _checked(found, known.name, known.distribution)


def _call(load: Callable[[], Any], name: str, distribution: str) -> Any:
    try:
        return load()
    except Exception as exc:
        raise _broken(name, distribution, [f"importing it failed: {exc!r}"]) from exc


def _checked(found: Any, name: str, distribution: str) -> Backend:
    """`found` (what an entry point gave) as a checked backend instance."""
    problems = _problems(found, name)
    if not problems and isinstance(found, type):
        try:
            found = found()
        except Exception as exc:
            problems = [f"making an instance of {found.__qualname__} failed: {exc!r}"]
    if problems:
        kind = getattr(found, "kind", None)
        if kind in _KINDS:
            _failed_kinds[name] = kind
        raise _broken(name, distribution, problems)
    backend: Backend = found
    return backend


def _problems(found: Any, name: str) -> List[str]:
    """What is wrong with a backend class or instance (empty if nothing)."""
    cls = found if isinstance(found, type) else type(found)
    if not issubclass(cls, Backend):
        return [f"it is {found!r}, not an aiologic.backends.Backend (an instance or a subclass)"]
    problems = []
    unimplemented = sorted(getattr(cls, "__abstractmethods__", ()))
    if unimplemented:
        problems.append(f"{cls.__qualname__} does not implement {', '.join(unimplemented)}")
    for attribute in ("name", "kind", "root_module"):
        value = getattr(found, attribute, None)
        if not isinstance(value, str) or not value:
            problems.append(f"its {attribute} is {value!r}, not a non-empty string")
    kind = getattr(found, "kind", None)
    if isinstance(kind, str) and kind and kind not in _KINDS:
        problems.append(f"its kind is {kind!r}, not 'async' or 'green'")
    own_name = getattr(found, "name", None)
    if isinstance(own_name, str) and own_name and own_name != name:
        problems.append(f"its name is {own_name!r}, but its entry point is named {name!r}")
    version = getattr(found, "api_version", None)
    if type(version) is not int or version < 1:
        problems.append(f"its api_version is {version!r}, not an interface version (an integer from 1)")
    elif version > API_VERSION:
        problems.append(
            f"it needs backend interface version {version}, and this aiologic-core has {API_VERSION}:"
            " upgrade aiologic-core"
        )
    return problems


def _add_original_lookup(backend: Backend) -> None:
    # A library that monkey-patches tells the core where its originals are.
    if type(backend).original is not Backend.original:
        _originals.add_lookup(backend.root_module, backend.original)


# -- what detection and users ask ---------------------------------------------------


def installed_backends() -> Dict[str, str]:
    """Every registered backend name mapped to the distribution providing it
    (several, comma-separated, if more than one registers it). Re-reads the
    entry points on every call: not for hot paths."""
    if _reentered():
        found = _read_entry_points()  # in a finalizer of a load: read, leave the registry alone
    else:
        with _exclusive():
            found = _scan(force=True)
    return {name: ", ".join(entry.distribution for entry in entries) for name, entries in sorted(found.items())}


def candidate_libraries(kind: str) -> Iterator[KnownLibrary]:
    """The libraries of `kind` that may be in use now, most likely first.

    First the built-in ones whose root module is imported; the entry points
    are read (once per process) only if the caller asks for more than those.
    Then the registered third-party ones whose library is imported: a plugin
    is loaded only once a module named like its entry point is imported
    (loading it imports its library). A plugin that does not load is yielded
    too, when it declared this `kind` (or, for ``"async"``, when its kind is
    unknown), so that the caller's `get_backend()` raises its error if no
    other library answers: a broken plugin must not look like no library at
    all. An unknown kind does not make green detection fail: plain threads
    would pay for a broken async plugin.
    """
    modules = sys.modules
    for library in KNOWN_LIBRARIES:
        if library.kind == kind and library.root_module in modules:
            yield library
    for name, entries in _known_registrations().items():
        if name in _KNOWN:
            continue
        backend = _backends.get(name)
        if backend is None:
            # Until a module named like the entry point (the library's root
            # module) is imported, the library cannot be in use.
            if name not in modules:
                continue
            try:
                backend = get_backend(name)
            except BackendNotFoundError:
                if _failed_kinds.get(name, "async") == kind:
                    yield KnownLibrary(name, kind, name, entries[0].distribution)
                continue
        if backend.kind == kind and backend.root_module in modules:
            yield KnownLibrary(name, kind, backend.root_module, entries[0].distribution)


def load_error(name: str) -> Optional[BackendNotFoundError]:
    """Why the registered backend `name` cannot be used, or None: the error
    of loading it, or, for a backend loaded before the full scan, a second
    distribution registering its name. For reports (``python -m aiologic``):
    it loads the backend, which imports its library."""
    try:
        get_backend(name)
    except BackendNotFoundError as exc:
        return exc
    entries = (_entry_points or {}).get(name, [])
    return _conflict(name, entries) if len(entries) > 1 else None


_load_hooks: List[Any] = []


def _on_load(backend: Backend) -> None:
    for hook in _load_hooks:
        hook(backend)
