"""The wake-versus-cancel race: a hand-off that meets a cancellation or a
timeout is passed on, never lost."""

from __future__ import annotations

import asyncio
import random
import sys
import threading

import pytest

import aiologic
from worlds import run_in_threads


@pytest.fixture
def pressure():
    """Switch threads as often as CPython allows, to provoke races."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def test_woken_then_cancelled_passes_lock_on():
    # Deterministic: release() hands the lock to A and resolves its future,
    # then A is cancelled before it runs. A must pass the lock on to B.
    async def main():
        lock = aiologic.Lock()
        await lock.async_acquire()
        a = asyncio.ensure_future(lock.async_acquire())
        b = asyncio.ensure_future(lock.async_acquire())
        await asyncio.sleep(0.01)
        assert lock.waiting == 2
        lock.async_release()
        a.cancel()
        with pytest.raises(asyncio.CancelledError):
            await a
        assert await b is True
        assert lock.owner == ("asyncio", id(b))
        assert lock.waiting == 0

    asyncio.run(main())


def test_woken_then_cancelled_passes_permit_on():
    async def main():
        sem = aiologic.Semaphore(0)
        a = asyncio.ensure_future(sem.async_acquire())
        await asyncio.sleep(0.01)
        sem.release()
        a.cancel()
        with pytest.raises(asyncio.CancelledError):
            await a
        assert sem.value == 1 and sem.waiting == 0  # the permit came back

    asyncio.run(main())


def test_woken_then_timed_out_counts_as_success():
    # A timeout that fires after the hand-off: the call succeeds.
    lock = aiologic.Lock()
    lock.green_acquire()
    result = []
    thread = threading.Thread(target=lambda: result.append(lock.green_acquire(timeout=0.2)))
    thread.start()
    while lock.waiting != 1:
        pass
    lock.green_release()
    thread.join()
    assert result == [True]


@pytest.mark.stress
def test_semaphore_permits_accounted(pressure):
    """Threads release permits while asyncio tasks acquire with random
    timeouts and cancellations: every permit ends up taken or available."""
    sem = aiologic.Semaphore(0)
    permits = 400
    taken = []
    rng = random.Random(42)
    delays = [rng.choice([0.0, 0.0001, 0.001, None]) for _ in range(600)]

    async def acquirers(w):
        async def one(delay):
            try:
                if delay is None:
                    task = asyncio.ensure_future(sem.async_acquire())
                    await asyncio.sleep(0)
                    task.cancel()
                    ok = await task
                else:
                    ok = await sem.async_acquire(timeout=delay)
            except asyncio.CancelledError:
                return
            if ok:
                taken.append(1)

        await asyncio.gather(*(one(delay) for delay in delays))

    async def releaser(w):
        for _ in range(permits):
            sem.release()
            if rng.random() < 0.3:
                await w.sleep(0)

    run_in_threads(("asyncio", acquirers), ("threading", releaser))
    assert sem.waiting == 0
    assert len(taken) + sem.value == permits


@pytest.mark.stress
def test_lock_never_stuck(pressure):
    """Contenders in threads and in a loop, with short timeouts: mutual
    exclusion holds and the lock ends free."""
    lock = aiologic.Lock()
    state = {"inside": 0, "count": 0}

    async def contenders(w):
        async def one(w):
            for _ in range(100):
                if await w.acquire(lock, timeout=0.0005):
                    state["inside"] += 1
                    assert state["inside"] == 1
                    state["inside"] -= 1
                    state["count"] += 1
                    w.release(lock)

        handles = [await w.spawn(one) for _ in range(4)]
        for handle in handles:
            await handle.join()

    run_in_threads(("asyncio", contenders), ("threading", contenders), ("asyncio", contenders))
    assert not lock.locked() and lock.waiting == 0 and lock.owner is None
    assert state["inside"] == 0 and state["count"] > 0


# -- the race forced with aiologic_testing.races ------------------------------


def test_timed_out_thread_woken_in_the_window_takes_the_lock():
    from aiologic_testing.races import pause_before_give_up

    lock = aiologic.Lock()
    lock.green_acquire()
    result = []
    with pause_before_give_up() as pause:
        thread = threading.Thread(target=lambda: result.append(lock.green_acquire(timeout=0.01)))
        thread.start()
        assert pause.paused.wait(10)  # timed out, not yet given up
        lock.green_release()  # the hand-off wins the race
        assert lock.locked() and lock.owner == ("threading", thread.ident)
        pause.resume()
        thread.join(10)
    assert result == [True]  # a timeout that lost the race is a success
    assert lock.owner == ("threading", thread.ident) and lock.waiting == 0


def test_timed_out_thread_gives_up_first():
    from aiologic_testing.races import pause_before_give_up

    sem = aiologic.Semaphore(0)
    result = []
    with pause_before_give_up() as pause:
        thread = threading.Thread(target=lambda: result.append(sem.green_acquire(timeout=0.01)))
        thread.start()
        assert pause.paused.wait(10)
        pause.resume()
        thread.join(10)
    assert result == [False] and sem.waiting == 0
    sem.release()
    assert sem.value == 1  # the later permit is not swallowed by the gone waiter


@pytest.mark.parametrize("primitive", ["lock", "semaphore"])
def test_cancelled_task_woken_in_the_window_passes_it_on(primitive):
    """An asyncio task is cancelled; while it is paused before giving up, a
    plain thread hands it the lock (or a permit). The task must end
    cancelled and pass the hand-off to the next waiter."""
    from aiologic_testing.races import pause_before_give_up

    item = aiologic.Lock() if primitive == "lock" else aiologic.Semaphore(0)
    if primitive == "lock":
        item.green_acquire()
    outcome = {}
    ready = threading.Event()
    state = {}

    def loop_thread():
        async def main():
            loop = asyncio.get_running_loop()
            state["loop"] = loop
            first = asyncio.ensure_future(item.async_acquire())
            second = asyncio.ensure_future(item.async_acquire())
            state["first"], state["second"] = first, second
            while item.waiting < 2:
                await asyncio.sleep(0.001)
            ready.set()
            try:
                await first
            except asyncio.CancelledError:
                outcome["first"] = "cancelled"
            outcome["second"] = await asyncio.wait_for(second, 10)
            outcome["second_task"] = id(second)

        asyncio.run(main())

    with pause_before_give_up() as pause:
        thread = threading.Thread(target=loop_thread)
        thread.start()
        assert ready.wait(10)
        state["loop"].call_soon_threadsafe(state["first"].cancel)
        assert pause.paused.wait(10)  # the loop thread is held in the window
        if primitive == "lock":
            item.green_release()  # hands the lock to the cancelled task
        else:
            item.release()
        assert pause.event.is_set()  # the hand-off won
        pause.resume()
        thread.join(10)
    assert outcome["first"] == "cancelled" and outcome["second"] is True
    if primitive == "lock":
        assert item.owner == ("asyncio", outcome["second_task"])
    else:
        assert item.value == 0 and item.waiting == 0
