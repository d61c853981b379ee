"""curio sharing Lock, Semaphore and Event with a plain thread, an asyncio
loop and a trio run, each in a thread of its own, all at once (the pairs are
in test_cross_world.py, over every ordered pair of worlds), and curio's own
timeouts meeting wake-ups that come from the other loops."""

from __future__ import annotations

import functools
import random
import sys
import threading
import time
from typing import Any, Dict, List

import pytest

pytest.importorskip("curio")
pytest.importorskip("aiologic_curio")
pytest.importorskip("trio")
pytest.importorskip("aiologic_trio")

import aiologic  # noqa: E402
from worlds import run_in_threads  # noqa: E402

ALL = ("curio", "asyncio", "trio", "threading")


async def wait_until(w: Any, predicate: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await w.sleep(0.001)


def test_lock_shared_by_four_worlds_at_once():
    lock = aiologic.Lock()
    state = {"inside": 0, "count": 0}
    owners: List[Any] = []

    async def contenders(w: Any) -> None:
        async def contender(w: Any) -> None:
            for _ in range(15):
                async with w.hold(lock):
                    state["inside"] += 1
                    assert state["inside"] == 1, "two holders at once"
                    assert w.owned(lock) and lock.owner[0] == w.library
                    owners.append(lock.owner)
                    await w.sleep(0)
                    state["inside"] -= 1
                    state["count"] += 1

        handles = [await w.spawn(contender) for _ in range(2)]
        for handle in handles:
            await handle.join()

    run_in_threads(*[(name, contenders) for name in ALL])
    assert state == {"inside": 0, "count": 4 * 2 * 15}
    assert {owner[0] for owner in owners} == {"curio", "asyncio", "trio", "threading"}
    assert not lock.locked() and lock.waiting == 0


def test_semaphore_shared_by_four_worlds_at_once():
    semaphore = aiologic.BoundedSemaphore(2)
    state = {"inside": 0, "peak": 0, "count": 0}
    books = threading.Lock()

    async def users(w: Any) -> None:
        async def user(w: Any) -> None:
            for _ in range(10):
                async with w.hold(semaphore):
                    with books:
                        state["inside"] += 1
                        state["peak"] = max(state["peak"], state["inside"])
                        assert state["inside"] <= 2, "more holders than permits"
                    await w.sleep(0)
                    with books:
                        state["inside"] -= 1
                        state["count"] += 1

        handles = [await w.spawn(user) for _ in range(3)]
        for handle in handles:
            await handle.join()

    run_in_threads(*[(name, users) for name in ALL])
    assert state["count"] == 4 * 3 * 10 and state["inside"] == 0 and 1 <= state["peak"] <= 2
    assert semaphore.value == 2 and semaphore.waiting == 0


@pytest.mark.parametrize("setter", ALL)
def test_event_wakes_every_world(setter):
    """One `Event.set()` from `setter` wakes tasks of curio, asyncio and trio
    and plain threads, each world in its own thread."""
    event = aiologic.Event()
    waiting_per_world = {"curio": 20, "asyncio": 20, "trio": 20, "threading": 3}
    total = sum(waiting_per_world.values())

    async def waiters(w: Any) -> List[Any]:
        handles = [await w.spawn(lambda w: w.wait(event, 10)) for _ in range(waiting_per_world[w.name])]
        return [await handle.join() for handle in handles]

    async def set_when_all_wait(w: Any) -> None:
        await wait_until(w, lambda: event.waiting == total)
        event.set()

    jobs = [(name, waiters) for name in ALL] + [(setter, set_when_all_wait)]
    results = run_in_threads(*jobs)
    for name, result in zip(ALL, results):
        assert result == [True] * waiting_per_world[name], name
    assert event.waiting == 0 and event.is_set()


@pytest.mark.parametrize("releaser", ["asyncio", "trio", "threading"])
def test_curio_timeouts_meet_releases_from_another_loop(releaser):
    """curio tasks acquire with curio's own timeouts (`ignore_after`,
    `timeout_after`) and with aiologic's, while tasks of another loop release
    permits: every permit ends up taken or available."""
    import curio

    rng = random.Random(1818)
    permits = 120
    semaphore = aiologic.Semaphore(0)
    taken: List[int] = []
    started = threading.Event()

    async def acquirers(w: Any) -> None:
        async def one(kind: int, seconds: float) -> None:
            ok: Any = None
            try:
                if kind == 0:
                    ok = await curio.ignore_after(seconds, semaphore.async_acquire())
                elif kind == 1:
                    ok = await curio.timeout_after(seconds, functools.partial(semaphore.async_acquire, timeout=10))
                else:
                    ok = await semaphore.async_acquire(timeout=seconds)
            except curio.TaskTimeout:
                pass
            if ok is True:
                taken.append(1)

        started.set()
        tasks = [await curio.spawn(one, rng.randrange(3), rng.choice([0.0001, 0.001, 0.005])) for _ in range(250)]
        for task in tasks:
            await task.join()

    async def releasing(w: Any) -> None:
        while not started.is_set():
            await w.sleep(0.001)
        for _ in range(permits):
            semaphore.release()
            if rng.random() < 0.3:
                await w.sleep(0)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        run_in_threads(("curio", acquirers), (releaser, releasing))
    finally:
        sys.setswitchinterval(old)
    assert semaphore.waiting == 0
    assert len(taken) + semaphore.value == permits


@pytest.mark.parametrize("holder", ["asyncio", "trio", "threading"])
def test_lock_handed_to_a_curio_task_that_curio_cancels(holder):
    """Another loop hands the lock to a curio task (A) whose `timeout_after`
    expires about then, again and again: A either owns the lock (and
    releases it) or raises TaskTimeout and passes the lock on; B (waiting
    behind A without a timeout) always gets it in the end."""
    import curio

    lock = aiologic.Lock()
    rounds = 30
    box: Dict[str, Any] = {"a": [], "b": 0}
    turn = [threading.Event() for _ in range(rounds)]
    done = [threading.Event() for _ in range(rounds)]

    async def curio_side(w: Any) -> None:
        for n in range(rounds):
            assert turn[n].wait(10)
            started: Dict[str, float] = {}

            async def a() -> None:
                try:
                    started["a"] = time.monotonic()
                    async with curio.timeout_after(0.03):
                        await lock.async_acquire()  # first in line
                except curio.TaskTimeout:
                    box["a"].append("timed out")
                else:
                    box["a"].append("owned")
                    lock.async_release()

            async def b() -> None:
                started["b"] = time.monotonic()
                await lock.async_acquire()  # behind A (or first, once A timed out)
                box["b"] += 1
                lock.async_release()

            task_a = await curio.spawn(a)
            await wait_until(w, lambda: "a" in started)
            task_b = await curio.spawn(b)
            await wait_until(w, lambda: "b" in started)
            box["a started"] = started["a"]
            done[n].set()
            await task_a.join()
            await task_b.join()

    async def holding(w: Any) -> None:
        for n in range(rounds):
            await w.acquire(lock)
            turn[n].set()
            assert done[n].wait(10)
            # Release before, about at, or after A's deadline.
            release_at = box["a started"] + 0.03 + 0.001 * (n % 12 - 6)
            await w.sleep(max(0.0, release_at - time.monotonic()))
            w.release(lock)
            while lock.locked() or lock.waiting:
                await w.sleep(0.001)

    run_in_threads(("curio", curio_side), (holder, holding))
    assert box["b"] == rounds, box
    assert len(box["a"]) == rounds and set(box["a"]) <= {"owned", "timed out"}
    assert not lock.locked() and lock.waiting == 0
