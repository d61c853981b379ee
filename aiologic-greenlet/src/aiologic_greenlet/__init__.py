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
    if name == "gevent_backend":
        from ._gevent import backend
    elif name == "eventlet_backend":
        from ._eventlet import backend  # type: ignore[assignment]
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = backend
    return backend
