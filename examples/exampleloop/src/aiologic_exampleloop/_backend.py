"""The aiologic backend for exampleloop: the worked example of
``docs/writing-a-backend.md``.

It uses only public names: `aiologic.backends.Backend` from aiologic, and
exampleloop's public API (`suspend`/`reschedule`, `call_soon_threadsafe`,
the checkpoints, `shielded`). The waiter follows the same plan as trio's:

* a one-element list `_flag` is the waiter's one-shot switch: the first
  `wake()` pops it (atomically, from any thread), and a wait that gives up
  (timeout) pops it first to refuse later wake-ups;
* `_suspended` is true only while the task is parked by this waiter; it is
  read and written in the loop's own thread only, so "reschedule the task
  now" is decided by exactly one party, once;
* a wake-up from the loop's thread reschedules at once; from anywhere else it
  posts `_deliver` with `call_soon_threadsafe` (one write to the loop's
  socketpair), which does the same inside the loop;
* the abort callback (cancellation) succeeds only while the flag is still
  there; after it has succeeded `_suspended` is false, so no waker resumes
  the task a second time.
"""

from __future__ import annotations

import math
import time
from typing import Any, Awaitable, Generator, List, Optional

import exampleloop
from exampleloop import (
    Loop,
    Task,
    cancel_shielded_checkpoint,
    checkpoint_if_cancelled,
    current_loop,
    current_task,
    reschedule,
    shielded,
    suspend,
)

from aiologic.backends import Backend

__all__ = ("ExampleloopBackend", "ExampleloopWaiter", "backend")

_monotonic = time.monotonic


class ExampleloopWaiter:
    """A one-shot waiter for the exampleloop task that made it."""

    __slots__ = ("_flag", "_task", "_loop", "_suspended", "_timer", "shield")

    def __init__(self, shield: bool = False) -> None:
        task, loop = current_task(), current_loop()
        if task is None or loop is None:
            raise RuntimeError("an exampleloop waiter must be made in an exampleloop task")
        self._flag: List[None] = [None]
        self._task: Task = task
        self._loop: Loop = loop
        self._suspended = False
        self._timer: Any = None
        self.shield = shield

    # -- the waking side (any thread) ------------------------------------------

    def wake(self) -> None:
        try:
            self._flag.pop()
        except IndexError:  # woken already, or the wait gave up
            return
        if current_task() is not None and current_loop() is self._loop:
            # a task of the loop, in its thread: schedule it locally
            self._deliver()
        else:
            try:
                self._loop.call_soon_threadsafe(self._deliver)
            except RuntimeError:  # the loop is closed: nobody waits
                pass

    def _deliver(self, value: bool = True) -> None:
        # In the loop's thread: resume the task if this waiter parked it.
        if current_task() is self._task:
            # Inside the waiting task's own step (a finalizer or a signal
            # handler interrupted it, perhaps before it parked): later.
            self._loop.call_soon(self._deliver, value)
        elif self._suspended:
            self._suspended = False
            reschedule(self._task, value)

    # -- the waiting side (the task's own thread) --------------------------------

    def _abort(self) -> bool:
        if not self._flag:  # woken: `_deliver` reschedules us (or already has)
            return False
        self._suspended = False
        return True

    def _give_up(self) -> bool:
        """Refuse later wake-ups; False if a wake-up came first."""
        try:
            self._flag.pop()
        except IndexError:
            return False
        return True

    def _expire(self, deadline: float) -> None:
        # A timer of the loop, in its thread. exampleloop's timers never
        # fire before their time on `time.monotonic()`; check anyway, since
        # that is what the interface promises.
        remaining = deadline - _monotonic()
        if remaining > 0:
            self._timer = self._loop.call_later(remaining, self._expire, deadline)
        elif self._give_up():
            self._deliver(False)

    async def _park(self) -> bool:
        if not self._flag:  # woken before the wait
            return True
        self._suspended = True
        try:
            return bool(await suspend(self._abort))
        finally:
            self._suspended = False

    def __await__(self) -> Generator[Any, Any, bool]:
        return self.with_().__await__()

    async def with_(self, timeout: Optional[float] = None) -> bool:
        if self.shield:
            with shielded():
                try:
                    await self._park()
                except BaseException:  # KeyboardInterrupt: not shielded
                    self._give_up()
                    raise
            await checkpoint_if_cancelled()  # a cancellation that came meanwhile
            return True
        if timeout is None or math.isinf(timeout):
            try:
                return await self._park()
            except BaseException:
                self._give_up()
                raise
        if timeout <= 0:
            return not self._give_up()
        self._timer = self._loop.call_later(timeout, self._expire, _monotonic() + timeout)
        try:
            return await self._park()
        except BaseException:
            self._give_up()
            raise
        finally:
            self._timer.cancel()


class ExampleloopBackend(Backend):
    """exampleloop, as aiologic sees it."""

    api_version = 1  # the interface version this backend was written for
    name = "exampleloop"
    kind = "async"
    root_module = "exampleloop"
    distribution = "aiologic-exampleloop"
    checkpoints_default = False
    priority = 15
    # Cheap, never raises, None outside a task: a thread-local read.
    fast_current_task = staticmethod(current_task)

    def running(self) -> bool:
        return current_loop() is not None

    def current_task(self) -> Task:
        task = current_task()
        if task is None:
            raise RuntimeError("no exampleloop task is running")
        return task

    def current_token(self) -> Loop:
        loop = current_loop()
        if loop is None:
            raise RuntimeError("no exampleloop is running in this thread")
        return loop

    def runs_in_this_thread(self, number: int) -> bool:
        loop = current_loop()
        return loop is not None and any(id(task) == number for task in loop.all_tasks())

    def create_waiter(self, *, shield: bool = False) -> ExampleloopWaiter:
        return ExampleloopWaiter(shield)

    # exampleloop's own coroutine functions.
    checkpoint = staticmethod(exampleloop.checkpoint)
    checkpoint_before = staticmethod(checkpoint_if_cancelled)
    checkpoint_after = staticmethod(cancel_shielded_checkpoint)

    def clock(self) -> float:
        return exampleloop.current_time()

    async def sleep(self, seconds: float) -> None:
        await exampleloop.sleep(seconds)

    def shield(self, wrapped: Awaitable[Any]) -> Awaitable[Any]:
        return _shielded(wrapped)


async def _shielded(awaitable: Awaitable[Any]) -> Any:
    with shielded():
        result = await awaitable
    await checkpoint_if_cancelled()
    return result


backend = ExampleloopBackend()
