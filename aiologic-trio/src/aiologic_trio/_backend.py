"""The trio backend: waiters built on `trio.lowlevel.wait_task_rescheduled`.

Identity and detection read trio's own per-thread run state
(``trio._core._run.GLOBAL_RUN_CONTEXT``, a `threading.local` that has a
``runner`` attribute inside a run and a ``task`` attribute while a task
steps; trio 0.23 to 0.35 at least) with one dictionary lookup and no
exception. If a future trio moves that object, the public (slower) functions
take over.

Under trio's default clock, timeouts are also checked against
`time.monotonic()` (never early); under a clock of the user's
(`trio.testing.MockClock`), they follow that clock, as trio's own do.
"""

from __future__ import annotations

import time
from typing import Any, Awaitable, Generator, List, Optional

import trio
from trio.lowlevel import (
    Abort,
    Task,
    TrioToken,
    cancel_shielded_checkpoint,
    checkpoint_if_cancelled,
    current_clock,
    current_root_task,
    current_trio_token,
    reschedule,
    wait_task_rescheduled,
)

from aiologic.backends import Backend
from aiologic.lowlevel import signal_safety_enabled

__all__ = ("TrioBackend", "TrioWaiter", "backend")

_monotonic = time.monotonic
_current_time = trio.current_time
_CancelScope = trio.CancelScope
_RunFinishedError = trio.RunFinishedError

# -- trio's run state ----------------------------------------------------------

_run_module: Any = getattr(getattr(trio, "_core", None), "_run", None)
_context: Any = getattr(_run_module, "GLOBAL_RUN_CONTEXT", None)
_SystemClock: Any = getattr(_run_module, "SystemClock", None)

if _context is not None:
    # Reading the thread's own dict of that `threading.local` costs a third
    # of a failing attribute lookup (which raises AttributeError inside):
    # the core asks trio first, so outside trio the answer must be cheap.

    def _current_task() -> Optional[Task]:
        """The running task, or None when no trio task steps in this thread."""
        task: Optional[Task] = _context.__dict__.get("task")
        return task

    def _same_run(runner: Any) -> bool:
        # In a task of the run `runner`, in this thread. (A host loop of a
        # guest run has the runner but no task: it takes the token's path.)
        state = _context.__dict__
        return "task" in state and state.get("runner") is runner

    def _current_runner() -> Any:
        return _context.runner

else:  # pragma: no cover - a trio without the run context we know

    def _current_task() -> Optional[Task]:
        try:
            return trio.lowlevel.current_task()
        except RuntimeError:
            return None

    def _same_run(runner: Any) -> bool:
        try:
            trio.lowlevel.current_task()
            return current_trio_token() is runner
        except RuntimeError:
            return False

    def _current_runner() -> Any:
        return current_trio_token()


def _system_clock() -> bool:
    """Whether the current run uses trio's default clock (perf_counter-based;
    a virtual clock such as `trio.testing.MockClock` is trusted as it is)."""
    clock = current_clock()
    if _SystemClock is not None:
        return type(clock) is _SystemClock
    return type(clock).__name__ == "SystemClock"  # pragma: no cover


# -- waiters ---------------------------------------------------------------------


