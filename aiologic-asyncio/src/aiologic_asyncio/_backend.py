"""The asyncio backend: waiters on futures of the running loop."""

from __future__ import annotations

import asyncio
import sys
import time
import types
from asyncio import CancelledError, get_running_loop
from asyncio.events import _get_running_loop
from typing import Any, Awaitable, Generator, Optional

from aiologic.lowlevel import Backend

__all__ = ("AsyncioBackend", "AsyncioWaiter", "backend")

_monotonic = time.monotonic


@types.coroutine
def _awaitable(generator: Generator[Any, Any, bool]) -> Generator[Any, Any, bool]:
    return (yield from generator)


def _resolve(future: "asyncio.Future[bool]", value: bool) -> None:
    if not future.done():
        future.set_result(value)


class AsyncioWaiter:
    """A waiter on a future of the loop of the task that made it.

    A wake-up from inside that loop resolves the future at once; from any
    other thread (or loop) it goes through `call_soon_threadsafe`, which
    writes one byte to the loop's self-pipe.
    """

    __slots__ = ("_loop", "_future", "_timer", "shield")

    def __init__(self, shield: bool = False) -> None:
        self._loop = loop = get_running_loop()
        self._future = loop.create_future()
        self._timer: Optional[asyncio.TimerHandle] = None
        self.shield = shield

    def wake(self) -> None:
        future = self._future
        if future.done():
            return
        loop = self._loop
        if _get_running_loop() is loop:
            future.set_result(True)
        else:
            try:
                loop.call_soon_threadsafe(_resolve, future, True)
            except RuntimeError:  # the loop is closed: nobody is waiting
                pass

    def __await__(self) -> Generator[Any, Any, bool]:
        return self._wait(None)

    async def with_(self, timeout: Optional[float] = None) -> bool:
        return await _awaitable(self._wait(timeout))

    def _wait(self, timeout: Optional[float]) -> Generator[Any, Any, bool]:
        future = self._future
        if self.shield:
            return (yield from self._wait_shielded())
        if timeout is None:
            return bool((yield from future))
        if timeout <= 0:
            return future.done() and bool(future.result())
        self._arm(_monotonic() + timeout, timeout)
        try:
            return bool((yield from future))
        finally:
            timer = self._timer
            if timer is not None:
                timer.cancel()

    def _arm(self, deadline: float, delay: float) -> None:
        self._timer = self._loop.call_later(delay, self._expire, deadline)

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


# The current task, or None outside a task: the core's hot paths call this.
# Up to 3.13, asyncio keeps running tasks in a C-level dict keyed by loop,
# read here with two C calls and no exception outside a loop.
if sys.version_info < (3, 14) and hasattr(asyncio.tasks, "_current_tasks"):
    _tasks_registry = asyncio.tasks._current_tasks

    def _current_task() -> "Optional[asyncio.Task[Any]]":
        task: "Optional[asyncio.Task[Any]]" = _tasks_registry.get(_get_running_loop())
        return task

else:

    def _current_task() -> "Optional[asyncio.Task[Any]]":
        loop = _get_running_loop()
        return None if loop is None else asyncio.current_task(loop)


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
        return _get_running_loop() is not None

    def current_task(self) -> "asyncio.Task[Any]":
        task: "Optional[asyncio.Task[Any]]" = _current_task()
        if task is None:
            raise RuntimeError("no asyncio task is running")
        return task

    def runs_in_this_thread(self, number: int) -> bool:
        loop = _get_running_loop()
        return loop is not None and any(id(task) == number for task in asyncio.all_tasks(loop))

    def current_token(self) -> asyncio.AbstractEventLoop:
        return get_running_loop()

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
        return get_running_loop().time()

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
