"""The asyncio backend: waiters on futures of the running loop."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from asyncio import CancelledError, InvalidStateError
from asyncio import events as _events  # looked up at each call: trio-asyncio replaces them
from collections import deque
from functools import partial
from typing import Any, Awaitable, Callable, Deque, Generator, List, Optional, Tuple

from aiologic.backends import Backend, at_batch_end
from aiologic.lowlevel import signal_safety_enabled

__all__ = ("AsyncioBackend", "AsyncioWaiter", "backend")

_monotonic = time.monotonic

# Wake-ups for one loop that come from outside its tasks: the futures to
# resolve, oldest first, and a one-element list whose element is there while
# no drain is scheduled. Whoever pops the element schedules the drain, so
# wake-ups that arrive together cost one `call_soon_threadsafe`, not one each.
# Only GIL-atomic operations touch them (deque append/popleft, list
# pop/append): no lock, which a signal handler could not take anyway.
_Wakeups = Tuple[Deque["asyncio.Future[bool]"], List[None]]


def _wakeups_of(loop: asyncio.AbstractEventLoop) -> _Wakeups:
    # Kept on the loop itself, so that it lives and dies with the loop.
    try:
        wakeups: _Wakeups = loop._aiologic_wakeups  # type: ignore[attr-defined]
    except AttributeError:
        wakeups = (deque(), [None])
        try:
            loop._aiologic_wakeups = wakeups  # type: ignore[attr-defined]
        except AttributeError:  # a loop that takes no attributes: no batching
            pass
    return wakeups


def _drain(pending: Deque["asyncio.Future[bool]"], idle: List[None]) -> None:
    # The element goes back first: a wake-up queued from now on schedules the
    # next drain, and every one queued before is already in `pending`.
    idle.append(None)
    popleft = pending.popleft
    for _ in range(len(pending)):
        future = popleft()
        if not future.done():  # not cancelled meanwhile, nor woken twice
            future.set_result(True)


def _schedule_drain(loop: asyncio.AbstractEventLoop, pending: Deque["asyncio.Future[bool]"], idle: List[None]) -> None:
    try:
        loop.call_soon_threadsafe(_drain, pending, idle)
    except RuntimeError:  # the loop is closed: nobody is waiting
        pending.clear()
        idle.append(None)


def _resolve(future: "asyncio.Future[bool]", value: bool) -> None:
    if not future.done():
        future.set_result(value)


class AsyncioWaiter:
    """A waiter on a future of the loop of the task that made it.

    A wake-up from a task of that loop resolves the future at once. Any other
    caller (another thread, and also a signal handler or a finalizer in the
    loop's thread, which may run after the loop decided how long to sleep)
    queues the future for the loop and, unless a drain is already scheduled,
    schedules one with `call_soon_threadsafe`, which wakes the loop's
    selector.
    """

    # No slot for the loop: the future knows it (`get_loop()`).
    __slots__ = ("_future", "_wakeups", "_timer", "shield")

    _timer: asyncio.TimerHandle

    def __init__(self, shield: bool = False) -> None:
        loop = asyncio.get_running_loop()
        self._future: "asyncio.Future[bool]" = loop.create_future()
        self._wakeups = _wakeups_of(loop)
        self.shield = shield

    def wake(self) -> None:
        """Resume the waiting task; callable from any thread, any number of
        times (only the first call counts, and none after the wait gave up)."""
        future = self._future
        if future.done():
            return
        pending, idle = self._wakeups
        # From a task of the loop, the loop looks at its ready queue before
        # it sleeps again; but wake-ups queued before this one go first. A
        # signal handler or finalizer that enabled signal safety may have
        # interrupted the loop's own code: it takes the thread-safe path.
        if not pending:
            loop = future.get_loop()
            if _events._get_running_loop() is loop and _task_of(loop) is not None and not signal_safety_enabled():
                try:
                    future.set_result(True)
                except InvalidStateError:  # a signal handler or finalizer woke it meanwhile
                    pass
                return
        pending.append(future)  # before the pop: a drain running now may take it
        if not idle:
            return  # a drain is scheduled and will find the future
        try:
            idle.pop()
        except IndexError:  # another thread took it meanwhile: same
            return
        schedule = partial(_schedule_drain, future.get_loop(), pending, idle)
        if not at_batch_end(schedule):  # a fan-out wakes the loop once, at its end
            schedule()

    def __await__(self) -> Generator[Any, Any, bool]:
        if self.shield:
            return self._wait_shielded()
        return self._future.__await__()

    async def with_(self, timeout: Optional[float] = None) -> bool:
        """Wait until woken (True) or until `timeout` seconds have passed
        (False, never early); the library's cancellation passes through
        unless the waiter is shielded."""
        if self.shield:
            return await self  # shielded: the timeout does not apply
        future = self._future
        if timeout is None:
            return await future
        if timeout <= 0:
            return future.done() and future.result()
        self._arm(_monotonic() + timeout, timeout)
        try:
            return await future
        finally:
            self._timer.cancel()

    def _arm(self, deadline: float, delay: float) -> None:
        self._timer = self._future.get_loop().call_later(delay, self._expire, deadline)

    def _expire(self, deadline: float) -> None:
        # The loop may run a timer slightly early (its clock resolution);
        # a timeout must never expire before `deadline` on time.monotonic().
        remaining = deadline - _monotonic()
        if remaining > 0:
            self._arm(deadline, remaining)
        else:
            _resolve(self._future, False)

    def _wait_shielded(self) -> Generator[Any, Any, bool]:
        future = self._future
        cancelled = None
        while not future.done():
            try:
                yield from asyncio.shield(future)
            except CancelledError as exc:
                if future.cancelled():
                    raise
                cancelled = exc
        if cancelled is not None:
            raise cancelled
        return True


# The current task, or None outside a task: the core's hot paths call this,
# and `_task_of(loop)` answers it for the running loop `loop`.
# Up to 3.13, asyncio keeps running tasks in a C-level dict keyed by loop,
# read here with two C calls and no exception outside a loop.
if sys.version_info < (3, 14) and hasattr(asyncio.tasks, "_current_tasks"):
    _tasks_registry = asyncio.tasks._current_tasks
    _task_of: Callable[[asyncio.AbstractEventLoop], "Optional[asyncio.Task[Any]]"] = _tasks_registry.get

    def _current_task() -> "Optional[asyncio.Task[Any]]":
        """The running task of this thread's running loop, or None (never raises)."""
        task: "Optional[asyncio.Task[Any]]" = _tasks_registry.get(_events._get_running_loop())
        return task

else:
    _task_of = asyncio.current_task

    def _current_task() -> "Optional[asyncio.Task[Any]]":
        """The running task of this thread's running loop, or None (never raises)."""
        loop = _events._get_running_loop()
        return None if loop is None else asyncio.current_task(loop)


if sys.version_info < (3, 12) and hasattr(asyncio.tasks, "_current_tasks"):
    # Before 3.12, `_get_running_loop()` makes a getpid() system call on
    # every call (so that a forked child does not take its parent's loop for
    # its own), the largest cost of an uncontended `async with lock`. So we
    # remember the last loop found running, and trust it while it says it
    # runs in the calling thread: `run_forever()` sets `_thread_id` before
    # it starts and clears it when it stops, and a thread runs one loop at a
    # time. Several threads running loops overwrite each other's entry,
    # which costs them the system call again, never a wrong answer. Only
    # loops built on `BaseEventLoop` say where they run; the others are not
    # remembered. The entry is a weak reference (a closed loop must not be
    # kept alive), and a forked child forgets it.
    from threading import get_ident as _thread_ident
    from weakref import ref as _weak

    class _NoLoop:
        _thread_id = None

    _NO_LOOP = _NoLoop()

    def _no_loop() -> Any:
        return _NO_LOOP

    _last_loop: Callable[[], Any] = _no_loop

    def _forget_last_loop() -> None:
        global _last_loop
        _last_loop = _no_loop

    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_forget_last_loop)

    def _current_task() -> "Optional[asyncio.Task[Any]]":
        """The running task of this thread's running loop, or None (never raises)."""
        global _last_loop
        loop = _last_loop()
        if loop is None or loop._thread_id != _thread_ident():
            loop = _events._get_running_loop()
            if isinstance(loop, asyncio.BaseEventLoop):
                _last_loop = _weak(loop)
        task: "Optional[asyncio.Task[Any]]" = _tasks_registry.get(loop)
        return task


