"""exampleloop: a tiny event loop, written to show how a third-party loop
plugs into aiologic (see ``docs/writing-a-backend.md``). It knows nothing of
aiologic.

A task is a coroutine driven by the loop. It suspends only through
`suspend()` (park until someone calls `reschedule()`) or a schedule point
(`checkpoint()`, `cancel_shielded_checkpoint()`); `sleep()` and
`Task.join()` are built on `suspend()`. `Task.cancel()` asks for a
`Cancelled` exception at the task's suspension point: a parked task's abort
callback is called and, if it agrees, the task resumes with `Cancelled`; if it
refuses (the task is about to be rescheduled anyway) or the task is shielded
(`shielded()`), the request stays pending until its next suspension point.
A request is delivered once. `Loop.call_soon_threadsafe()` is the one way in
from other threads: it writes a byte to the loop's socketpair, which wakes
the selector. The loop never starts a thread.

    import exampleloop

    async def main():
        task = exampleloop.spawn(exampleloop.sleep, 0.1)
        await task.join()

    exampleloop.run(main)
"""

from __future__ import annotations

import heapq
import itertools
import math
import selectors
import socket
import threading
import time
import types
from collections import deque
from typing import Any, Callable, Coroutine, Deque, Generator, List, Optional, Set, Tuple

__all__ = (
    "Cancelled",
    "Loop",
    "Task",
    "TimerHandle",
    "cancel_shielded_checkpoint",
    "checkpoint",
    "checkpoint_if_cancelled",
    "current_loop",
    "current_task",
    "current_time",
    "reschedule",
    "run",
    "shielded",
    "sleep",
    "spawn",
    "suspend",
)

__version__ = "0.18.0.dev0"

_monotonic = time.monotonic
_MAX_SELECT = 3600.0  # longest single selector wait (epoll wants milliseconds in a C int)


class Cancelled(BaseException):
    """Raised at a task's suspension point after `Task.cancel()`."""


class _State(threading.local):
    loop: Optional["Loop"] = None
    task: Optional["Task"] = None


_state = _State()


def current_loop() -> Optional["Loop"]:
    """The loop running in this thread, or None."""
    return _state.loop


def current_task() -> Optional["Task"]:
    """The task running in this thread, or None (outside a task, also in the
    loop's own callbacks)."""
    return _state.task


def _require_task() -> "Task":
    task = _state.task
    if task is None:
        raise RuntimeError("must be called from an exampleloop task")
    return task


def _require_loop() -> "Loop":
    loop = _state.loop
    if loop is None:
        raise RuntimeError("no exampleloop is running in this thread")
    return loop


def current_time() -> float:
    """The loop's clock: `time.monotonic()`."""
    return _monotonic()


# -- tasks -----------------------------------------------------------------------

_READY, _RUNNING, _SUSPENDED, _DONE = "ready", "running", "suspended", "done"
_YIELD: Any = object()  # what a task yields for a schedule point
_SUSPEND: Any = object()  # ... and, with an abort callback, to park


@types.coroutine
def _trap(request: Any) -> Generator[Any, Any, Any]:
    return (yield request)


