"""Finding and loading backends.

Backends are plugins registered in the entry-point group ``aiologic.backends``.
Nothing here runs at import time: the group is read the first time a backend
is needed, once per process, and each backend is loaded at most once. A name
that is not found triggers one re-scan (per name, per process), so a backend
installed while the process runs is still found.

The core also keeps a small table of the built-in libraries. It is used only
to notice cheaply that a library is in use (its root module is already in
`sys.modules`) and to name the distribution to install when its backend is
missing; everything library-specific lives in the backends.
"""

from __future__ import annotations

import sys
from _thread import allocate_lock
from typing import Any, Dict, List, NamedTuple, Optional, Set, Tuple

from ._backend import API_VERSION, Backend

__all__ = ("BackendNotFoundError", "KNOWN_LIBRARIES", "get_backend", "installed_backends")

GROUP = "aiologic.backends"


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
    """A library is in use but its aiologic backend is not installed (or is
    broken)."""


class _EntryPoint(NamedTuple):
    name: str
    value: str
    distribution: str
    load: Any


# Loading is rare (once per backend per process) and imports modules, so it is
# serialised by one lock; nothing on a hot path takes it. It is a plain
# `_thread` lock, created before any monkey-patching can replace it.
_loading = allocate_lock()
_entry_points: Optional[Dict[str, List[_EntryPoint]]] = None
_rescanned: Set[str] = set()
_backends: Dict[str, Backend] = {}
_failures: Dict[str, BaseException] = {}


def _read_entry_points() -> Dict[str, List[_EntryPoint]]:
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
        dist = getattr(ep, "dist", None)
        dist_name = getattr(dist, "name", None) or getattr(dist, "metadata", {}).get("Name", "?") if dist else "?"
        entry = _EntryPoint(ep.name, ep.value, dist_name, ep.load)
        same = found.setdefault(ep.name, [])
        # The same distribution can be seen twice (a path listed twice).
        if all(other.distribution != entry.distribution for other in same):
            same.append(entry)
    return found


def _scan(force: bool = False) -> Dict[str, List[_EntryPoint]]:
    global _entry_points
    if _entry_points is None or force:
        _entry_points = _read_entry_points()
    return _entry_points


def _distribution_for(name: str) -> str:
    known = _KNOWN.get(name)
    if known is not None:
        return known.distribution
    return f"an aiologic backend for {name!r} (a distribution registering it in the {GROUP!r} entry-point group)"


def _missing(name: str, reason: str = "") -> BackendNotFoundError:
    dist = _distribution_for(name)
    if name in _KNOWN:
        message = f"{name} is in use but its aiologic backend is not installed: pip install {dist}"
    else:
        message = f"{name} is in use but no aiologic backend is installed for it: install {dist}"
    if reason:
        message += f" ({reason})"
    return BackendNotFoundError(message)


def _load(name: str) -> Backend:
    entries = _scan().get(name)
    if not entries and name not in _rescanned:
        _rescanned.add(name)
        entries = _scan(force=True).get(name)
    if entries and len(entries) > 1:
        owners = " and ".join(sorted(entry.distribution for entry in entries))
        raise BackendNotFoundError(
            f"two distributions register an aiologic backend named {name!r}: {owners}; uninstall one of them"
        )
    if entries:
        loader = entries[0].load
    else:
        # No metadata (frozen applications): built-ins fall back to their
        # import name.
        if name == "threading":
            loader = _load_threading
        elif name in _KNOWN:
            loader = lambda: _import_builtin(name)  # noqa: E731
        else:
            raise _missing(name)
    try:
        backend = loader()
    except ImportError as exc:
        raise _missing(name, f"loading it failed: {exc}") from exc
    except Exception as exc:
        raise _missing(name, f"loading it failed: {exc!r}") from exc
    if isinstance(backend, type) and issubclass(backend, Backend):
        backend = backend()
    if not isinstance(backend, Backend):
        raise _missing(name, f"its entry point gave {backend!r}, not an aiologic.lowlevel.Backend")
    if backend.api_version > API_VERSION:
        raise _missing(
            name,
            f"it needs backend interface version {backend.api_version} but this aiologic-core has {API_VERSION};"
            " upgrade aiologic-core",
        )
    if backend.name != name:
        raise _missing(name, f"its entry point gave the backend for {backend.name!r}")
    return backend


def _import_builtin(name: str) -> Any:
    # A plugin package may serve several libraries (aiologic_greenlet serves
    # gevent and eventlet): "<name>_backend" first, then "backend".
    import importlib

    module = importlib.import_module(_KNOWN[name].distribution.replace("-", "_"))
    return getattr(module, f"{name}_backend", None) or module.backend


def _load_threading() -> Backend:
    from ._threading_backend import backend

    return backend


def get_backend(name: str) -> Backend:
    """The loaded backend for the library `name`, loading it on first use.

    Raises `BackendNotFoundError` (a `RuntimeError`) naming the distribution
    to install. A failure is remembered: later calls raise it again at once.
    """
    backend = _backends.get(name)
    if backend is not None:
        return backend
    failure = _failures.get(name)
    if failure is not None:
        raise failure
    with _loading:
        backend = _backends.get(name)
        if backend is not None:
            return backend
        try:
            backend = _load(name)
        except BackendNotFoundError as exc:
            exc.__traceback__ = None
            _failures[name] = exc
            raise
        _on_load(backend)  # before publishing: readers of _backends find it registered
        _backends[name] = backend
        return backend


def installed_backends() -> Dict[str, str]:
    """Every registered backend name mapped to the distribution providing it
    (re-reads the entry points)."""
    with _loading:
        found = _scan(force=True)
    return {name: ", ".join(entry.distribution for entry in entries) for name, entries in sorted(found.items())}


def candidate_libraries(kind: str) -> List[KnownLibrary]:
    """The libraries of `kind` that may be in use now: built-in or registered,
    with their root module already imported. Reads the entry points once, and
    loads a registered backend only once a module named like it is imported."""
    candidates = []
    registered = _scan()
    for library in KNOWN_LIBRARIES:
        if library.kind == kind and library.root_module in sys.modules:
            candidates.append(library)
    for name in registered:
        if name in _KNOWN:
            continue
        backend = _backends.get(name)
        if backend is None:
            # Loading a backend imports its library. Until a module named
            # like the entry point (the library's root module) is imported,
            # the library cannot be in use: leave its plugin unloaded.
            if name not in sys.modules:
                continue
            try:
                backend = get_backend(name)
            except BackendNotFoundError:
                continue
        if backend.kind == kind and backend.root_module in sys.modules:
            candidates.append(KnownLibrary(name, kind, backend.root_module, registered[name][0].distribution))
    return candidates


_load_hooks: List[Any] = []


def _on_load(backend: Backend) -> None:
    for hook in _load_hooks:
        hook(backend)