class AsyncioBackend(Backend):
    """asyncio, uvloop and any other asyncio event loop."""

    name = "asyncio"
    kind = "async"
    root_module = "asyncio"
    distribution = "aiologic-asyncio"
    checkpoints_default = False
    priority = 10
    fast_current_task = staticmethod(_current_task)

    def running(self) -> bool:
        return _events._get_running_loop() is not None

    def current_task(self) -> "asyncio.Task[Any]":
        task: "Optional[asyncio.Task[Any]]" = _current_task()
        if task is None:
            raise RuntimeError("no asyncio task is running")
        return task

    def runs_in_this_thread(self, number: int) -> bool:
        loop = _events._get_running_loop()
        return loop is not None and any(id(task) == number for task in asyncio.all_tasks(loop))

    def current_token(self) -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    def create_waiter(self, *, shield: bool = False) -> AsyncioWaiter:
        return AsyncioWaiter(shield)

    async def checkpoint(self) -> None:
        await asyncio.sleep(0)

    async def checkpoint_before(self) -> None:
        # asyncio cannot ask whether the task is being cancelled without
        # switching, so the whole checkpoint happens here, before the action.
        await asyncio.sleep(0)

    async def checkpoint_after(self) -> None:
        pass

    def clock(self) -> float:
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def shield(self, wrapped: Awaitable[Any]) -> Awaitable[Any]:
        return _shielded(wrapped)


async def _shielded(awaitable: Awaitable[Any]) -> Any:
    future = asyncio.ensure_future(awaitable)
    cancelled = None
    while True:
        try:
            result = await asyncio.shield(future)
        except CancelledError as exc:
            if future.cancelled():
                raise
            cancelled = exc
            continue
        break
    if cancelled is not None:
        raise cancelled
    return result


backend = AsyncioBackend()