class Task:
    """A coroutine driven by a loop. Create tasks with `spawn()`."""

    __slots__ = (
        "_coro",
        "_loop",
        "_state",
        "_abort",
        "_cancel",
        "_shield",
        "_result",
        "_error",
        "_joiners",
        "name",
        "__weakref__",
    )

    def __init__(self, loop: "Loop", coro: Coroutine[Any, Any, Any], name: str) -> None:
        self._coro = coro
        self._loop = loop
        self._state = _READY
        self._abort: Optional[Callable[[], bool]] = None
        self._cancel = False  # a cancellation requested and not yet delivered
        self._shield = 0
        self._result: Any = None
        self._error: Optional[BaseException] = None
        self._joiners: List[Task] = []
        self.name = name

    def __repr__(self) -> str:
        return f"<exampleloop.Task {self.name} {self._state}>"

    @property
    def loop(self) -> "Loop":
        return self._loop

    def done(self) -> bool:
        return self._state is _DONE

    def result(self) -> Any:
        """The task's return value; re-raises the exception it ended with."""
        if self._state is not _DONE:
            raise RuntimeError("the task has not finished")
        if self._error is not None:
            raise self._error
        return self._result

    @property
    def cancel_requested(self) -> bool:
        """Whether a cancellation is pending (requested, not yet delivered)."""
        return self._cancel

    def cancel(self) -> None:
        """Request a `Cancelled` at the task's suspension point. Call it from
        the loop's thread (from elsewhere: ``loop.call_soon_threadsafe(task.cancel)``)."""
        self._loop._check_thread()
        if self._state is _DONE:
            return
        self._cancel = True
        if self._state is _SUSPENDED and not self._shield:
            self._try_abort()

    def uncancel(self) -> bool:
        """Withdraw a pending, undelivered cancellation; True if there was one."""
        pending, self._cancel = self._cancel, False
        return pending

    def _try_abort(self) -> None:
        abort = self._abort
        assert abort is not None
        if abort():
            self._cancel = False
            reschedule(self, error=Cancelled())

    async def join(self) -> Any:
        """Wait until the task finishes; its result, or its exception."""
        if self._state is not _DONE:
            me = _require_task()
            if me is self:
                raise RuntimeError("a task cannot join itself")
            self._joiners.append(me)

            def abort() -> bool:
                self._joiners.remove(me)
                return True

            await suspend(abort)
        return self.result()

    def _step(self, value: Any = None, error: Optional[BaseException] = None) -> None:
        self._state = _RUNNING
        self._abort = None
        _state.task = self
        try:
            if error is None:
                request = self._coro.send(value)
            else:
                request = self._coro.throw(error)
        except StopIteration as exc:
            self._finish(exc.value, None)
        except (KeyboardInterrupt, SystemExit) as exc:
            self._finish(None, exc)
            raise
        except BaseException as exc:
            self._finish(None, exc)
        else:
            if request is _YIELD:
                self._state = _READY
                self._loop._ready.append((self._step, ()))
            elif type(request) is tuple and len(request) == 2 and request[0] is _SUSPEND:
                self._state = _SUSPENDED
                self._abort = request[1]
                if self._cancel and not self._shield:
                    self._try_abort()
            else:
                message = f"an exampleloop task awaited {request!r}, which is not an exampleloop operation"
                self._state = _READY
                self._loop._ready.append((self._step, (None, RuntimeError(message))))
        finally:
            _state.task = None

    def _finish(self, result: Any, error: Optional[BaseException]) -> None:
        self._state = _DONE
        self._result, self._error = result, error
        self._loop._tasks.discard(self)
        joiners, self._joiners = self._joiners, []
        for joiner in joiners:
            reschedule(joiner)


async def suspend(abort_fn: Callable[[], bool]) -> Any:
    """Park the calling task until `reschedule()`; returns the value given
    there (or raises the error given there).

    `abort_fn()` is called in the loop's thread when the task is cancelled
    while parked (and not shielded), at once if a cancellation is already
    pending. It returns True if the task may resume with `Cancelled` now
    (then nobody may reschedule it), False if someone will reschedule it
    anyway (the cancellation then stays pending)."""
    return await _trap((_SUSPEND, abort_fn))


def reschedule(task: Task, value: Any = None, *, error: Optional[BaseException] = None) -> None:
    """Resume a parked task with `value` (or `error`) at its next turn. Only
    from the task's loop thread, and only once per `suspend()`."""
    loop = task._loop
    loop._check_thread()
    if task._state is not _SUSPENDED:
        raise RuntimeError(f"reschedule() of a task that is not suspended: {task!r}")
    task._state = _READY
    task._abort = None
    loop._ready.append((task._step, (value, error)))


async def checkpoint_if_cancelled() -> None:
    """Raise `Cancelled` if a cancellation is pending (not shielded); never
    switches."""
    task = _require_task()
    if task._cancel and not task._shield:
        task._cancel = False
        raise Cancelled()


async def cancel_shielded_checkpoint() -> None:
    """A schedule point that never raises `Cancelled`."""
    _require_task()
    await _trap(_YIELD)


async def checkpoint() -> None:
    """A schedule point and a cancel point."""
    await checkpoint_if_cancelled()
    await _trap(_YIELD)
    await checkpoint_if_cancelled()


class shielded:
    """``with shielded():`` holds back cancellation of the current task: a
    request made meanwhile stays pending until the next suspension point
    after the block."""

    __slots__ = ("_task",)

    def __enter__(self) -> None:
        self._task = _require_task()
        self._task._shield += 1

    def __exit__(self, *exc_info: object) -> None:
        self._task._shield -= 1


async def sleep(seconds: float) -> None:
    """Suspend the calling task for `seconds` (a checkpoint if <= 0)."""
    if math.isnan(seconds):
        raise ValueError("seconds must be non-NaN")
    task = _require_task()
    if seconds <= 0:
        await checkpoint()
        return
    handle = task._loop.call_later(seconds, reschedule, task)

    def abort() -> bool:
        handle.cancel()
        return True

    await suspend(abort)


