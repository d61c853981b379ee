"""aiologic's backends for gevent and eventlet.

Registered in the ``aiologic.backends`` entry-point group as ``gevent``
(`gevent_backend`) and ``eventlet`` (`eventlet_backend`); aiologic loads one
the first time a green call runs in a process that imported its library.
Each attribute imports only its own library, on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ("eventlet_backend", "gevent_backend")

if TYPE_CHECKING:
    from ._eventlet import EventletBackend
    from ._gevent import GeventBackend

    gevent_backend: GeventBackend
    eventlet_backend: EventletBackend


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    library = name[: -len("_backend")]
    try:
        if library == "gevent":
            from ._gevent import backend
        else:
            from ._eventlet import backend  # type: ignore[assignment]
    except ImportError as exc:
        # Not an ImportError from deep inside (nor an AttributeError, which
        # `getattr(module, name, None)` would take for "no such backend").
        from aiologic.backends import BackendNotFoundError

        raise BackendNotFoundError(
            f"the aiologic backend for {library!r} from aiologic-greenlet does not load: importing {library} failed:"
            f" {exc!r} (pip install aiologic-greenlet[{library}])"
        ) from exc
    globals()[name] = backend
    return backend
