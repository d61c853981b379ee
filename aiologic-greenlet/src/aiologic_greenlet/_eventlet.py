"""The eventlet backend.

A thread counts as eventlet from the moment its hub exists (eventlet keeps
it in a thread-local of the unpatched `threading` module, read here without
creating a hub). No monkey-patching is needed: a hub may run in any thread.

eventlet has no thread-safe way to schedule a call, so each hub gets a pipe
of ours, registered as a reader with the hub by its first waiter, in the
hub's thread: a wake-up from another thread writes one byte (one system call
per batch of wake-ups), and the hub drains the wake-up queue when the pipe
turns readable.
"""

from __future__ import annotations

import functools
import sys
from typing import Any, Callable, Dict

import eventlet
import eventlet.hubs
from eventlet import Timeout, patcher
from greenlet import GreenletExit, getcurrent
from greenlet import greenlet as _RawGreenlet

from aiologic.backends import Backend
from aiologic.lowlevel._originals import monotonic

from ._common import HUB_CANNOT_BLOCK, GreenletWaiter, HubState

__all__ = ("EventletBackend", "EventletWaiter", "backend")

_sleep = eventlet.sleep
_get_hub = eventlet.hubs.get_hub
_CANCELLATIONS = (GreenletExit, Timeout)
# The real os functions: under monkey-patching, `os.read` would wait for the
# hub, and the hub itself calls them.
os: Any = patcher.original("os")
# The per-thread record of the hub, a thread-local of the original threading
# module: its `__dict__` is this thread's, and has "hub" once a hub exists.
_threadlocal: Any = eventlet.hubs._threadlocal


def _hub_if_exists() -> Any:
    return _threadlocal.__dict__.get("hub")


class _EventletHubState(HubState):
    __slots__ = ("_read", "_write", "_listener")

    cancellations = _CANCELLATIONS

    def __init__(self, hub: Any) -> None:
        super().__init__(hub)
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        self._listener = hub.add(hub.READ, self._read, self._readable, _ignore, _ignore)

    def __del__(self) -> None:
        # The pipe lives as long as this state: the hub (through its
        # listener) and every waiter of the hub keep it, so no waker ever
        # writes to a descriptor that was closed and reused.
        for fd in (self._read, self._write):
            try:
                os.close(fd)
            except OSError:
                pass

    def _readable(self, fileno: int) -> None:
        try:
            while os.read(fileno, 4096):
                pass
        except OSError:  # drained (EAGAIN)
            pass
        try:
            self.drain()
        except self.hub.SYSTEM_EXCEPTIONS:
            raise
        except BaseException:
            # eventlet drops a listener whose callback raises: report the
            # error (a raw greenlet that died in the hub) and keep listening.
            self.hub.squelch_generic_exception(sys.exc_info())

    def hub_greenlet(self) -> Any:
        return self.hub.greenlet  # replaced if the hub's greenlet died

    def schedule_local(self) -> None:
        self.hub.schedule_call_global(0, self.drain)

    def signal_remote(self) -> None:
        try:
            os.write(self._write, b"\0")
        except OSError:  # full (a hub that no longer runs): nobody waits
            pass

    def arm_timer(self, seconds: float, callback: Callable[..., None], *args: Any) -> Any:
        return self.hub.schedule_call_global(seconds, callback, *args)

    def disarm_timer(self, timer: Any) -> None:
        timer.cancel()


def _ignore(*args: Any) -> None:
    pass


def _state_of(hub: Any) -> _EventletHubState:
    try:
        state: _EventletHubState = hub._aiologic_state
    except AttributeError:
        state = hub._aiologic_state = _EventletHubState(hub)
    return state


class EventletWaiter(GreenletWaiter):
    """A waiter for the current greenlet of a thread with an eventlet hub."""

    __slots__ = ()

    def __init__(self, shield: bool = False) -> None:
        hub = _hub_if_exists()
        if hub is None:
            raise RuntimeError("no eventlet hub in this thread")
        super().__init__(_state_of(hub), shield)


def _running() -> bool:
    return "hub" in _threadlocal.__dict__


def _current_task() -> Any:
    """The current greenlet if this thread has an eventlet hub, else None."""
    if "hub" not in _threadlocal.__dict__:
        return None
    return getcurrent()


def _throw_later(glet: Any, exc: BaseException) -> None:
    if not glet.dead:
        glet.throw(exc)


def _yield_keeping_cancellation() -> None:
    """A schedule point that never raises a cancellation: one that comes
    meanwhile is thrown into the greenlet again at its next switch."""
    try:
        _sleep(0)
    except _CANCELLATIONS as exc:
        _get_hub().schedule_call_global(0, _throw_later, getcurrent(), exc)


class EventletBackend(Backend):
    """eventlet, with or without monkey-patching, its hubs in any threads."""

    api_version = 1
    name = "eventlet"
    kind = "green"
    root_module = "eventlet"
    distribution = "aiologic-greenlet"
    checkpoints_default = False
    priority = 10
    seconds_per_timeout = 86400.0 * 30
    seconds_per_sleep = 86400.0 * 30
    fast_current_task = staticmethod(_current_task)

    def __init__(self) -> None:
        # Asked on every green call of a plain thread in a process that
        # imported eventlet: a plain function saves the bound method's cost.
        self.running = _running  # type: ignore[method-assign]

    def running(self) -> bool:
        return _running()

    def current_task(self) -> Any:
        return getcurrent()

    def current_token(self) -> Any:
        return _get_hub()

    def create_waiter(self, *, shield: bool = False) -> EventletWaiter:
        return EventletWaiter(shield)

    def checkpoint(self) -> None:
        _sleep(0)

    def checkpoint_before(self) -> None:
        pass

    def checkpoint_after(self) -> None:
        _yield_keeping_cancellation()

    def clock(self) -> float:
        hub = _hub_if_exists()
        if hub is None:
            return monotonic()
        return float(hub.clock())

    def sleep(self, seconds: float) -> None:
        deadline = monotonic() + seconds
        _sleep(seconds)
        while True:
            remaining = deadline - monotonic()
            if remaining <= 0:
                return
            _sleep(remaining)

    def shield(self, wrapped: Any) -> Any:
        return _shielded(wrapped)



def _shielded(wrapped: Callable[..., Any]) -> Callable[..., Any]:
    """A proxy that runs `wrapped` in a greenlet of its own and waits for
    it with a shielded waiter: a kill or a `Timeout` thrown into the caller
    meanwhile is held back and raised once the call has completed."""

    @functools.wraps(wrapped)
    def call(*args: Any, **kwargs: Any) -> Any:
        hub = _get_hub()
        if getcurrent() is hub.greenlet:
            raise RuntimeError(HUB_CANNOT_BLOCK)
        waiter = EventletWaiter(shield=True)
        box: Dict[str, Any] = {}

        def run() -> None:
            try:
                box["result"] = wrapped(*args, **kwargs)
            except BaseException as exc:  # re-raised in the caller
                box["error"] = exc
            finally:
                waiter.wake()

        hub.schedule_call_global(0, _RawGreenlet(run, parent=hub.greenlet).switch)
        try:
            waiter.wait()
        except BaseException:
            box.pop("error", None)
            raise
        if "error" in box:
            raise box["error"]
        return box.get("result")

    return call


backend = EventletBackend()