def spawn(async_fn: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> Task:
    """Start ``async_fn(*args)`` as a new task of the running loop."""
    return _require_loop().spawn(async_fn, *args)


# -- the loop -----------------------------------------------------------------------


class TimerHandle:
    __slots__ = ("when", "_seq", "_callback", "_args", "cancelled")

    def __init__(self, when: float, seq: int, callback: Callable[..., Any], args: Tuple[Any, ...]) -> None:
        self.when, self._seq, self._callback, self._args = when, seq, callback, args
        self.cancelled = False

    def __lt__(self, other: "TimerHandle") -> bool:
        return (self.when, self._seq) < (other.when, other._seq)

    def cancel(self) -> None:
        self.cancelled = True

    def _run(self) -> None:
        if not self.cancelled:  # cancelled after it became due: still honored
            self._callback(*self._args)


class Loop:
    """One event loop; `run()` makes one per call, in the calling thread."""

    def __init__(self) -> None:
        self._ready: Deque[Tuple[Callable[..., Any], Tuple[Any, ...]]] = deque()
        self._timers: List[TimerHandle] = []
        self._seq = itertools.count()
        self._tasks: Set[Task] = set()
        self._thread = threading.get_ident()
        self._closed = False
        self._selector = selectors.DefaultSelector()
        self._rsock, self._wsock = socket.socketpair()
        self._rsock.setblocking(False)
        self._wsock.setblocking(False)
        self._selector.register(self._rsock, selectors.EVENT_READ)
        #: Loop iterations that waited in the selector (for tests: a loop
        #: waiting for another thread must not spin).
        self.selects = 0

    def _check_thread(self) -> None:
        if threading.get_ident() != self._thread:
            raise RuntimeError("exampleloop: this call must be made from the loop's thread")

    def time(self) -> float:
        return _monotonic()

    def all_tasks(self) -> Set[Task]:
        return set(self._tasks)

    def call_soon(self, callback: Callable[..., Any], *args: Any) -> None:
        self._check_thread()
        self._ready.append((callback, args))

    def call_soon_threadsafe(self, callback: Callable[..., Any], *args: Any) -> None:
        """Run ``callback(*args)`` in the loop's thread soon; callable from any
        thread (one write to the loop's socketpair). RuntimeError once the
        loop is closed."""
        if self._closed:
            raise RuntimeError("the exampleloop is closed")
        self._ready.append((callback, args))  # deque.append is atomic
        try:
            self._wsock.send(b"\0")
        except (BlockingIOError, InterruptedError):
            pass  # the buffer is full of wake-ups already
        except OSError as exc:  # closed meanwhile
            raise RuntimeError("the exampleloop is closed") from exc

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        """Run ``callback(*args)`` once `time.monotonic()` has reached `when`
        (never earlier)."""
        self._check_thread()
        handle = TimerHandle(when, next(self._seq), callback, args)
        heapq.heappush(self._timers, handle)
        return handle

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        return self.call_at(_monotonic() + delay, callback, *args)

    def spawn(self, async_fn: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> Task:
        self._check_thread()
        coro = async_fn(*args)
        if not isinstance(coro, types.CoroutineType):
            raise TypeError(f"spawn() needs an async function, got {async_fn!r}")
        task = Task(self, coro, getattr(async_fn, "__qualname__", repr(async_fn)))
        self._tasks.add(task)
        self._ready.append((task._step, ()))
        return task

    def _run_once(self) -> None:
        timers, ready = self._timers, self._ready
        while timers and timers[0].cancelled:
            heapq.heappop(timers)
        if ready:
            timeout: Optional[float] = 0.0
        elif timers:
            timeout = min(max(0.0, timers[0].when - _monotonic()), _MAX_SELECT)
        else:
            timeout = _MAX_SELECT
        if timeout:
            self.selects += 1
        if self._selector.select(timeout):
            try:
                while len(self._rsock.recv(4096)) == 4096:
                    pass
            except (BlockingIOError, InterruptedError):
                pass
        if timers:
            now = _monotonic()
            while timers and timers[0].when <= now:
                handle = heapq.heappop(timers)
                if not handle.cancelled:
                    ready.append((handle._run, ()))
            if len(timers) > 100 and sum(handle.cancelled for handle in timers) > len(timers) // 2:
                timers[:] = [handle for handle in timers if not handle.cancelled]
                heapq.heapify(timers)
        for _ in range(len(ready)):
            callback, args = ready.popleft()
            callback(*args)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._selector.close()
            self._rsock.close()
            self._wsock.close()


def run(async_fn: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> Any:
    """Run ``async_fn(*args)`` as the main task of a new loop in this thread
    and return its result (or raise its exception). Tasks still running when
    it ends are cancelled and waited for."""
    if _state.loop is not None:
        raise RuntimeError("exampleloop.run() cannot be nested")
    loop = Loop()
    _state.loop = loop
    try:
        main = loop.spawn(async_fn, *args)
        while not main.done():
            loop._run_once()
        for task in list(loop._tasks):
            task.cancel()
        while loop._tasks:
            loop._run_once()
    finally:
        _state.loop = None
        loop.close()
    return main.result()