class TrioWaiter:
    """A one-shot waiter for the trio task that made it.

    `_flag` is a one-element list: the first `wake()` pops it, atomically
    (so a wake-up is delivered at most once, and a wait that gave up pops it
    first to refuse later wake-ups). `_suspended` is true only while the task
    is parked in `wait_task_rescheduled` by this waiter; it is read and
    written in the run's own thread only, so the decision "reschedule now" is
    never made by two parties:

    * a `wake()` from a task of the same run reschedules the task at once if
      it is parked, else leaves the popped flag for the wait to see;
    * a `wake()` from anywhere else (another thread, another run, a host loop)
      posts `_deliver` through the run's `TrioToken` (one write to trio's
      wake-up socket), which does the same inside the run;
    * the abort callback (cancellation, timeout) succeeds only while the flag
      is still there; once it has succeeded, `_suspended` is false and no
      waker reschedules the task. A wake-up that arrives after that is seen
      by the waiting side, which then pops the flag in vain and knows it was
      woken.
    """

    __slots__ = ("_flag", "_task", "_runner", "_token", "_suspended", "shield")

    _task: Task
    _token: TrioToken

    def __init__(self, shield: bool = False) -> None:
        self._flag: List[None] = [None]
        self._task = trio.lowlevel.current_task()
        self._runner = _current_runner()
        self._token = current_trio_token()
        self._suspended = False
        self.shield = shield

    # -- the waking side (any thread) --------------------------------------------

    def wake(self) -> None:
        """Resume the waiting task; callable from any thread, any number of
        times (only the first call counts, and none after the wait gave up)."""
        try:
            self._flag.pop()
        except IndexError:  # woken already, or the wait gave up
            return
        # A signal handler or finalizer that enabled signal safety may have
        # interrupted trio's own code in a task step: it goes through the
        # token like any other thread.
        if _same_run(self._runner) and not signal_safety_enabled():
            if self._suspended:
                self._suspended = False
                reschedule(self._task)
        else:
            try:
                self._token.run_sync_soon(self._deliver)
            except _RunFinishedError:  # the run is over: nobody waits
                pass

    def _deliver(self) -> None:
        # Runs in the run's thread, between task steps.
        if self._suspended:
            self._suspended = False
            reschedule(self._task)

    # -- the waiting side (the task's own thread) --------------------------------

    def _abort(self, raise_cancel: Any) -> Abort:
        if not self._flag:  # woken: the waker reschedules us (or has already)
            return Abort.FAILED
        self._suspended = False
        return Abort.SUCCEEDED

    def _give_up(self) -> bool:
        """Refuse later wake-ups; False if a wake-up came first."""
        try:
            self._flag.pop()
        except IndexError:
            return False
        return True

    async def _park(self) -> None:
        if self._flag:
            self._suspended = True
            try:
                await wait_task_rescheduled(self._abort)
            finally:
                self._suspended = False

    def __await__(self) -> Generator[Any, Any, bool]:
        return self.with_().__await__()

    async def with_(self, timeout: Optional[float] = None) -> bool:
        """Wait until woken (True) or until `timeout` seconds have passed
        (False, never early); the library's cancellation passes through
        unless the waiter is shielded."""
        if not self._flag:  # woken before the wait: still one schedule point
            await cancel_shielded_checkpoint()
            return True
        if self.shield:
            with _CancelScope(shield=True):
                try:
                    await self._park()
                except BaseException:  # KeyboardInterrupt: not shielded
                    self._give_up()
                    raise
            # Deliver a cancellation that arrived meanwhile.
            await checkpoint_if_cancelled()
            return True
        if timeout is None:
            try:
                await self._park()
            except BaseException:
                self._give_up()
                raise
            return True
        if timeout <= 0:
            return not self._give_up()
        return await self._wait_timed(timeout)

    async def _wait_timed(self, timeout: float) -> bool:
        deadline = _monotonic() + timeout
        check_monotonic = _system_clock()
        while True:
            try:
                with _CancelScope(deadline=_current_time() + timeout):
                    await self._park()
                    return True  # woken (the flag is gone)
            except BaseException:
                self._give_up()
                raise
            # Our own deadline passed (the scope caught its cancellation).
            if not self._flag:  # a wake-up raced with the timeout: it wins
                return True
            if check_monotonic:
                # trio's clock is perf_counter(), which may run ahead of
                # time.monotonic() (Windows): never give up early.
                timeout = deadline - _monotonic()
                if timeout > 0:
                    continue
            return not self._give_up()


# -- the backend -------------------------------------------------------------------


class TrioBackend(Backend):
    """trio, and anyio running on trio."""

    name = "trio"
    kind = "async"
    root_module = "trio"
    distribution = "aiologic-trio"
    checkpoints_default = True
    priority = 30
    fast_current_task = staticmethod(_current_task)
    # trio.run() (and each guest-mode tick) sets sniffio.thread_local.name.
    sets_sniffio_marker = True

    def running(self) -> bool:
        # Cheap: the core probes trio first, on hot paths of other async
        # libraries too (where sniffio's marker is not set).
        if _context is not None:
            return "task" in _context.__dict__
        return _current_task() is not None  # pragma: no cover

    def current_task(self) -> Task:
        return trio.lowlevel.current_task()

    def current_token(self) -> TrioToken:
        return current_trio_token()

    def runs_in_this_thread(self, number: int) -> bool:
        try:
            root = current_root_task()
        except RuntimeError:  # no trio run in this thread
            return False
        stack = [root] if root is not None else []
        while stack:
            task = stack.pop()
            if id(task) == number:
                return True
            for nursery in task.child_nurseries:
                stack.extend(nursery.child_tasks)
        return False

    def create_waiter(self, *, shield: bool = False) -> TrioWaiter:
        return TrioWaiter(shield)

    # trio's own coroutine functions, without a coroutine of ours around them.
    checkpoint = staticmethod(trio.lowlevel.checkpoint)
    checkpoint_before = staticmethod(checkpoint_if_cancelled)
    checkpoint_after = staticmethod(cancel_shielded_checkpoint)

    def clock(self) -> float:
        return _current_time()

    async def sleep(self, seconds: float) -> None:
        await trio.sleep(seconds)

    def shield(self, wrapped: Awaitable[Any]) -> Awaitable[Any]:
        return _shielded(wrapped)


async def _shielded(awaitable: Awaitable[Any]) -> Any:
    with _CancelScope(shield=True):
        result = await awaitable
    await checkpoint_if_cancelled()
    return result


backend = TrioBackend()
