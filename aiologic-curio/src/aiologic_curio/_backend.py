"""The curio backend.

curio keeps the state of its scheduler (the running task, the ready queue)
in local variables of one closure, the kernel's runtime. Async code reaches
it through traps (a ``yield`` to the kernel); synchronous code cannot reach
it at all: curio has no synchronous "current task". Yet `async_release()`
and `async_owned()` are synchronous, and so is `wake()`.

**Task identity.** The trap functions the kernel builds (``kernel._traps``)
are closures over those variables. Once per kernel, this backend takes from
them the closure cell that holds the running task (``current``) and keeps it
on the kernel object. From then on "which task is running" is one read of
curio's per-thread marker (the one ``curio.meta.curio_running()`` reads,
which names the kernel running in this thread) and one read of that cell.
That is exact, not a cache that could go stale: it is the kernel's own
variable, set before each task step and cleared after it, so code running
between steps (a finalizer, a signal handler) is in no task. It costs a few
attribute reads. The kernel of curio 1.6 (curio 1.6 and curio-compat 1.6.x)
is built that way; this module refuses to import if curio is not, and a
kernel built otherwise gets a clear error on first use.

**Waiting.** A task parks with curio's own traps: ``trap_sched_wait``
without a timeout, ``trap_sleep`` with one (the kernel's time queue wakes it
at the deadline, on `time.monotonic()`, which is curio's clock, so never
early). Either way curio's cancellation (`Task.cancel`, `timeout_after`,
`ignore_after`) reaches the parked task as usual.

**Waking.** From a task of the waiter's own kernel, `wake()` reschedules the
parked task at once, as the kernel does for its own primitives: it undoes the
park with the task's cancel function (which drops a pending sleep from the
time queue) and appends the task to the ready queue. (The kernel's own
``reschedule_task`` also asserts ``task not in ready``, which would make
waking N tasks cost O(N²).) From anywhere else (another thread, or this
thread between task steps) the waiter is queued for its kernel, and the first
wake-up of a batch rings a doorbell: a future-like object that a small drain
task of the kernel waits for through ``trap_future_wait``, the path curio
uses for `concurrent.futures.Future`. The kernel's thread-safe wake-up is one
write to its loopback socket, once per batch, not once per waiter (during a
fan-out, at its end: `aiologic.backends.at_batch_end`); the drain task then
reschedules every queued waiter that is still parked. It runs
outside the kernel's task table: it never ends and holds nothing, so it must
neither show in the table nor hold up `Kernel.run(shutdown=True)`.

**The race.** A wake-up and a give-up (timeout, cancellation) both pop one
one-element list; the first wins. curio cannot refuse a cancellation, so a
task cancelled while a wake-up was on its way still raises: its give-up then
finds the list empty, which tells the caller that it was woken, and the
primitive passes the hand-off on.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any, Awaitable, Deque, Generator, List, Optional

import curio.meta
from curio.kernel import Kernel
from curio.task import Task
from curio.traps import _kernel_trap

from aiologic.backends import Backend, at_batch_end
from aiologic.lowlevel import signal_safety_enabled

__all__ = ("CurioBackend", "CurioWaiter", "backend")

_monotonic = time.monotonic

#: The longest sleep or timeout handed to curio in one step, in seconds (one
#: day); the core and this module split longer ones. curio passes the time to
#: its selector, which overflows past a C int of milliseconds (epoll and
#: poll: about 24.8 days) and crashes on infinity.
_LIMIT = 86400.0

#: curio's per-thread marker: ``kernel`` is the kernel running in the thread.
_locals: Any = getattr(curio.meta, "_locals", None)
if _locals is None or not hasattr(Kernel, "_make_kernel_runtime"):  # pragma: no cover
    raise ImportError(
        f"aiologic-curio supports the curio 1.6 kernel (curio 1.6, curio-compat 1.6.x); this curio"
        f" ({getattr(curio, '__version__', '?')}) is built otherwise"
    )


def _running_kernel() -> Any:
    """The curio kernel running in this thread, or None."""
    return _locals.__dict__.get("kernel")


def _cell(function: Any, name: str) -> Any:
    """The closure cell of `function` that holds its free variable `name`."""
    index = function.__code__.co_freevars.index(name)
    return function.__closure__[index]


# -- per-kernel state ----------------------------------------------------------------


class _Doorbell:
    """A one-shot future-like object for curio's ``trap_future_wait``.

    The kernel gives `add_done_callback` a callback that wakes the waiting
    task thread-safely; `ring()` calls it. Whichever of the two comes second
    makes the call: both pop one one-element list, atomically."""

    __slots__ = ("_callback", "_token")

    def __init__(self) -> None:
        self._callback: Any = None
        self._token: List[None] = [None]

    def add_done_callback(self, callback: Any) -> None:
        self._callback = callback
        try:
            self._token.pop()
        except IndexError:
            self._call()

    def ring(self) -> None:
        try:
            self._token.pop()
        except IndexError:
            self._call()

    def _call(self) -> None:
        try:
            self._callback(self)
        except OSError:
            # Its loopback socket is closed (the kernel was shut down: nobody
            # waits), or full (the kernel wakes anyway, and the wake-up was
            # queued before the write).
            pass

    def cancel(self) -> bool:
        return True  # the drain task is never cancelled; the kernel may ask anyway


class _Kernel:
    """What this backend keeps for one curio kernel (on the kernel itself,
    so that it lives and dies with it)."""

    __slots__ = ("kernel", "current", "ready", "pending", "idle", "bell", "drain")

    def __init__(self, kernel: Kernel) -> None:
        try:
            traps = kernel._traps
            current = _cell(traps["trap_get_current"], "current")
            reschedule = _cell(traps["trap_sched_wake"], "reschedule_task").cell_contents
            ready = _cell(reschedule, "ready_append").cell_contents.__self__
        except (AttributeError, KeyError, ValueError, TypeError) as exc:
            raise RuntimeError(
                f"aiologic-curio cannot find the running task and the ready queue in this curio kernel"
                f" ({type(kernel).__module__}.{type(kernel).__qualname__}); it supports the kernel of"
                f" curio 1.6: {exc!r}"
            ) from None
        if not isinstance(ready, deque):  # pragma: no cover
            raise RuntimeError("aiologic-curio: this curio kernel's ready queue is not a deque")
        self.kernel = kernel
        #: The closure cell of the kernel's running task (None between steps).
        self.current = current
        self.ready: Deque[Task] = ready
        #: Waiters woken from outside a task step, for the drain task.
        self.pending: Deque[CurioWaiter] = deque()
        #: Holds its element while no drain is on its way: whoever pops it
        #: rings the doorbell (see `post`).
        self.idle: List[None] = [None]
        self.bell = _Doorbell()
        self.drain: Optional[Task] = None

    def start_drain(self) -> None:
        """Start the drain task, from a task step of this kernel."""
        if self.drain is None:
            task = Task(_drain_wakeups(self))
            task.daemon = True
            self.drain = task
            _reschedule(self.ready, task)

    def post(self, waiter: CurioWaiter) -> None:
        """Queue `waiter` for the drain task (from any thread)."""
        self.pending.append(waiter)  # before the pop: a drain running now may take it
        idle = self.idle
        if not idle:
            return  # a drain is on its way and will find the waiter
        try:
            idle.pop()
        except IndexError:  # another thread took it meanwhile: same
            return
        ring = self.bell.ring  # this doorbell stays until it is rung
        if not at_batch_end(ring):  # a fan-out wakes the kernel once, at its end
            ring()


def _state_of(kernel: Kernel) -> _Kernel:
    try:
        state: _Kernel = kernel._aiologic_curio
    except AttributeError:
        # Only the kernel's own thread gets here (inside the kernel): no race.
        state = _Kernel(kernel)
        kernel._aiologic_curio = state
    return state


def _reschedule(ready: Deque[Task], task: Task) -> None:
    # What the kernel's reschedule_task does, without its O(len(ready)) assert.
    ready.append(task)
    task.state = "READY"
    task.cancel_func = None


async def _drain_wakeups(state: _Kernel) -> None:
    """The drain task: reschedules the waiters woken from outside."""
    pending = state.pending
    while True:
        await _kernel_trap("trap_future_wait", state.bell, None)
        # A new doorbell before the element goes back: whoever pops the
        # element from now on rings the new one. Every waiter queued before
        # is in `pending` already.
        state.bell = _Doorbell()
        state.idle.append(None)
        for _ in range(len(pending)):
            pending.popleft()._resume()


def _current_task() -> Optional[Task]:
    """The running curio task, or None outside a task step of a curio kernel
    in this thread. Never raises: the core calls it on hot paths."""
    kernel = _locals.__dict__.get("kernel")
    if kernel is None:
        return None
    try:
        state: _Kernel = kernel._aiologic_curio
    except AttributeError:
        try:
            state = _state_of(kernel)
        except RuntimeError:  # an unknown kernel: current_task() says why
            return None
    task: Optional[Task] = state.current.cell_contents
    return task


# -- waiters -------------------------------------------------------------------------


class _Parking:
    """The scheduler object ``trap_sched_wait`` parks a task on. The kernel
    calls the returned function when it cancels the task; a wake-up calls it
    too, and there is nothing to undo."""

    __slots__ = ()

    def _kernel_suspend(self, task: Task) -> Any:
        return _nothing


def _nothing() -> None:
    pass


_PARKING = _Parking()
_PARKED = "AIOLOGIC_WAIT"  # the task's state while parked, as curio's monitor shows it


class CurioWaiter:
    """A one-shot waiter for the curio task that made it.

    `_flag` is a one-element list: the first `wake()` pops it, atomically, and
    so does a wait that gives up (to refuse later wake-ups). `_parked` is true
    only while the task is parked by this waiter; it is read and written in
    the kernel's thread only, so a task is rescheduled at most once: by a
    `wake()` from another task of the kernel, or by the drain task (wake-ups
    from anywhere else), and only while the kernel has not rescheduled it
    itself (its ``cancel_func`` is then None: cancelled, or the sleep of a
    timed wait expired)."""

    __slots__ = ("_flag", "_task", "_state", "_parked", "shield")

    def __init__(self, shield: bool = False) -> None:
        kernel = _running_kernel()
        if kernel is None:
            raise RuntimeError("no curio kernel is running in this thread")
        state = _state_of(kernel)
        task = state.current.cell_contents
        if task is None:
            raise RuntimeError("curio waiters are made inside a curio task")
        state.start_drain()
        self._flag: List[None] = [None]
        self._task: Task = task
        self._state = state
        self._parked = False
        self.shield = shield

    # -- the waking side (any thread) ------------------------------------------------

    def wake(self) -> None:
        """Resume the waiting task; callable from any thread, any number of
        times (only the first call counts, and none after the wait gave up)."""
        try:
            self._flag.pop()
        except IndexError:  # woken already, or the wait gave up
            return
        state = self._state
        if _running_kernel() is state.kernel:
            current = state.current.cell_contents
            # Another task of the kernel: the parked task goes straight to the
            # ready queue. The waiting task itself (it woke its own waiter, or
            # a finalizer runs in its step) may be on its way to parking: the
            # drain task comes after it has parked. A signal handler or a
            # finalizer that enabled signal safety may have interrupted the
            # kernel's own code: it takes the thread-safe path too.
            if current is not None and current is not self._task and not signal_safety_enabled():
                self._resume()
                return
        state.post(self)

    def _resume(self) -> None:
        # In the kernel's thread, inside a task step (a waking task's or the
        # drain task's).
        if self._parked:
            task = self._task
            undo = task.cancel_func
            if undo is not None:  # still parked here: not rescheduled by the kernel
                self._parked = False
                undo()
                _reschedule(self._state.ready, task)

    # -- the waiting side (the task's own thread) ------------------------------------

    def _give_up(self) -> bool:
        """Refuse later wake-ups; False if a wake-up came first."""
        try:
            self._flag.pop()
        except IndexError:
            return False
        return True

    def __await__(self) -> Generator[Any, Any, bool]:
        # The wait without a timeout, as a generator: a blocked task keeps
        # no coroutine frame of ours but this one.
        if not self._flag:
            return True
        if self.shield:
            return (yield from self._wait_shielded().__await__())
        self._parked = True
        try:
            result = yield ("trap_sched_wait", _PARKING, _PARKED)
        except BaseException:
            self._give_up()
            raise
        finally:
            self._parked = False
        if isinstance(result, BaseException):  # how curio delivers a cancellation
            self._give_up()
            raise result
        return True

    async def with_(self, timeout: Optional[float] = None) -> bool:
        """Wait until woken (True) or until `timeout` seconds have passed
        (False, never early); the library's cancellation passes through
        unless the waiter is shielded."""
        if not self._flag:  # woken before the wait
            return True
        if self.shield:
            return await self._wait_shielded()  # shielded: the timeout does not apply
        if timeout is None:
            return await self
        if timeout <= 0:
            return not self._give_up()
        deadline = _monotonic() + timeout if timeout > _LIMIT else None
        step = min(timeout, _LIMIT)
        while True:
            self._parked = True
            try:
                # None when woken; the kernel's clock when the sleep expired.
                woken = await _kernel_trap("trap_sleep", step) is None
            except BaseException:
                self._give_up()
                raise
            finally:
                self._parked = False
            if woken or not self._flag:  # a wake-up that raced with the expiry wins
                return True
            if deadline is None:
                return not self._give_up()
            step = min(deadline - _monotonic(), _LIMIT)
            if step <= 0:
                return not self._give_up()

    async def _wait_shielded(self) -> bool:
        task = self._task
        allowed = task.allow_cancel
        task.allow_cancel = False  # a cancellation stays pending meanwhile
        self._parked = True
        try:
            await _kernel_trap("trap_sched_wait", _PARKING, _PARKED)
        except BaseException:  # KeyboardInterrupt and the like: not shielded
            self._give_up()
            raise
        finally:
            self._parked = False
            task.allow_cancel = allowed
        if allowed and task.cancel_pending is not None:
            await _kernel_trap("trap_sleep", 0)  # curio raises the pending cancellation
        return True


# -- the backend ---------------------------------------------------------------------


async def _checkpoint() -> None:
    """A cancel point, then a schedule point (``curio.sleep(0)``)."""
    # A cancel point (the kernel raises a pending cancellation), then a
    # schedule point: curio.sleep(0).
    await _kernel_trap("trap_sleep", 0)


async def _checkpoint_before() -> None:
    """Raise a pending cancellation of the current task, without switching."""
    task = _current_task()
    if task is not None and task.allow_cancel and task.cancel_pending is not None:
        await _kernel_trap("trap_sleep", 0)  # raises it, without switching


async def _checkpoint_after() -> None:
    """A schedule point during which a cancellation is held back for the next call."""
    task = _current_task()
    if task is None:
        return
    allowed = task.allow_cancel
    task.allow_cancel = False  # the action happened: a cancellation waits for the next call
    try:
        await _kernel_trap("trap_sleep", 0)
    finally:
        task.allow_cancel = allowed


async def _sleep(seconds: float) -> None:
    """Sleep `seconds` on curio's clock, in steps the kernel accepts."""
    if seconds <= _LIMIT:
        await _kernel_trap("trap_sleep", seconds)
        return
    deadline = _monotonic() + seconds
    while True:
        remaining = deadline - _monotonic()
        if remaining <= 0:
            return
        await _kernel_trap("trap_sleep", min(remaining, _LIMIT))


