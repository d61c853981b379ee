"""The layer under aiologic's primitives: library detection, waiters,
low-level events and checkpoints. The backend interface and registry are
public in `aiologic.backends`."""

import warnings as _warnings
from typing import Any as _Any

from ._checkpoints import (
    async_checkpoint,
    async_checkpoint_enabled,
    async_checkpoint_if_cancelled,
    disable_checkpoints,
    enable_checkpoints,
    green_checkpoint,
    green_checkpoint_enabled,
    green_checkpoint_if_cancelled,
)
from ._events import AsyncEvent, Event, GreenEvent, create_async_event, create_green_event
from ._libraries import (
    AsyncLibraryNotFoundError,
    GreenLibraryNotFoundError,
    current_async_library,
    current_async_library_tlocal,
    current_green_library,
    current_green_library_tlocal,
    current_thread_ident,
)
from ._tasks import (
    current_async_task,
    current_async_task_ident,
    current_async_token,
    current_async_token_ident,
    current_green_task,
    current_green_task_ident,
    current_green_token,
    current_green_token_ident,
    current_thread,
)
from ._waiters import AsyncWaiter, GreenWaiter, Waiter, create_async_waiter, create_green_waiter

__all__ = (
    "AsyncEvent",
    "AsyncLibraryNotFoundError",
    "AsyncWaiter",
    "Event",
    "GreenEvent",
    "GreenLibraryNotFoundError",
    "GreenWaiter",
    "Waiter",
    "async_checkpoint",
    "async_checkpoint_enabled",
    "async_checkpoint_if_cancelled",
    "create_async_event",
    "create_async_waiter",
    "create_green_event",
    "create_green_waiter",
    "current_async_library",
    "current_async_library_tlocal",
    "current_async_task",
    "current_async_task_ident",
    "current_async_token",
    "current_async_token_ident",
    "current_green_library",
    "current_green_library_tlocal",
    "current_green_task",
    "current_green_task_ident",
    "current_green_token",
    "current_green_token_ident",
    "current_thread",
    "current_thread_ident",
    "disable_checkpoints",
    "enable_checkpoints",
    "green_checkpoint",
    "green_checkpoint_enabled",
    "green_checkpoint_if_cancelled",
)

# The public plugin interface is built on this package; importing it here
# makes `aiologic.backends` available after `import aiologic`.
from .. import backends as _plugin_interface  # noqa: E402

#: Names that moved to `aiologic.backends`: still found here, with a warning,
#: until the next release.
_MOVED = frozenset({"API_VERSION", "Backend", "BackendNotFoundError", "installed_backends"})


def __getattr__(name: str) -> _Any:
    if name in _MOVED:
        _warnings.warn(
            f"aiologic.lowlevel.{name} is deprecated and will be removed in the next release:"
            f" use aiologic.backends.{name}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(_plugin_interface, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
