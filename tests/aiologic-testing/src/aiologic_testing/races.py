"""Forcing the wake-versus-cancel race deterministically.

Every blocking primitive must get one race right: a waiter is woken (handed
a permit, the lock, an item) at the very moment its wait ends by timeout or
cancellation. `pause_before_give_up()` stops the first waiter whose wait ends
that way just before it gives up, so that a test can hand it something in
that window and check that the hand-off is passed on, never lost.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Iterator, Optional

from aiologic.lowlevel import _events

__all__ = ("GiveUpPause", "pause_before_give_up")


class GiveUpPause:
    """The controller `pause_before_give_up()` yields."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        #: Set once a waiter is paused in the window.
        self.paused = threading.Event()
        #: The low-level event of the paused waiter.
        self.event: Optional[Any] = None
        self._resume = threading.Event()
        self._claimed = threading.Lock()

    def resume(self) -> None:
        """Let the paused waiter go on and give up (or find it was woken)."""
        self._resume.set()

    def _hook(self, event: Any) -> None:
        # Only the first waiter to reach the window is paused; the thread
        # that resumes it must not be the one paused (a loop's own thread
        # would deadlock).
        if not self._claimed.acquire(blocking=False):
            return
        self.event = event
        self.paused.set()
        if not self._resume.wait(self.timeout):
            raise TimeoutError("pause_before_give_up: nobody called resume()")


@contextlib.contextmanager
def pause_before_give_up(timeout: float = 10) -> Iterator[GiveUpPause]:
    """Within the block, the first wait (any thread, any library) that ends
    without a wake-up pauses before giving up, until `resume()`. The paused
    thread blocks for real, so resume it from another thread."""
    pause = GiveUpPause(timeout)
    if _events.race_hook is not None:
        raise RuntimeError("pause_before_give_up() does not nest")
    _events.race_hook = pause._hook
    try:
        yield pause
    finally:
        _events.race_hook = None
        pause.resume()
