"""What the gevent and eventlet backends share: the greenlet waiter.

A waiting greenlet parks by switching to its thread's hub. Every wake-up,
from any thread, goes through one queue per hub (`HubState.pending`): the
waker appends the waiter and, unless a drain is already scheduled, schedules
one. The drain runs in the hub greenlet and switches into each waiter still
parked, oldest first. So wake-ups that arrive together cost one scheduled
callback (from the hub's own greenlets) or one system call (from anywhere
else: another thread, a callback of the hub, a finalizer; a fan-out makes
it when its batch ends), and greenlets
resume in the order they were woken, whichever way each wake-up came.

Each library supplies how to schedule a drain from a greenlet of the hub's
thread (`schedule_local`) and from anywhere (`signal_remote`), how to arm a
timer, and its cancellation exceptions.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Callable, Deque, List, Optional, Tuple, Type

from aiologic.backends import at_batch_end
from aiologic.lowlevel import signal_safety_enabled
from aiologic.lowlevel._originals import get_ident, monotonic
from greenlet import getcurrent

__all__ = ("HubState", "GreenletWaiter", "HUB_CANNOT_BLOCK")

#: What `hub.switch()` returns to a parked greenlet: woken or timed out.
#: Any other value is a switch that is not ours, and the greenlet parks again.
WOKEN: Any = object()
EXPIRED: Any = object()

HUB_CANNOT_BLOCK = (
    "a blocking call from the hub greenlet itself would hang the whole thread: call it from a greenlet instead"
)


class HubState:
    """The wake-up queue of one hub and how to get a drain scheduled.

    `pending` and `idle` are touched only with GIL-atomic operations (deque
    append/popleft, list pop/append), so wakers need no lock, which a signal
    handler could not take anyway. `idle` holds one element while no drain
    is scheduled: whoever pops it schedules the drain.
    """

    __slots__ = ("pending", "idle", "thread", "hub", "parked", "__weakref__")

    pending: Deque["GreenletWaiter"]
    idle: List[None]

    def __init__(self, hub: Any) -> None:
        self.pending = deque()
        self.idle = [None]
        self.thread = get_ident()
        self.hub = hub
        #: Greenlets of this hub parked in one of our waiters (the hub's
        #: thread only reads and writes it).
        self.parked = 0

    def hub_greenlet(self) -> Any:
        """The greenlet that runs the hub's loop."""
        raise NotImplementedError

    def schedule_local(self) -> None:
        """Schedule `drain` from a greenlet of the hub's thread."""
        raise NotImplementedError

    def signal_remote(self) -> None:
        """Schedule `drain` from anywhere (one system call); never raises."""
        raise NotImplementedError

    def arm_timer(self, seconds: float, callback: Callable[..., None], *args: Any) -> Any:
        """Call `callback(*args)` in the hub after `seconds`; returns a
        handle for `disarm_timer`."""
        raise NotImplementedError

    def disarm_timer(self, timer: Any) -> None:
        raise NotImplementedError

    def on_park(self) -> None:
        """A greenlet parked: keep the loop from exiting (gevent)."""

    def on_unpark(self) -> None:
        """A greenlet left its wait."""

    #: The exceptions a shielded wait holds back: the library's ways of
    #: cancelling a greenlet (`GreenletExit` and its `Timeout`).
    cancellations: Tuple[Type[BaseException], ...] = ()

    def wake(self, waiter: "GreenletWaiter") -> None:
        self.pending.append(waiter)
        idle = self.idle
        if not idle:
            return  # a drain is scheduled and will find the waiter
        try:
            idle.pop()
        except IndexError:  # another waker took it meanwhile: same
            return
        # Local scheduling only from a greenlet of the hub's own thread: the
        # hub looks at its callbacks before it sleeps again. The hub greenlet
        # itself (a timer's callback, a finalizer, a signal handler that
        # interrupted the loop) and code that enabled signal safety take the
        # thread-safe path, which wakes the loop even if it is about to sleep.
        if get_ident() == self.thread and getcurrent() is not self.hub_greenlet() and not signal_safety_enabled():
            self.schedule_local()
        elif not at_batch_end(self.signal_remote):  # a fan-out signals the hub once, at its end
            self.signal_remote()

    def drain(self) -> None:
        """Runs in the hub greenlet: resume every waiter queued so far."""
        # The element goes back first: a wake-up queued from now on schedules
        # the next drain, and every one queued before is already in `pending`.
        self.idle.append(None)
        pending = self.pending
        popleft = pending.popleft
        for _ in range(len(pending)):
            waiter = popleft()
            if waiter._parked:  # not given up, not woken twice
                waiter._parked = False
                try:
                    waiter._greenlet.switch(WOKEN)
                except BaseException:
                    # A raw greenlet died with an error, which greenlet raises
                    # in its parent (this hub): the rest still get woken.
                    if pending and self.idle:
                        try:
                            self.idle.pop()
                        except IndexError:
                            pass
                        else:
                            self.schedule_local()
                    raise


