"""The gevent backend.

A thread counts as gevent from the moment its hub exists (running or not),
which `gevent.get_hub_if_exists()` (a C function) tells without creating one.
No monkey-patching is needed: a hub may run in any thread, several threads
may each run one, and a plain thread of a process that imported gevent stays
a plain thread.

Cross-thread wake-ups go through one `async` watcher per hub, created by the
first waiter of that hub in the hub's thread (libev watchers are started
there only). Sending it is thread-safe and costs one system call per batch.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Dict

import gevent
from gevent import Timeout
from gevent._hub_local import get_hub_if_exists
from gevent.hub import get_hub
from greenlet import GreenletExit, getcurrent
from greenlet import greenlet as _RawGreenlet

from aiologic.backends import Backend
from aiologic.lowlevel._originals import monotonic

from ._common import HUB_CANNOT_BLOCK, GreenletWaiter, HubState

__all__ = ("GeventBackend", "GeventWaiter", "backend")

_sleep = gevent.sleep
_CANCELLATIONS = (GreenletExit, Timeout)


class _GeventHubState(HubState):
    __slots__ = ("_async", "_loop")

    cancellations = _CANCELLATIONS

    def __init__(self, hub: Any) -> None:
        super().__init__(hub)
        self._loop = loop = hub.loop
        # Unreferenced while nobody waits: an idle watcher of ours must not
        # keep `gevent.wait()` or the hub's loop from finishing.
        watcher = loop.async_(ref=False)
        watcher.start(self.drain)
        self._async = watcher

    def hub_greenlet(self) -> Any:
        return self.hub

    def schedule_local(self) -> None:
        self._loop.run_callback(self.drain)

    def signal_remote(self) -> None:
        try:
            self._async.send()
        except Exception:  # the hub was destroyed: nobody waits any more
            pass

    def arm_timer(self, seconds: float, callback: Callable[..., None], *args: Any) -> Any:
        loop = self._loop
        loop.update_now()  # the loop's clock may be stale: start from fresh time
        timer = loop.timer(seconds)
        timer.start(callback, *args)
        return timer

    def disarm_timer(self, timer: Any) -> None:
        timer.close()

    def on_park(self) -> None:
        # A greenlet waiting for a wake-up from another thread keeps the loop
        # alive, as gevent's own watchers do (else the hub would raise
        # LoopExit into the main greenlet, "this operation would block forever").
        self.parked += 1
        if self.parked == 1:
            self._async.ref = True

    def on_unpark(self) -> None:
        self.parked -= 1
        if self.parked == 0:
            self._async.ref = False


def _state_of(hub: Any) -> _GeventHubState:
    # Kept on the hub itself, so that it lives and dies with the hub; only
    # the hub's own thread makes it (waiters are made there).
    try:
        state: _GeventHubState = hub._aiologic_state
    except AttributeError:
        state = hub._aiologic_state = _GeventHubState(hub)
    return state


class GeventWaiter(GreenletWaiter):
    """A waiter for the current greenlet of a thread with a gevent hub."""

    __slots__ = ()

    def __init__(self, shield: bool = False) -> None:
        hub = get_hub_if_exists()
        if hub is None:
            raise RuntimeError("no gevent hub in this thread")
        super().__init__(_state_of(hub), shield)


def _running() -> bool:
    return get_hub_if_exists() is not None


def _current_task() -> Any:
    """The current greenlet if this thread has a gevent hub, else None."""
    if get_hub_if_exists() is None:
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
        get_hub().loop.run_callback(_throw_later, getcurrent(), exc)


class GeventBackend(Backend):
    """gevent, with or without monkey-patching, its hubs in any threads."""

    api_version = 1
    name = "gevent"
    kind = "green"
    root_module = "gevent"
    distribution = "aiologic-greenlet"
    checkpoints_default = False
    priority = 20
    # libev and libuv timers take long delays, but not unbounded ones.
    seconds_per_timeout = 86400.0 * 30
    seconds_per_sleep = 86400.0 * 30
    fast_current_task = staticmethod(_current_task)

    def __init__(self) -> None:
        # Every green call of a plain thread in a process that imported
        # gevent asks this: a plain function saves the bound method's cost.
        self.running = _running  # type: ignore[method-assign]

    def running(self) -> bool:
        return _running()

    def current_task(self) -> Any:
        return getcurrent()

    def current_token(self) -> Any:
        return get_hub()

    def create_waiter(self, *, shield: bool = False) -> GeventWaiter:
        return GeventWaiter(shield)

    def checkpoint(self) -> None:
        _sleep(0)

    def checkpoint_before(self) -> None:
        # A greenlet has no pending cancellation to ask about: a kill is
        # thrown into it when it next switches.
        pass

    def checkpoint_after(self) -> None:
        _yield_keeping_cancellation()

    def clock(self) -> float:
        hub = get_hub_if_exists()
        if hub is None:
            return monotonic()
        return float(hub.loop.now())

    def sleep(self, seconds: float) -> None:
        # gevent's own timers follow the loop's clock: re-sleep until
        # time.monotonic() says the time has passed.
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
        if getcurrent() is get_hub_if_exists():
            raise RuntimeError(HUB_CANNOT_BLOCK)
        waiter = GeventWaiter(shield=True)
        box: Dict[str, Any] = {}

        def run() -> None:
            try:
                box["result"] = wrapped(*args, **kwargs)
            except BaseException as exc:  # re-raised in the caller
                box["error"] = exc
            finally:
                waiter.wake()

        hub = get_hub()
        hub.loop.run_callback(_RawGreenlet(run, parent=hub).switch)
        try:
            waiter.wait()
        except BaseException:
            box.pop("error", None)
            raise
        if "error" in box:
            raise box["error"]
        return box.get("result")

    return call


backend = GeventBackend()
