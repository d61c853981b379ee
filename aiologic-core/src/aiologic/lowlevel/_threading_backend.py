"""The threading backend: plain threads as a green library.

It lives in the core, but it is registered and used exactly like a plugin
(entry point ``threading``), so it is the smallest complete example of the
backend interface. Threads cannot be cancelled from outside, so there is
nothing to shield and no cancellation to check for.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Callable, Optional

from ._backend import Backend
from ._originals import allocate_lock, current_thread, get_ident
from ._originals import monotonic as _monotonic
from ._originals import sleep as _sleep
from ._wakeups import current as _batch

__all__ = ("ThreadingBackend", "ThreadWaiter", "backend")

_TIMEOUT_MAX = threading.TIMEOUT_MAX
_yield: Callable[[], Any] = getattr(os, "sched_yield", lambda: _sleep(0))


class ThreadWaiter:
    """Blocks one thread on a lock that `wake()` releases.

    Waking from another thread is one release of a lock: a single system call
    (a futex) when the thread is asleep.
    """

    __slots__ = ("_lock", "_gate", "shield")

    def __init__(self, shield: bool = False) -> None:
        self._lock = allocate_lock()
        self._lock.acquire()
        self._gate: Any = None
        self.shield = shield

    def wake(self) -> None:
        self._gate = _batch.gate  # see `_wakeups`
        try:
            self._lock.release()
        except RuntimeError:  # woken already
            pass

    def wait(self, timeout: Optional[float] = None) -> bool:
        if timeout is None or self.shield:
            self._lock.acquire()
        elif timeout <= 0:
            if not self._lock.acquire(False):
                return False
        elif not self._acquire_until(_monotonic() + timeout, timeout):
            return False
        gate = self._gate
        if gate is not None:  # woken in a batch: let the waker finish first
            gate.acquire()
            gate.release()
        return True

    def _acquire_until(self, deadline: float, timeout: float) -> bool:
        # The lock's own timeout may round down; never give up early.
        while True:
            if self._lock.acquire(True, min(timeout, _TIMEOUT_MAX)):
                return True
            timeout = deadline - _monotonic()
            if timeout <= 0:
                return False


class ThreadingBackend(Backend):
    """Plain threads (the green library of every thread without a hub)."""

    name = "threading"
    kind = "green"
    root_module = "threading"
    distribution = "aiologic-core"
    checkpoints_default = False
    priority = 0
    seconds_per_sleep = _TIMEOUT_MAX
    seconds_per_timeout = _TIMEOUT_MAX
    fast_task_ident_number = get_ident

    def running(self) -> bool:
        return True

    def current_task(self) -> threading.Thread:
        return current_thread()

    def current_token(self) -> threading.Thread:
        return current_thread()

    def task_ident_number(self, task: Any) -> int:
        # Under monkey-patching a `Thread`'s `ident` may be a greenlet's
        # (gevent gives the main thread its main greenlet's): the calling
        # thread is numbered by its OS identifier, as `fast_task_ident_number`.
        if task is current_thread():
            return get_ident()
        return task.ident  # type: ignore[no-any-return]

    def create_waiter(self, *, shield: bool = False) -> ThreadWaiter:
        return ThreadWaiter(shield)

    def checkpoint(self) -> None:
        _yield()

    def checkpoint_before(self) -> None:
        pass

    def checkpoint_after(self) -> None:
        _yield()

    def clock(self) -> float:
        return _monotonic()

    def sleep(self, seconds: float) -> None:
        _sleep(seconds)

    def shield(self, wrapped: Any) -> Any:
        return wrapped


backend = ThreadingBackend()