class GreenletWaiter:
    """A one-shot waiter for the greenlet that made it, under one hub.

    `_flag` is a one-element list: the first `wake()` pops it (atomically),
    so a wake-up is delivered at most once, and a wait that gives up pops it
    first to refuse later ones. `_parked` is true only while the greenlet is
    switched out in `wait()`; only the hub's thread reads and writes it, and
    the hub runs only while the greenlet is switched out, so the decision
    "switch into it now" is made once.
    """

    __slots__ = ("_flag", "_greenlet", "_state", "_parked", "_timer", "shield")

    def __init__(self, state: HubState, shield: bool = False) -> None:
        greenlet = getcurrent()
        if greenlet is state.hub_greenlet():
            raise RuntimeError(HUB_CANNOT_BLOCK)
        self._flag: List[None] = [None]
        self._greenlet = greenlet
        self._state = state
        self._parked = False
        self._timer: Any = None
        self.shield = shield

    def wake(self) -> None:
        try:
            self._flag.pop()
        except IndexError:  # woken already, or the wait gave up
            return
        self._state.wake(self)

    def _give_up(self) -> bool:
        """Refuse later wake-ups; False if a wake-up came first."""
        try:
            self._flag.pop()
        except IndexError:
            return False
        return True

    def wait(self, timeout: Optional[float] = None) -> bool:
        if not self._flag:  # woken before the wait
            return True
        if self.shield:
            return self._wait_shielded()
        if timeout is not None:
            if timeout <= 0:
                return not self._give_up()
            self._timer = self._state.arm_timer(timeout, self._expire, monotonic() + timeout)
        try:
            return self._park()
        finally:
            if self._timer is not None:
                self._state.disarm_timer(self._timer)
                self._timer = None

    def _park(self) -> bool:
        """Switch to the hub until woken or expired (exceptions thrown into
        the greenlet propagate)."""
        state = self._state
        switch = state.hub.switch
        self._parked = True
        state.on_park()
        try:
            while True:
                result = switch()
                if result is WOKEN:
                    return True
                if result is EXPIRED:
                    # A wake-up may have popped the flag just before: it wins.
                    return not self._give_up()
                self._parked = True  # a switch that is not ours: park again
        finally:
            self._parked = False
            state.on_unpark()

    def _wait_shielded(self) -> bool:
        # Cancellations thrown in meanwhile are held back, the first one
        # re-raised once woken; other exceptions (KeyboardInterrupt) go through.
        cancelled: Optional[BaseException] = None
        while True:
            try:
                self._park()
            except self._state.cancellations as exc:
                if cancelled is None:
                    cancelled = exc
                if not self._flag:  # woken as it was thrown into
                    break
                continue
            break
        if cancelled is not None:
            raise cancelled
        return True

    def _expire(self, deadline: float) -> None:
        # Runs in the hub. The loop's clock may lag behind (gevent updates it
        # once per iteration), so a timer may fire early: never give up
        # before `deadline` on time.monotonic().
        if not self._parked:
            return
        remaining = deadline - monotonic()
        if remaining > 0:
            self._timer = self._state.arm_timer(remaining, self._expire, deadline)
            return
        self._parked = False
        self._greenlet.switch(EXPIRED)
