"""gevent and eventlet hubs under pressure: threads switching as often as
CPython allows, seeded random timeouts and kills, every world of one
process contending for one Lock or one Semaphore at once."""

from __future__ import annotations

import random
import sys
import threading
import time
from typing import Any, Dict, Iterator, List

import pytest

import aiologic
from aiologic_testing.worlds import World, available_worlds, run_in_threads

GREEN = [name for name in ("gevent", "eventlet") if name in available_worlds()]

pytestmark = [
    pytest.mark.stress,
    pytest.mark.skipif(not GREEN, reason="gevent and eventlet are not installed (no wheels here)"),
]


@pytest.fixture
def pressure() -> Iterator[None]:
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


async def _attempt(w: World, primitive: Any, plan: Any, use: Any) -> Any:
    """One acquire by `plan` (a timeout, or ``"kill"``: a child greenlet or
    task cancelled right after it starts waiting); whoever acquires runs
    ``await use(w)`` and releases. Returns True, False or "cancelled"."""

    async def take(w: World, timeout: Any) -> Any:
        if not await w.acquire(primitive, timeout=timeout):
            return False
        try:
            await use(w)
        finally:
            w.release(primitive)
        return True

    if plan != "kill":
        return await take(w, plan)

    async def child(w: World) -> Any:
        try:
            return await take(w, None)
        except w.cancelled_exception():
            return "cancelled"

    handle = await w.spawn(child)
    await w.sleep(0)
    handle.cancel()
    try:
        return await handle.join()
    except w.cancelled_exception():  # killed before it ran
        return "cancelled"


def test_lock_never_stuck(pressure: None) -> None:
    """Greenlets of every green hub, a plain thread and an asyncio loop
    contend for one lock with short timeouts and kills: never two holders,
    and the lock ends free with nobody waiting."""
    lock = aiologic.Lock()
    books = threading.Lock()
    state = {"inside": 0, "count": 0}

    async def contenders(w: World, seed: int) -> None:
        rng = random.Random(seed)
        cancellable = w.can_cancel

        async def inside(w: World) -> None:
            with books:
                state["inside"] += 1
                assert state["inside"] == 1, "two holders at once"
            try:
                await w.sleep(0)  # a kill may land here: the lock is still released after
            finally:
                with books:
                    state["inside"] -= 1
                    state["count"] += 1

        async def one(w: World) -> None:
            for _ in range(40):
                plan: Any = rng.choice([0.0005, 0.002, 0.05] + ["kill"] * cancellable)
                result = await _attempt(w, lock, plan, inside)
                assert result in (True, False, "cancelled"), result

        handles = [await w.spawn(one) for _ in range(3)]
        for handle in handles:
            await handle.join()

    jobs = [(name, contenders, index) for index, name in enumerate([*GREEN, "threading", "asyncio"])]
    run_in_threads(*jobs, timeout=60)
    assert state["inside"] == 0 and state["count"] > 0
    assert not lock.locked() and lock.waiting == 0 and lock.owner is None


@pytest.mark.parametrize("green", GREEN)
def test_permits_accounted_with_kills(green: str, pressure: None) -> None:
    """A plain thread and an asyncio loop release permits while greenlets
    acquire (and give back) with random timeouts and kills: in the end every
    permit is available again, none lost or doubled in a hand-off that met
    a timeout or a kill."""
    semaphore = aiologic.Semaphore(0)
    permits = 300
    taken: List[int] = []
    started = threading.Event()

    async def acquirers(w: World) -> None:
        rng = random.Random(11)

        async def use(w: World) -> None:
            taken.append(1)  # then released: it goes back

        async def one(w: World, plan: Any) -> None:
            await _attempt(w, semaphore, plan, use)

        started.set()
        plans = [rng.choice([0.0, 0.0005, 0.005, 0.05, "kill"]) for _ in range(400)]
        handles = [await w.spawn(one, plan) for plan in plans]
        for handle in handles:
            await handle.join()

    async def releaser(w: World, seed: int) -> None:
        rng = random.Random(seed)
        assert started.wait(10)
        deadline = time.monotonic() + 2
        while not semaphore.waiting and time.monotonic() < deadline:  # release while greenlets wait
            await w.sleep(0.0005)
        for _ in range(permits // 2):
            semaphore.release()
            if rng.random() < 0.3:
                await w.sleep(0)

    run_in_threads((green, acquirers), ("threading", releaser, 1), ("asyncio", releaser, 2), timeout=60)
    assert semaphore.waiting == 0
    assert semaphore.value == permits, f"{semaphore.value} permits left of {permits}"
