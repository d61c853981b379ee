"""Execution units: threads, tasks and tokens."""

from __future__ import annotations

import threading
from typing import Any, Tuple

from ._libraries import async_library, green_library, green_task_ident
from ._originals import DUMMY_THREAD_TYPES
from ._originals import current_thread as _current_thread

__all__ = (
    "current_async_task",
    "current_async_task_ident",
    "current_async_token",
    "current_async_token_ident",
    "current_green_task",
    "current_green_task_ident",
    "current_green_token",
    "current_green_token_ident",
    "current_thread",
)


def current_thread() -> threading.Thread:
    """The `threading.Thread` of the current OS thread (also inside a
    greenlet under monkey-patching)."""
    thread = _current_thread()
    if isinstance(thread, DUMMY_THREAD_TYPES):
        raise RuntimeError("the current thread was not started through the threading module")
    return thread


def current_green_task() -> Any:
    """The current greenlet where a hub exists in this thread, else the
    current thread."""
    return green_library().current_task()


def current_async_task() -> Any:
    """The current asyncio, trio or curio task."""
    return async_library().current_task()


def current_green_task_ident() -> Tuple[str, int]:
    """``(library, number)`` identifying the current green task."""
    return green_task_ident()


def current_async_task_ident() -> Tuple[str, int]:
    """``(library, number)`` identifying the current async task."""
    return async_library().task_ident()


def current_green_token() -> Any:
    """The hub under gevent/eventlet, else the current thread."""
    return green_library().backend.current_token()


def current_async_token() -> Any:
    """The running event loop, trio token or curio kernel."""
    return async_library().backend.current_token()


def current_green_token_ident() -> Tuple[str, int]:
    """``(library, number)`` identifying the current green token."""
    lib = green_library()
    return (lib.name, lib.backend.task_ident_number(lib.backend.current_token()))


def current_async_token_ident() -> Tuple[str, int]:
    """``(library, number)`` identifying the current async token."""
    lib = async_library()
    return (lib.name, id(lib.backend.current_token()))
