"""The layer under aiologic's primitives: library detection, the backend
interface and registry, waiters, low-level events and checkpoints."""

from ._backend import API_VERSION, Backend
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
from ._registry import BackendNotFoundError, installed_backends
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
    "API_VERSION",
    "AsyncEvent",
    "AsyncLibraryNotFoundError",
    "AsyncWaiter",
    "Backend",
    "BackendNotFoundError",
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
    "installed_backends",
)