async def _shielded(awaitable: Awaitable[Any]) -> Any:
    task = _current_task()
    if task is None:
        raise RuntimeError("shield() runs inside a curio task")
    allowed = task.allow_cancel
    task.allow_cancel = False
    try:
        result = await awaitable
    finally:
        task.allow_cancel = allowed
    if allowed and task.cancel_pending is not None:
        await _kernel_trap("trap_sleep", 0)  # curio raises the pending cancellation
    return result


class CurioBackend(Backend):
    """curio (the curio 1.6 kernel: curio 1.6, curio-compat 1.6.x)."""

    api_version = 1
    name = "curio"
    kind = "async"
    root_module = "curio"
    distribution = "aiologic-curio"
    checkpoints_default = False
    priority = 20
    seconds_per_sleep = _LIMIT
    seconds_per_timeout = _LIMIT
    fast_current_task = staticmethod(_current_task)

    def running(self) -> bool:
        # curio.meta.curio_running() without the cost of its getattr, which
        # fails (and raises inside) in every thread that never ran curio: the
        # core asks curio on the hot paths of asyncio too.
        return _locals.__dict__.get("kernel") is not None

    def current_task(self) -> Task:
        kernel = _running_kernel()
        if kernel is None:
            raise RuntimeError("no curio kernel is running in this thread")
        task: Optional[Task] = _state_of(kernel).current.cell_contents
        if task is None:
            raise RuntimeError("no curio task is running (the kernel is between task steps)")
        return task

    def current_token(self) -> Kernel:
        kernel: Optional[Kernel] = _running_kernel()
        if kernel is None:
            raise RuntimeError("no curio kernel is running in this thread")
        return kernel

    def runs_in_this_thread(self, number: int) -> bool:
        kernel = _running_kernel()
        return kernel is not None and any(id(task) == number for task in list(kernel._tasks.values()))

    def create_waiter(self, *, shield: bool = False) -> CurioWaiter:
        return CurioWaiter(shield)

    checkpoint = staticmethod(_checkpoint)
    checkpoint_before = staticmethod(_checkpoint_before)
    checkpoint_after = staticmethod(_checkpoint_after)
    # The kernel's clock is time.monotonic() (curio.clock() returns it).
    clock = staticmethod(_monotonic)
    sleep = staticmethod(_sleep)

    def shield(self, wrapped: Awaitable[Any]) -> Awaitable[Any]:
        return _shielded(wrapped)


backend = CurioBackend()
