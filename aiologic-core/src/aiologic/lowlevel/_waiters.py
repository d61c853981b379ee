"""The waiter protocol: the lowest layer under every blocking primitive.

A waiter is made by the task that is about to block, in its own thread, by the
backend of that task's library. `wake()` may come from anywhere; the wait
returns True when woken, False on timeout, and lets cancellation through.
Primitives do not use waiters directly: they use low-level events
(`_events`), which add the state that closes the wake-versus-cancel race.
"""

from __future__ import annotations

from typing import Any, Generator, Optional, Protocol

from ._libraries import async_library, green_library

__all__ = ("AsyncWaiter", "GreenWaiter", "Waiter", "create_async_waiter", "create_green_waiter")


class Waiter(Protocol):
    """Anything that can wake one waiting task."""

    def wake(self) -> None:
        """Wake the task; callable from any thread, several times."""


class GreenWaiter(Waiter, Protocol):
    """A waiter for a thread or a greenlet."""

    shield: bool

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block until woken (True) or until `timeout` expires (False)."""


class AsyncWaiter(Waiter, Protocol):
    """A waiter for an async task."""

    shield: bool

    def __await__(self) -> Generator[Any, Any, bool]:
        """Suspend until woken; returns True."""

    async def with_(self, timeout: Optional[float] = None) -> bool:
        """Suspend until woken (True) or until `timeout` expires (False)."""


def create_green_waiter(*, shield: bool = False) -> GreenWaiter:
    """A new waiter for the current thread or greenlet."""
    return green_library().backend.create_waiter(shield=shield)  # type: ignore[no-any-return]


def create_async_waiter(*, shield: bool = False) -> AsyncWaiter:
    """A new waiter for the current async task (call it inside the task)."""
    return async_library().backend.create_waiter(shield=shield)  # type: ignore[no-any-return]
