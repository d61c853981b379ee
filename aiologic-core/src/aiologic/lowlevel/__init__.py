"""The layer under aiologic's primitives: library detection, execution
units, waiters and low-level events, time, checkpoints, shielding, thread
locks, lazy queues and signal safety. The backend interface and registry are
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
from ._events import (
    CANCELLED_EVENT,
    DUMMY_EVENT,
    SET_EVENT,
    AsyncEvent,
    CancelledEvent,
    DummyEvent,
    Event,
    GreenEvent,
    SetEvent,
    create_async_event,
    create_green_event,
)
from ._lazydeque import lazydeque, lazyqueue
from ._libraries import (
    AsyncLibraryNotFoundError,
    GreenLibraryNotFoundError,
    current_async_library,
    current_async_library_tlocal,
    current_green_library,
    current_green_library_tlocal,
    current_thread_ident,
)
from ._once import once
from ._shield import shield
from ._signals import disable_signal_safety, enable_signal_safety, signal_safety_enabled
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
from ._thread_locks import (
    THREAD_DUMMY_LOCK,
    ThreadDummyLock,
    ThreadLock,
    ThreadOnceLock,
    ThreadRLock,
    create_thread_lock,
    create_thread_oncelock,
    create_thread_rlock,
)
from ._time import (
    async_clock,
    async_seconds_per_sleep,
    async_seconds_per_timeout,
    async_sleep,
    async_sleep_forever,
    async_sleep_until,
    green_clock,
    green_seconds_per_sleep,
    green_seconds_per_timeout,
    green_sleep,
    green_sleep_forever,
    green_sleep_until,
)
from ._waiters import AsyncWaiter, GreenWaiter, Waiter, create_async_waiter, create_green_waiter

# All-caps names first, then classes, then functions, each group
# alphabetical (the order `aiologic.meta.export` gives).
__all__ = (
    "CANCELLED_EVENT",
    "DUMMY_EVENT",
    "SET_EVENT",
    "THREAD_DUMMY_LOCK",
    "AsyncEvent",
    "AsyncLibraryNotFoundError",
    "AsyncWaiter",
    "CancelledEvent",
    "DummyEvent",
    "Event",
    "GreenEvent",
    "GreenLibraryNotFoundError",
    "GreenWaiter",
    "SetEvent",
    "ThreadDummyLock",
    "ThreadLock",
    "ThreadOnceLock",
    "ThreadRLock",
    "Waiter",
    "async_checkpoint",
    "async_checkpoint_enabled",
    "async_checkpoint_if_cancelled",
    "async_clock",
    "async_seconds_per_sleep",
    "async_seconds_per_timeout",
    "async_sleep",
    "async_sleep_forever",
    "async_sleep_until",
    "create_async_event",
    "create_async_waiter",
    "create_green_event",
    "create_green_waiter",
    "create_thread_lock",
    "create_thread_oncelock",
    "create_thread_rlock",
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
    "disable_signal_safety",
    "enable_checkpoints",
    "enable_signal_safety",
    "green_checkpoint",
    "green_checkpoint_enabled",
    "green_checkpoint_if_cancelled",
    "green_clock",
    "green_seconds_per_sleep",
    "green_seconds_per_timeout",
    "green_sleep",
    "green_sleep_forever",
    "green_sleep_until",
    "lazydeque",
    "lazyqueue",
    "once",
    "shield",
    "signal_safety_enabled",
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
