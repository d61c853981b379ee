"""Backend conformance tests: what every aiologic backend must do, checked
in every world.

Each test takes the `world` fixture (or `world_a` and `world_b`), so a
backend whose `World` is registered in the ``aiologic_testing.worlds``
entry-point group gets every test automatically. To run them, a test module
of the backend's repository needs one line::

    from aiologic_testing.conformance import *  # noqa: F401,F403

and ``pytest --aiologic-worlds=someio`` restricts them to that world (and the
cross-world pairs that involve it). Without a test file,
``pytest --pyargs aiologic_testing.conformance --aiologic-worlds=someio``
runs the module as it is installed.

The tests use public API only (`aiologic.lowlevel`'s low-level events,
waiters, identity and checkpoint functions, aiologic's primitives, and the
world's own operations), plus the backend object for its time and shielding
services. They check:

* timeouts are never early on `time.monotonic()`, and return False;
* a wake-up before the wait is not lost; wake-ups from another task, from a
  plain thread and from an event loop of another world in another thread
  arrive promptly (long before the timeout); a wake-up after the run ended
  is harmless;
* the wake-versus-cancel race: a wake-up that meets a timeout or a
  cancellation is either taken (the waiting side sees it) or refused
  (``set()`` returns False), never both and never neither; the race is
  forced with `aiologic_testing.races.pause_before_give_up` and in the
  same-thread and cross-thread orders; a cancellation that loses to a
  wake-up is still delivered; aiologic's lock and semaphore pass on what a
  cancelled waiter was handed;
* checkpoints: with checkpoints on, a pending cancellation is raised before
  the action (which then has no effect); a checkpoint lets other tasks run;
* shielding: a shielded wait ignores cancellation and timeout, and the
  cancellation comes after it.

Every test runs its world in a thread of its own and gives up after
`RUN_BOUND` seconds (and carries a ``timeout`` marker for pytest-timeout),
so a broken backend fails fast instead of hanging the run.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

import pytest

import aiologic
from aiologic.backends import get_backend
from aiologic.lowlevel import (
    async_checkpoint,
    async_checkpoint_if_cancelled,
    create_async_event,
    create_async_waiter,
    create_green_event,
    create_green_waiter,
    current_async_library,
    current_async_task,
    current_async_task_ident,
    current_async_token,
    current_green_library,
    current_green_task,
    current_green_task_ident,
    current_green_token,
    enable_checkpoints,
    green_checkpoint,
    green_checkpoint_if_cancelled,
)

from .races import GiveUpPause, pause_before_give_up
from .worlds import World, run_in_threads

# In the order they run (pytest collects the names of a star import in this order).
__all__ = (
    "test_identity",
    "test_timeouts_are_never_early",
    "test_outside_cancellation_of_a_timed_wait",
    "test_wake_before_the_wait_is_not_lost",
    "test_wake_from_another_task",
    "test_wake_from_a_plain_thread",
    "test_wake_from_another_world",
    "test_wake_after_the_run_ended_is_harmless",
    "test_timeout_in_the_give_up_window",
    "test_cancellation_in_the_give_up_window",
    "test_wake_in_the_same_thread_meets_cancellation",
    "test_wake_from_a_thread_meets_cancellation",
    "test_lock_hand_off_meets_cancellation",
    "test_permits_accounted_under_pressure",
    "test_cancellation_is_raised_before_the_action",
    "test_checkpoints_are_schedule_points",
    "test_shielded_wait",
    "test_backend_services",
)

#: A timeout that a correct backend never reaches: the wake-up it waits for
#: comes within milliseconds.
LONG = 10.0
#: A wake-up counts as prompt if it arrives within this many seconds.
PROMPT = LONG / 2
#: Slack for upper bounds on timeouts (lower bounds are strict).
SLACK = 2.0
#: How long a test's world may run before the test fails as hung.
RUN_BOUND = 15.0

#: pytest-timeout's marker: a hard bound above `RUN_BOUND` (a no-op where
#: pytest-timeout is not installed; the plugin registers the marker then).
_bounded = pytest.mark.timeout(RUN_BOUND + 5)

#: What a child task records when its wait was cancelled.
CANCELLED = "cancelled"


# -- running a world ----------------------------------------------------------


class _Background:
    """A world running a body in a thread of its own (so that a hung
    backend fails the test, and so that the test's thread can act on the
    world from outside, as the race tests do)."""

    def __init__(self, world: World, body: Callable[..., Any], *args: Any) -> None:
        self.world = world
        self._result: Any = None
        self._error: Optional[BaseException] = None

        def target() -> None:
            try:
                self._result = world.run(body, *args)
            except BaseException as exc:  # re-raised in the test's thread
                self._error = exc

        self.thread = threading.Thread(target=target, name=f"aiologic-conformance-{world.name}", daemon=True)
        self.thread.start()

    def done(self) -> bool:
        return not self.thread.is_alive()

    def result(self, timeout: float = RUN_BOUND) -> Any:
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise AssertionError(f"the {self.world.name} world did not finish in {timeout} s: a wait or a wake-up hangs")
        if self._error is not None:
            raise self._error
        return self._result


def _run(world: World, body: Callable[..., Any], *args: Any) -> Any:
    """Run `body(world, *args)` in `world`, bounded by `RUN_BOUND`."""
    return _Background(world, body, *args).result()


def _in_thread(function: Callable[[], Any]) -> Any:
    """Call `function` in a plain thread of its own; its result, or its
    exception re-raised here."""
    box: Dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = function()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(RUN_BOUND)
    assert not thread.is_alive(), "a call from a plain thread blocked"
    if "error" in box:
        raise box["error"]
    return box.get("result")


def _needs_cancel(world: World) -> None:
    if not world.can_cancel:
        pytest.skip(f"tasks of the {world.name} world cannot be cancelled")


def _needs_async(world: World) -> None:
    if not world.is_async:
        pytest.skip(f"the {world.name} world is green")


# -- the two faces of aiologic.lowlevel, by world -------------------------------


def _lowlevel_event(w: World, *, shield: bool = False, force: bool = False) -> Any:
    if w.is_async:
        return create_async_event(shield=shield, force=force)
    return create_green_event(shield=shield, force=force)


def _waiter(w: World, *, shield: bool = False) -> Any:
    """A waiter for the calling task (make it in the task that waits)."""
    return create_async_waiter(shield=shield) if w.is_async else create_green_waiter(shield=shield)


def _library(w: World) -> Optional[str]:
    return current_async_library() if w.is_async else current_green_library()


def _task(w: World) -> Any:
    return current_async_task() if w.is_async else current_green_task()


def _task_ident(w: World) -> Tuple[str, int]:
    return current_async_task_ident() if w.is_async else current_green_task_ident()


def _token(w: World) -> Any:
    return current_async_token() if w.is_async else current_green_token()


async def _checkpoint(w: World) -> None:
    if w.is_async:
        await async_checkpoint(force=True)
    else:
        green_checkpoint(force=True)


async def _checkpoint_if_cancelled(w: World) -> None:
    if w.is_async:
        await async_checkpoint_if_cancelled()
    else:
        green_checkpoint_if_cancelled()


async def _call(w: World, function: Callable[..., Any], *args: Any) -> Any:
    """Call a backend member: a coroutine function in async worlds."""
    result = function(*args)
    if w.is_async:
        result = await result
    return result


def _backend(w: World) -> Any:
    return get_backend(w.library)


class _Checkpoints:
    """`enable_checkpoints()` for the world's face: entered with `async
    with` in every world (a plain `with` underneath in green ones)."""

    def __init__(self, w: World) -> None:
        self._async = w.is_async
        self._setting = enable_checkpoints()

    async def __aenter__(self) -> None:
        if self._async:
            await self._setting.__aenter__()
        else:
            self._setting.__enter__()

    async def __aexit__(self, *exc_info: Any) -> None:
        if self._async:
            await self._setting.__aexit__(*exc_info)
        else:
            self._setting.__exit__(*exc_info)


# -- helpers for bodies -------------------------------------------------------------


async def _until(w: World, predicate: Callable[[], bool], what: str = "condition") -> None:
    deadline = time.monotonic() + LONG
    while not predicate():
        assert time.monotonic() < deadline, f"{what}: not reached in {LONG} s"
        await w.sleep(0.001)


async def _outcome(w: World, awaitable: Awaitable[Any]) -> Any:
    """The result of `awaitable`, or `CANCELLED` if the world's cancellation
    came out of it."""
    cancelled: Any = w.cancelled_exception() if w.can_cancel else ()
    try:
        return await awaitable
    except cancelled:
        return CANCELLED


async def _cancellation_not_lost(w: World) -> None:
    """After a wait that won against a cancellation, the cancellation must
    still come: at the task's next schedule point, or soon after."""
    start = time.monotonic()
    after = await _outcome(w, w.sleep(PROMPT))
    assert after == CANCELLED, "the cancellation was lost: the wait took the wake-up and swallowed it"
    assert time.monotonic() - start < PROMPT


def _check_decided(set_result: bool, event: Any, result: Any) -> None:
    """Exactly one side took the event's flag: the waker (``set()`` True,
    the waiting side sees the event set) or the waiting side's give-up
    (``set()`` False, the event cancelled). Never both, never neither."""
    assert isinstance(set_result, bool), f"set() returned {set_result!r}"
    assert event.is_set() is set_result, f"set() returned {set_result} but is_set() is {event.is_set()}"
    assert event.cancelled() is (not set_result), f"set() returned {set_result} but cancelled() is {event.cancelled()}"
    if result is True:
        assert set_result, "the wait returned True without a set() that took effect"
    elif result is False:
        assert not set_result, "the wait timed out although a set() took effect"


# -- timeouts --------------------------------------------------------------------


@_bounded
def test_timeouts_are_never_early(world: World) -> None:
    """A wait with a timeout returns False after at least that long on
    `time.monotonic()` (waiters, low-level events, a semaphore); a zero
    timeout returns at once."""

    async def body(w: World) -> None:
        for timeout in (0.001, 0.02, 0.05):
            for kind in ("waiter", "event"):
                item = _waiter(w) if kind == "waiter" else _lowlevel_event(w)
                start = time.monotonic()
                result = await w.wait(item, timeout)
                elapsed = time.monotonic() - start
                assert result is False, f"{kind} with timeout {timeout}: returned {result!r}"
                assert elapsed >= timeout, f"{kind}: timeout {timeout} s expired after {elapsed} s"
                assert elapsed < timeout + SLACK, f"{kind}: timeout {timeout} s expired after {elapsed} s"
                if kind == "event":
                    assert item.cancelled() and not item.is_set()
                    assert item.set() is False  # refused: the wait gave up
                else:
                    item.wake()  # after the timeout: harmless
        start = time.monotonic()
        assert await w.wait(_waiter(w), 0) is False
        event = _lowlevel_event(w)
        assert await w.wait(event, 0) is False and event.cancelled()
        assert time.monotonic() - start < SLACK
        semaphore = aiologic.Semaphore(0)
        start = time.monotonic()
        assert await w.acquire(semaphore, timeout=0.02) is False
        assert time.monotonic() - start >= 0.02
        assert semaphore.waiting == 0
        semaphore.release()
        assert semaphore.value == 1  # not swallowed by the waiter that gave up

    _run(world, body)


@_bounded
def test_outside_cancellation_of_a_timed_wait(world: World) -> None:
    """A wait with a long timeout is cancelled from outside: the
    cancellation comes out of it at once, and the waiter gives up (its event
    refuses later set()s, a semaphore keeps later permits)."""
    _needs_cancel(world)

    async def body(w: World) -> None:
        event = _lowlevel_event(w)
        start = time.monotonic()
        async with w.cancel_after(0.02) as scope:
            await w.wait(event, LONG)
        assert scope.cancelled, "the wait returned before the cancellation"
        assert time.monotonic() - start < PROMPT
        assert event.cancelled() and event.set() is False
        semaphore = aiologic.Semaphore(0)
        async with w.cancel_after(0.02) as scope:
            await w.acquire(semaphore, timeout=LONG)
        assert scope.cancelled and semaphore.waiting == 0
        semaphore.release()
        assert semaphore.value == 1

    _run(world, body)


# -- wake-up paths ---------------------------------------------------------------


@_bounded
def test_wake_before_the_wait_is_not_lost(world: World) -> None:
    """A wake-up (or set()) before the wait starts: the wait returns True at
    once, whatever its timeout; waking twice is harmless."""

    async def body(w: World) -> None:
        for timeout in (None, LONG, 0):
            waiter = _waiter(w)
            waiter.wake()
            waiter.wake()
            start = time.monotonic()
            assert await w.wait(waiter, timeout) is True, f"woken before a wait with timeout {timeout}"
            assert time.monotonic() - start < PROMPT
        waiter = _waiter(w)
        _in_thread(waiter.wake)  # from another thread, before the wait
        assert await w.wait(waiter, LONG) is True
        if w.is_async:
            waiter = _waiter(w)
            waiter.wake()
            assert await waiter is True  # `await waiter` is the wait without a timeout
        for timeout in (None, LONG, 0):
            event = _lowlevel_event(w)
            assert event.set() is True and event.set() is False
            start = time.monotonic()
            assert await w.wait(event, timeout) is True
            assert time.monotonic() - start < PROMPT
            assert event.is_set() and not event.cancelled()

    _run(world, body)


@_bounded
def test_wake_from_another_task(world: World) -> None:
    """Another task of the world (the same thread in async worlds) wakes the
    waiting one long before its timeout."""

    async def body(w: World) -> None:
        for kind in ("waiter", "event"):
            box: Dict[str, Any] = {}

            async def waiting(w: World) -> Tuple[bool, float]:
                box["item"] = _waiter(w) if kind == "waiter" else _lowlevel_event(w)
                start = time.monotonic()
                return await w.wait(box["item"], LONG), time.monotonic() - start

            handle = await w.spawn(waiting)
            await _until(w, lambda: "item" in box, "the waiting task started")
            await w.sleep(0.01)
            if kind == "waiter":
                box["item"].wake()
            else:
                assert box["item"].set() is True
            result, elapsed = await handle.join()
            assert result is True, f"{kind}: not woken by another task"
            assert elapsed < PROMPT

    _run(world, body)


@_bounded
def test_wake_from_a_plain_thread(world: World) -> None:
    """A wake-up from another OS thread goes through the library's
    thread-safe path: the task wakes promptly, with any timeout (huge ones
    too), and a lock a thread hands over reaches it."""

    async def body(w: World) -> None:
        # The core never gives a waiter a timeout above the backend's
        # `seconds_per_timeout` (it splits longer waits); events take any.
        longest = _backend(w).seconds_per_timeout
        for timeout in (None, LONG, 1e9, sys.float_info.max):
            for kind in ("waiter", "event"):
                item = _waiter(w) if kind == "waiter" else _lowlevel_event(w)
                given = timeout if timeout is None or kind == "event" else min(timeout, longest)
                results: List[Any] = []

                def wake(item: Any, kind: str, results: List[Any]) -> None:
                    time.sleep(0.02)  # the task is parked by then
                    results.append(item.wake() if kind == "waiter" else item.set())

                thread = threading.Thread(target=wake, args=(item, kind, results), daemon=True)
                thread.start()
                start = time.monotonic()
                result = await w.wait(item, given)
                elapsed = time.monotonic() - start
                thread.join(LONG)
                assert result is True, f"{kind} with timeout {given}: not woken from a thread"
                assert elapsed < PROMPT, f"{kind}: woken from a thread after {elapsed} s"
                assert results == [None if kind == "waiter" else True]
        lock = aiologic.Lock()
        held = threading.Event()

        def holder() -> None:
            lock.green_acquire()
            held.set()
            time.sleep(0.02)
            lock.green_release()  # hands the lock to the waiting task

        thread = threading.Thread(target=holder, daemon=True)
        thread.start()
        await _until(w, held.is_set, "the thread holds the lock")
        assert await w.acquire(lock, timeout=LONG) is True
        assert lock.owner == _task_ident(w)
        w.release(lock)
        thread.join(LONG)

    _run(world, body)


@_bounded
def test_wake_from_another_world(world_a: str, world_b: str) -> None:
    """A task of `world_a` is woken by one of `world_b`, each world running
    its own loop in its own thread: a low-level event, a waiter, and a lock
    handed over."""
    box: Dict[str, Any] = {name: threading.Event() for name in ("event", "waiter", "held")}
    lock = aiologic.Lock()

    async def waiting(w: World) -> None:
        for kind in ("event", "waiter"):
            box[kind + " item"] = item = _lowlevel_event(w) if kind == "event" else _waiter(w)
            box[kind].set()
            start = time.monotonic()
            assert await w.wait(item, LONG) is True, f"{kind}: not woken from {world_b}"
            assert time.monotonic() - start < PROMPT
        await _until(w, box["held"].is_set, f"{world_b} holds the lock")
        assert await w.acquire(lock, timeout=LONG) is True, f"the lock was not handed over by {world_b}"
        assert lock.owner == _task_ident(w)
        w.release(lock)

    async def waking(w: World) -> None:
        await _until(w, box["event"].is_set, f"{world_a} waits")
        await w.sleep(0.01)
        assert box["event item"].set() is True
        await _until(w, box["waiter"].is_set, f"{world_a} waits")
        await w.sleep(0.01)
        box["waiter item"].wake()
        await w.acquire(lock)
        box["held"].set()
        await _until(w, lambda: lock.waiting == 1, f"{world_a} waits for the lock")
        w.release(lock)

    run_in_threads((world_a, waiting), (world_b, waking), timeout=RUN_BOUND)
    assert not lock.locked() and lock.waiting == 0


@_bounded
def test_wake_after_the_run_ended_is_harmless(world: World) -> None:
    """Waking a waiter whose run has ended (its loop closed), from the same
    thread or another one, does nothing and raises nothing."""

    async def body(w: World) -> Tuple[Any, Any, Any]:
        idle = _waiter(w)
        timed_out = _waiter(w)
        assert await w.wait(timed_out, 0.001) is False
        event = _lowlevel_event(w)
        assert await w.wait(event, 0.001) is False
        return idle, timed_out, event

    idle, timed_out, event = _run(world, body)
    for waiter in (idle, timed_out):
        waiter.wake()
        _in_thread(waiter.wake)
    assert event.set() is False


# -- the wake-versus-cancel race ----------------------------------------------------


def _wait_paused(pause: GiveUpPause, running: _Background, box: Dict[str, Any]) -> None:
    """Wait until the wait on ``box["event"]`` is paused before its give-up."""
    deadline = time.monotonic() + LONG
    while not pause.paused.wait(0.01):
        if running.done():
            running.result()
            raise AssertionError("the wait ended without reaching its give-up (neither timed out nor cancelled)")
        assert time.monotonic() < deadline, "the wait did not end in time"
    assert pause.event is box["event"], "another wait was paused"


@_bounded
@pytest.mark.parametrize("handed", [True, False], ids=["set-in-window", "no-set"])
def test_timeout_in_the_give_up_window(world: World, handed: bool) -> None:
    """A wait times out; paused just before it gives up, it is handed a
    set() from another thread. The set() wins (True) and the wait returns
    True: a timeout that lost the race is a success. Without the set(), the
    wait returns False and later set()s are refused."""
    box: Dict[str, Any] = {}

    async def body(w: World) -> Tuple[Any, bool, bool]:
        box["event"] = event = _lowlevel_event(w)
        result = await w.wait(event, 0.01)
        return result, event.is_set(), event.cancelled()

    with pause_before_give_up() as pause:
        running = _Background(world, body)
        try:
            _wait_paused(pause, running, box)
            set_result = box["event"].set() if handed else False
        finally:
            pause.resume()
        result, is_set, cancelled = running.result()
    assert set_result is handed, "set() in the window, before the give-up, must win"
    assert (result, is_set, cancelled) == (handed, handed, not handed)
    assert box["event"].set() is False
    _check_decided(set_result, box["event"], result)


@_bounded
@pytest.mark.parametrize("handed", [True, False], ids=["set-in-window", "no-set"])
def test_cancellation_in_the_give_up_window(world: World, handed: bool) -> None:
    """A waiting task is cancelled; paused just before it gives up, it is
    handed a set() from another thread. The set() wins and the waiting side
    sees the event set (the cancellation still comes out of the wait: a
    primitive passes the hand-off on). Without the set(), the event is
    cancelled and refuses later set()s."""
    _needs_cancel(world)
    box: Dict[str, Any] = {}

    async def body(w: World) -> Tuple[Any, bool, bool]:
        box["event"] = event = _lowlevel_event(w)
        outcome: Dict[str, Any] = {}

        async def child(w: World) -> None:
            outcome["waiting"] = True
            outcome["result"] = await _outcome(w, w.wait(event, LONG))

        handle = await w.spawn(child)
        await _until(w, lambda: "waiting" in outcome, "the child waits")
        await w.sleep(0.01)
        handle.cancel()
        await handle.join()
        return outcome["result"], event.is_set(), event.cancelled()

    with pause_before_give_up() as pause:
        running = _Background(world, body)
        try:
            _wait_paused(pause, running, box)
            set_result = box["event"].set() if handed else False
        finally:
            pause.resume()
        result, is_set, cancelled = running.result()
    assert set_result is handed, "set() in the window, before the give-up, must win"
    assert result == CANCELLED, f"the cancelled wait gave {result!r}"
    assert (is_set, cancelled) == (handed, not handed)
    assert box["event"].set() is False
    _check_decided(set_result, box["event"], result)


async def _race_child(w: World, event: Any, outcome: Dict[str, Any]) -> None:
    outcome["waiting"] = True
    outcome["result"] = result = await _outcome(w, w.wait(event))
    if result is True:  # the wake-up won: the cancellation is pending
        await _cancellation_not_lost(w)


@_bounded
@pytest.mark.parametrize("order", ["set-then-cancel", "cancel-then-set"])
def test_wake_in_the_same_thread_meets_cancellation(world: World, order: str) -> None:
    """The waker and the canceller run in the waiting task's thread, one
    right after the other, before the waiting task runs again: the wait
    either returns True or raises the cancellation; the event's outcome
    agrees with set(); a cancellation that lost is delivered later."""
    _needs_cancel(world)

    async def body(w: World) -> None:
        for _ in range(5):
            event = _lowlevel_event(w)
            outcome: Dict[str, Any] = {}
            handle = await w.spawn(_race_child, event, outcome)
            await _until(w, lambda: "waiting" in outcome, "the child waits")
            await w.sleep(0.01)
            if order == "set-then-cancel":
                set_result = event.set()
                handle.cancel()
            else:
                handle.cancel()
                set_result = event.set()
            await handle.join()
            assert outcome["result"] in (True, CANCELLED), outcome
            _check_decided(set_result, event, outcome["result"])
        # the world still works
        event = _lowlevel_event(w)
        assert event.set() and await w.wait(event, LONG) is True

    _run(world, body)


@_bounded
@pytest.mark.parametrize("order", ["set-then-cancel", "cancel-then-set"])
def test_wake_from_a_thread_meets_cancellation(world: World, order: str) -> None:
    """The cross-thread path against a cancellation: a plain thread wakes
    the waiting task while the task's own thread is blocked (in
    `Thread.join()`), so the wake-up is in flight when the cancellation
    comes, or the cancellation came first. Low-level events and a
    semaphore: nothing is lost, nothing is taken twice."""
    _needs_cancel(world)

    async def body(w: World) -> None:
        for _ in range(5):
            event = _lowlevel_event(w)
            outcome: Dict[str, Any] = {}
            handle = await w.spawn(_race_child, event, outcome)
            await _until(w, lambda: "waiting" in outcome, "the child waits")
            await w.sleep(0.01)
            if order == "cancel-then-set":
                handle.cancel()
            set_result = _in_thread(event.set)  # blocks this thread meanwhile
            if order == "set-then-cancel":
                handle.cancel()
            await handle.join()
            assert outcome["result"] in (True, CANCELLED), outcome
            _check_decided(set_result, event, outcome["result"])
        for _ in range(5):
            semaphore = aiologic.Semaphore(0)
            results: List[Any] = []

            async def acquirer(w: World) -> None:
                results.append("waiting")
                result = await _outcome(w, w.acquire(semaphore))
                results.append(result)
                if result is True:
                    semaphore.release()  # used it: give it back

            handle = await w.spawn(acquirer)
            await _until(w, lambda: semaphore.waiting == 1, "the child waits")
            if order == "cancel-then-set":
                handle.cancel()
            _in_thread(semaphore.release)
            if order == "set-then-cancel":
                handle.cancel()
            await handle.join()
            assert results in (["waiting", True], ["waiting", CANCELLED]), results
            assert semaphore.value == 1 and semaphore.waiting == 0, "the permit was lost"

    _run(world, body)


@_bounded
@pytest.mark.parametrize("order", ["wake-then-cancel", "cancel-then-wake"])
def test_lock_hand_off_meets_cancellation(world: World, order: str) -> None:
    """A lock is released to waiter A (first in line), which is cancelled
    before it runs (or just before the release). A either gets the lock
    (and releases it) or passes it on: B gets the lock either way."""
    _needs_cancel(world)

    async def body(w: World) -> None:
        lock = aiologic.Lock()
        await w.acquire(lock)
        results: Dict[str, Any] = {}

        async def a(w: World) -> None:
            results["a"] = result = await _outcome(w, w.acquire(lock))
            if result is True:
                w.release(lock)

        async def b(w: World) -> None:
            results["b"] = await w.acquire(lock, timeout=LONG)
            results["b owner"] = lock.owner == _task_ident(w)
            w.release(lock)

        handle_a = await w.spawn(a)
        await _until(w, lambda: lock.waiting == 1, "A waits")
        handle_b = await w.spawn(b)
        await _until(w, lambda: lock.waiting == 2, "B waits")
        if order == "wake-then-cancel":
            w.release(lock)
            handle_a.cancel()
        else:
            handle_a.cancel()
            w.release(lock)
        await handle_a.join()
        await handle_b.join()
        assert results["a"] in (True, CANCELLED), results
        assert results["b"] is True and results["b owner"], results
        assert not lock.locked() and lock.waiting == 0 and lock.owner is None

    _run(world, body)


@_bounded
def test_permits_accounted_under_pressure(world: World) -> None:
    """A plain thread releases permits while tasks of the world acquire with
    random timeouts and cancellations, with threads switching as often as
    CPython allows: every permit ends up taken or available."""
    rng = random.Random(7)
    permits = 200
    kinds: List[Any] = [0.0, 0.0001, 0.001, None] + (["cancel"] if world.can_cancel else [])
    plans = [rng.choice(kinds) for _ in range(300 if world.is_async else 60)]
    semaphore = aiologic.Semaphore(0)
    taken: List[int] = []
    started = threading.Event()

    async def acquirers(w: World) -> None:
        async def one(w: World, plan: Any) -> None:
            if plan == "cancel":

                async def acquire(w: World) -> Any:
                    return await _outcome(w, w.acquire(semaphore))

                handle = await w.spawn(acquire)
                await w.sleep(0)
                handle.cancel()
                ok = await _outcome(w, handle.join())  # cancelled before it ran: not taken
            else:
                ok = await w.acquire(semaphore, timeout=0.05 if plan is None else plan)
            if ok is True:
                taken.append(1)

        started.set()
        handles = [await w.spawn(one, plan) for plan in plans]
        for handle in handles:
            await handle.join()

    async def releaser(w: World) -> None:
        assert started.wait(LONG)
        for _ in range(permits):
            semaphore.release()
            if rng.random() < 0.3:
                await w.sleep(0)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        run_in_threads((world.name, acquirers), ("threading", releaser), timeout=RUN_BOUND)
    finally:
        sys.setswitchinterval(old)
    assert semaphore.waiting == 0
    assert len(taken) + semaphore.value == permits, f"{len(taken)} taken + {semaphore.value} left != {permits}"


# -- checkpoints --------------------------------------------------------------------


@_bounded
def test_cancellation_is_raised_before_the_action(world: World) -> None:
    """With checkpoints on, a task whose cancellation is pending (it
    cancelled itself and runs on) gets it from `async_checkpoint_if_cancelled`
    (the backend's `checkpoint_before`) and from every blocking call, which
    then has no effect; the backend's `checkpoint_after` never raises it."""
    _needs_async(world)
    _needs_cancel(world)

    async def body(w: World) -> None:
        backend = _backend(w)
        for action in ("checkpoint_if_cancelled", "checkpoint", "halves", "lock", "semaphore", "event", "lowlevel"):
            lock = aiologic.Lock()
            semaphore = aiologic.Semaphore(1)
            event = aiologic.Event()
            event.set()
            lowlevel = _lowlevel_event(w)
            lowlevel.set()
            box: Dict[str, Any] = {}

            async def child(w: World) -> str:
                await _until(w, lambda: "handle" in box, "the handle is known")
                async with _Checkpoints(w):
                    box["handle"].cancel()  # pending: this task runs on
                    if action == "halves":
                        await backend.checkpoint_after()  # must not raise
                        box["after"] = True
                    blocking: Dict[str, Callable[[], Awaitable[Any]]] = {
                        "checkpoint_if_cancelled": lambda: _checkpoint_if_cancelled(w),
                        "checkpoint": lambda: async_checkpoint(),
                        "halves": lambda: backend.checkpoint_before(),
                        "lock": lambda: w.acquire(lock),
                        "semaphore": lambda: w.acquire(semaphore),
                        "event": lambda: w.wait(event),
                        "lowlevel": lambda: w.wait(lowlevel),
                    }
                    return str(await _outcome(w, blocking[action]()))

            box["handle"] = await w.spawn(child)
            result = await box["handle"].join()
            assert result == CANCELLED, f"{action}: the pending cancellation was not raised ({result})"
            if action == "halves":
                assert box.get("after"), "checkpoint_after() raised the cancellation"
            assert not lock.locked() and semaphore.value == 1, f"{action}: the cancelled call had an effect"

    _run(world, body)


@_bounded
def test_checkpoints_are_schedule_points(world: World) -> None:
    """`async_checkpoint()` (the backend's `checkpoint`) and the two halves
    `checkpoint_before` + `checkpoint_after` let the other tasks of the
    scheduler run: two tasks that loop over checkpoints interleave."""

    async def body(w: World) -> Optional[str]:
        backend = _backend(w)
        parent_token = _token(w)

        async def token(w: World) -> Any:
            return _token(w)

        handle = await w.spawn(token)
        if await handle.join() != parent_token:
            return "spawned tasks do not share the scheduler of their parent (threads): nothing to interleave"
        for kind in ("checkpoint", "halves"):
            log: List[str] = []

            async def loop(w: World, name: str) -> None:
                for _ in range(10):
                    log.append(name)
                    if kind == "checkpoint":
                        await _checkpoint(w)
                    else:
                        await _call(w, backend.checkpoint_before)
                        await _call(w, backend.checkpoint_after)

            handles = [await w.spawn(loop, "a"), await w.spawn(loop, "b")]
            for handle in handles:
                await handle.join()
            for end in range(len(log) + 1):
                gap = log[:end].count("a") - log[:end].count("b")
                assert abs(gap) <= 2, f"{kind}: the tasks did not interleave: {''.join(log)}"
        return None

    reason = _run(world, body)
    if reason is not None:
        pytest.skip(reason)


# -- shielding --------------------------------------------------------------------


@_bounded
def test_shielded_wait(world: World) -> None:
    """A shielded wait ignores its timeout; cancelled, it goes on waiting
    until woken, then the cancellation comes out of it (waiters and
    low-level events; the event is then set: a primitive passes the hand-off
    on)."""

    async def body(w: World) -> None:
        waiter = _waiter(w, shield=True)
        start = time.monotonic()
        timer = threading.Timer(0.05, waiter.wake)
        timer.start()
        assert await w.wait(waiter, 0.001) is True, "a shielded waiter timed out"
        assert time.monotonic() - start >= 0.04, "a shielded waiter returned before its wake-up"
        timer.join()
        if not w.can_cancel:
            return
        for kind in ("waiter", "event"):
            box: Dict[str, Any] = {}

            async def child(w: World) -> None:
                box["item"] = item = _waiter(w, shield=True) if kind == "waiter" else _lowlevel_event(w, shield=True)
                result = await _outcome(w, w.wait(item, 0.001 if kind == "waiter" else None))
                box["result"] = result, time.monotonic()

            handle = await w.spawn(child)
            await _until(w, lambda: "item" in box, "the child waits")
            await w.sleep(0.01)
            handle.cancel()
            await w.sleep(0.05)
            assert "result" not in box, f"{kind}: the shielded wait ended early with {box.get('result')}"
            woken_at = time.monotonic()
            if kind == "waiter":
                box["item"].wake()
            else:
                assert box["item"].set() is True
            await handle.join()
            result, ended_at = box["result"]
            assert result == CANCELLED, f"{kind}: the cancellation was not delivered after the shielded wait"
            assert ended_at >= woken_at
            if kind == "event":
                assert box["item"].is_set()

    _run(world, body)


# -- identity and backend services ------------------------------------------------------


@_bounded
def test_identity(world: World) -> None:
    """The library is detected as the world's; a task's identity is its
    backend's, stable across suspensions, distinct from another task's, and
    owns what it acquires. Outside any run, an async backend is not running."""

    async def body(w: World) -> None:
        backend = _backend(w)
        assert _library(w) == w.library
        assert backend.name == w.library
        assert backend.kind == ("async" if w.is_async else "green")
        assert backend.running(), "running() is False inside the library"
        task = _task(w)
        assert backend.current_task() is task
        ident = _task_ident(w)
        assert ident == (w.library, backend.task_ident_number(task))
        if backend.fast_current_task is not None:
            assert backend.fast_current_task() is task
        if backend.fast_task_ident_number is not None:
            assert backend.fast_task_ident_number() == ident[1]
        _token(w)
        await w.sleep(0.001)
        assert _task(w) is task and _task_ident(w) == ident, "the task's identity changed across a suspension"

        async def child(w: World) -> Tuple[str, int]:
            return _task_ident(w)

        handle = await w.spawn(child)
        other = await handle.join()
        assert other[0] == w.library and other != ident
        lock = aiologic.Lock()
        async with w.hold(lock):
            assert lock.owner == ident and w.owned(lock)

    _run(world, body)
    if world.is_async:
        backend = get_backend(world.library)
        assert not backend.running(), "running() is True in a thread without a loop"
        if backend.fast_current_task is not None:
            assert backend.fast_current_task() is None
        with pytest.raises(Exception):
            backend.current_task()


@_bounded
def test_backend_services(world: World) -> None:
    """The backend's `sleep` is not early, its `clock` advances with it, and
    (async worlds that can cancel) its `shield` runs an awaitable to
    completion through a cancellation, then raises the cancellation."""

    async def body(w: World) -> None:
        backend = _backend(w)
        start = time.monotonic()
        before = backend.clock()
        await _call(w, backend.sleep, 0.02)
        elapsed = time.monotonic() - start
        advanced = backend.clock() - before
        assert elapsed >= 0.02 - 0.001, f"sleep(0.02) took {elapsed} s"
        assert 0.01 <= advanced <= elapsed + SLACK, f"clock() advanced {advanced} s during {elapsed} s"
        if not (w.is_async and w.can_cancel):
            return
        done: List[int] = []

        async def work() -> int:
            await w.sleep(0.05)
            done.append(1)
            return 42

        assert await backend.shield(work()) == 42
        box: Dict[str, Any] = {}

        async def child(w: World) -> Any:
            box["started"] = True
            return await _outcome(w, backend.shield(work()))

        done.clear()
        handle = await w.spawn(child)
        await _until(w, lambda: "started" in box, "the child runs")
        await w.sleep(0.01)
        handle.cancel()
        result = await handle.join()
        assert done == [1], "the shielded awaitable was interrupted"
        assert result == CANCELLED, f"shield() returned {result!r} instead of raising the cancellation"

    _run(world, body)
