"""CapacityLimiter and RCapacityLimiter in every world, and shared by two."""

from __future__ import annotations

import asyncio
import copy
import gc
import pickle
import random
import threading
import time
import weakref

import pytest

import aiologic
from aiologic import CapacityLimiter, RCapacityLimiter
from aiologic.lowlevel import current_async_task_ident, current_green_task_ident
from aiologic.statistics import LimiterStatistics, WaiterInfo
from lock_family import PAIR_IDS, PAIRS, STRESS_WORLDS, pressure, wait_until  # noqa: F401  (pressure: a fixture)
from worlds import run_in_threads




def task_ident(w):
    return current_async_task_ident() if w.is_async else current_green_task_ident()


def borrowed(w, limiter):
    return limiter.async_borrowed() if w.is_async else limiter.green_borrowed()


def level(w, limiter):
    return limiter.async_count() if w.is_async else limiter.green_count()


async def borrower(w, limiter, acquired, done):
    await w.acquire(limiter)
    acquired.set()
    await w.wait(done, 10)
    w.release(limiter)


def test_construction_and_validation():
    assert CapacityLimiter().total_tokens == 1 and RCapacityLimiter().total_tokens == 1
    assert CapacityLimiter(total_tokens=3).available_tokens == 3
    assert isinstance(RCapacityLimiter(), CapacityLimiter)
    with pytest.raises(ValueError, match="total_tokens"):
        CapacityLimiter(-1)
    with pytest.raises(TypeError, match="total_tokens"):
        CapacityLimiter(1.5)
    limiter = CapacityLimiter(2)
    with pytest.raises(AttributeError):
        limiter.total_tokens = 3
    with pytest.raises(TypeError):
        limiter.borrowers[("x", 1)] = 1
    assert CapacityLimiter(True).total_tokens == 1


def test_basic(world):
    async def body(w):
        limiter = CapacityLimiter(2)
        assert not limiter and limiter.borrowed_tokens == 0 and not borrowed(w, limiter)
        assert await w.acquire(limiter) is True
        assert limiter and limiter.borrowed_tokens == 1 and limiter.available_tokens == 1
        assert dict(limiter.borrowers) == {task_ident(w): 1} and borrowed(w, limiter)
        for kwargs in ({}, {"blocking": False}, {"timeout": 0}):
            with pytest.raises(RuntimeError, match="already holding one of this capacity limiter's tokens"):
                await w.acquire(limiter, **kwargs)
        assert limiter.borrowed_tokens == 1
        w.release(limiter)
        assert limiter.borrowed_tokens == 0 and len(limiter.borrowers) == 0
        with pytest.raises(RuntimeError, match="not holding any of this capacity limiter's tokens"):
            w.release(limiter)
        assert limiter.available_tokens == 2
        async with w.hold(limiter) as bound:
            assert bound is limiter and borrowed(w, limiter)
        assert not limiter
        with pytest.raises(ValueError):
            await w.acquire(limiter, timeout=-1)
        with pytest.raises(TypeError):
            await w.acquire(limiter, timeout="1")

    world.run(body)


def test_zero_tokens(world):
    async def body(w):
        limiter = CapacityLimiter(0)
        assert await w.acquire(limiter, blocking=False) is False
        start = time.monotonic()
        assert await w.acquire(limiter, timeout=0.02) is False
        assert time.monotonic() - start >= 0.02
        assert limiter.waiting == 0 and limiter.borrowed_tokens == 0

    world.run(body)


def test_other_task_cannot_release(world):
    async def body(w):
        limiter = CapacityLimiter(1)
        acquired, done = aiologic.Event(), aiologic.Event()
        handle = await w.spawn(borrower, limiter, acquired, done)
        assert await w.wait(acquired, 10)
        with pytest.raises(RuntimeError, match="not holding any"):
            w.release(limiter)
        assert limiter.borrowed_tokens == 1 and len(limiter.borrowers) == 1
        assert await w.acquire(limiter, blocking=False) is False
        start = time.monotonic()
        assert await w.acquire(limiter, timeout=0.05) is False
        assert time.monotonic() - start >= 0.05
        assert limiter.waiting == 0
        done.set()
        await handle.join()
        assert limiter.borrowed_tokens == 0 and not limiter.borrowers

    world.run(body)


def test_fifo_and_handoff(world):
    async def waiter(w, limiter, order, index):
        await w.acquire(limiter)
        order.append(index)
        w.release(limiter)

    async def body(w):
        limiter = CapacityLimiter(1)
        order = []
        await w.acquire(limiter)
        handles = []
        for index in range(4):
            handles.append(await w.spawn(waiter, limiter, order, index))
            await wait_until(w, lambda: limiter.waiting == index + 1)
        w.release(limiter)
        # the token went to the oldest waiter inside release()
        assert limiter.borrowed_tokens == 1 and limiter.available_tokens == 0 and not borrowed(w, limiter)
        assert limiter.waiting == 3
        for handle in handles:
            await handle.join()
        assert order == list(range(4))
        assert limiter.available_tokens == 1 and not limiter.borrowers

    world.run(body)


def test_cancel_waiter(world):
    if not world.can_cancel:
        pytest.skip("threads cannot be cancelled")

    async def body(w):
        limiter = RCapacityLimiter(1)
        acquired, done = aiologic.Event(), aiologic.Event()
        handle = await w.spawn(borrower, limiter, acquired, done)
        await w.wait(acquired, 10)
        async with w.cancel_after(0.05) as scope:
            await w.acquire(limiter, count=2)
        assert scope.cancelled and limiter.waiting == 0
        done.set()
        await handle.join()
        assert limiter.available_tokens == 1 and not limiter.borrowers
        assert await w.acquire(limiter, blocking=False)
        w.release(limiter)

    world.run(body)


def test_reentrant(world):
    async def body(w):
        limiter = RCapacityLimiter(1)
        assert level(w, limiter) == 0
        assert await w.acquire(limiter) is True
        assert await w.acquire(limiter) is True
        assert await w.acquire(limiter, count=3) is True
        assert await w.acquire(limiter, blocking=False) is True
        assert limiter.borrowed_tokens == 1 and level(w, limiter) == 6
        assert dict(limiter.borrowers) == {task_ident(w): 6}
        for bad in (0, -2):
            with pytest.raises(ValueError, match="count must be >= 1"):
                await w.acquire(limiter, count=bad)
            with pytest.raises(ValueError, match="count must be >= 1"):
                w.release(limiter, bad)
        with pytest.raises(RuntimeError, match="capacity limiter released too many times"):
            w.release(limiter, 7)
        assert level(w, limiter) == 6
        w.release(limiter, 5)
        assert borrowed(w, limiter) and limiter.borrowed_tokens == 1
        async with w.hold(limiter):
            assert level(w, limiter) == 2
        w.release(limiter)
        assert not borrowed(w, limiter) and limiter.borrowed_tokens == 0 and level(w, limiter) == 0
        with pytest.raises(RuntimeError, match="not holding any"):
            w.release(limiter)

    world.run(body)


def test_reentrant_holder_keeps_others_out(world):
    async def body(w):
        limiter = RCapacityLimiter(1)
        acquired, done = aiologic.Event(), aiologic.Event()
        handle = await w.spawn(borrower, limiter, acquired, done)
        await w.wait(acquired, 10)
        assert await w.acquire(limiter, blocking=False) is False
        assert await w.acquire(limiter, count=2, timeout=0) is False
        done.set()
        await handle.join()
        assert await w.acquire(limiter, count=2, timeout=10) is True
        assert level(w, limiter) == 2
        w.release(limiter, 2)

    world.run(body)


def test_pickle_copy_weakref_repr():
    limiter = CapacityLimiter(3)
    assert repr(limiter) == f"<aiologic.CapacityLimiter(3) at {id(limiter):#x} [available_tokens=3]>"
    limiter.green_acquire()
    assert repr(limiter) == f"<aiologic.CapacityLimiter(3) at {id(limiter):#x} [available_tokens=2]>"
    for clone in (pickle.loads(pickle.dumps(limiter)), copy.copy(limiter)):
        assert type(clone) is CapacityLimiter and clone.total_tokens == clone.available_tokens == 3
    r = RCapacityLimiter(1)
    r.green_acquire(2)
    assert repr(r) == f"<aiologic.RCapacityLimiter(1) at {id(r):#x} [available_tokens=0, waiting=0]>"
    for clone in (pickle.loads(pickle.dumps(r)), copy.copy(r)):
        assert type(clone) is RCapacityLimiter and clone.available_tokens == 1 and not clone.borrowers
    mine = MyLimiter(2)
    assert type(pickle.loads(pickle.dumps(mine))) is MyLimiter
    assert repr(mine).startswith(f"<{__name__}.MyLimiter(2) at ")
    ref = weakref.ref(limiter)
    del limiter
    gc.collect()
    assert ref() is None
    assert RCapacityLimiter.green_acquire.__qualname__ == "RCapacityLimiter.green_acquire"
    with pytest.raises(TypeError):
        CapacityLimiter[int]  # not generic


class MyLimiter(CapacityLimiter):
    pass


def test_async_methods_outside_a_loop():
    limiter = RCapacityLimiter(1)
    limiter.green_acquire()
    with pytest.raises(aiologic.lowlevel.AsyncLibraryNotFoundError):
        limiter.async_release()
    with pytest.raises(aiologic.lowlevel.AsyncLibraryNotFoundError):
        limiter.async_borrowed()
    with pytest.raises(aiologic.lowlevel.AsyncLibraryNotFoundError):
        limiter.async_count()
    assert limiter.borrowed_tokens == 1
    limiter.green_release()


def test_statistics():
    limiter = CapacityLimiter(1)
    assert limiter.statistics() == LimiterStatistics(1, 0, (), ())
    limiter.green_acquire()
    me = current_green_task_ident()
    result = []
    thread = threading.Thread(target=lambda: result.append(limiter.green_acquire(timeout=10)))
    thread.start()
    deadline = time.monotonic() + 10
    while limiter.waiting < 1:
        assert time.monotonic() < deadline
        time.sleep(0.001)
    info = WaiterInfo("threading", ("threading", thread.ident), thread.ident)
    assert limiter.statistics() == LimiterStatistics(1, 1, (me,), (info,))
    limiter.green_release()
    thread.join(10)
    assert result == [True]
    assert limiter.statistics() == LimiterStatistics(1, 1, (("threading", thread.ident),), ())


# -- the wake-versus-cancel race, forced --------------------------------------


def test_cancelled_task_woken_in_the_window_passes_the_token_on():
    from aiologic_testing.races import pause_before_give_up

    limiter = CapacityLimiter(1)
    limiter.green_acquire()
    outcome, state = {}, {}
    ready = threading.Event()

    def loop_thread():
        async def main():
            state["loop"] = asyncio.get_running_loop()
            first = asyncio.ensure_future(limiter.async_acquire())
            second = asyncio.ensure_future(limiter.async_acquire())
            state["first"] = first
            while limiter.waiting < 2:
                await asyncio.sleep(0.001)
            ready.set()
            try:
                await first
            except asyncio.CancelledError:
                outcome["first"] = "cancelled"
            outcome["second"] = await asyncio.wait_for(second, 10)
            outcome["borrowers"] = dict(limiter.borrowers)
            outcome["second_ident"] = ("asyncio", id(second))

        asyncio.run(main())

    with pause_before_give_up() as pause:
        thread = threading.Thread(target=loop_thread)
        thread.start()
        assert ready.wait(10)
        state["loop"].call_soon_threadsafe(state["first"].cancel)
        assert pause.paused.wait(10)
        limiter.green_release()  # hands the token to the cancelled task
        assert pause.event.is_set()
        pause.resume()
        thread.join(10)
    assert outcome["first"] == "cancelled" and outcome["second"] is True
    assert outcome["borrowers"] == {outcome["second_ident"]: 1}
    assert limiter.borrowed_tokens == 1


def test_timed_out_thread_gives_up_first():
    from aiologic_testing.races import pause_before_give_up

    limiter = CapacityLimiter(1)
    limiter.green_acquire()
    result = []
    with pause_before_give_up() as pause:
        thread = threading.Thread(target=lambda: result.append(limiter.green_acquire(timeout=0.01)))
        thread.start()
        assert pause.paused.wait(10)
        pause.resume()
        thread.join(10)
    assert result == [False] and limiter.waiting == 0
    limiter.green_release()
    assert limiter.available_tokens == 1  # the token is not swallowed by the gone waiter


# -- two worlds ---------------------------------------------------------------


@pytest.mark.parametrize("pair", PAIRS, ids=PAIR_IDS)
def test_bound_across_worlds(pair):
    limiter = RCapacityLimiter(2)
    state = {"inside": 0, "peak": 0, "count": 0}
    books = threading.Lock()

    async def users(w):
        async def user(w):
            for _ in range(10):
                async with w.hold(limiter):
                    async with w.hold(limiter):
                        with books:
                            state["inside"] += 1
                            state["peak"] = max(state["peak"], state["inside"])
                        assert level(w, limiter) == 2
                        await w.sleep(0)
                        with books:
                            state["inside"] -= 1
                            state["count"] += 1

        handles = [await w.spawn(user) for _ in range(3)]
        for handle in handles:
            await handle.join()

    run_in_threads((pair[0], users), (pair[1], users))
    assert state["count"] == 60 and state["inside"] == 0 and 1 <= state["peak"] <= 2
    assert limiter.available_tokens == 2 and limiter.waiting == 0 and not limiter.borrowers


@pytest.mark.parametrize("pair", PAIRS, ids=PAIR_IDS)
def test_handoff_across_worlds(pair):
    limiter = CapacityLimiter(1)
    acquired, checked = aiologic.Event(), aiologic.Event()

    async def first(w):
        await w.acquire(limiter)
        acquired.set()
        await wait_until(w, lambda: limiter.waiting == 1)
        w.release(limiter)
        assert limiter.borrowed_tokens == 1 and not borrowed(w, limiter)
        checked.set()

    async def second(w):
        await w.wait(acquired, 10)
        assert await w.acquire(limiter, timeout=10) is True
        assert dict(limiter.borrowers) == {task_ident(w): 1}
        assert await w.wait(checked, 10)
        w.release(limiter)

    run_in_threads((pair[0], first), (pair[1], second))
    assert limiter.available_tokens == 1


# -- under pressure -------------------------------------------------------------




@pytest.mark.stress
@pytest.mark.usefixtures("pressure")
def test_stress():
    """Borrowers of several worlds, each in its own thread, with random
    levels, timeouts and cancellations for a bounded time: never more than
    `total_tokens` inside, no token lost or doubled, nothing left behind."""
    limiter = RCapacityLimiter(2)
    books = threading.Lock()
    state = {"inside": 0, "peak": 0, "count": 0}
    stop = time.monotonic() + 1.5

    async def borrowers(w, seed):
        rng = random.Random(seed)

        async def one(w):
            while time.monotonic() < stop:
                levels = rng.randint(1, 2)
                acquired = False
                if w.can_cancel and rng.random() < 0.3:
                    async with w.cancel_after(rng.choice([0, 0.0001, 0.001])):
                        acquired = await w.acquire(limiter, count=levels)
                else:
                    acquired = await w.acquire(limiter, count=levels, timeout=rng.choice([0, 0.0001, 0.001, None]))
                if acquired:
                    with books:
                        state["inside"] += 1
                        state["peak"] = max(state["peak"], state["inside"])
                    assert level(w, limiter) == levels and limiter.borrowers.get(task_ident(w)) == levels
                    with books:
                        state["inside"] -= 1
                        state["count"] += 1
                    w.release(limiter, levels)
                    await w.sleep(0)

        handles = [await w.spawn(one) for _ in range(3)]
        for handle in handles:
            await handle.join()

    run_in_threads(*[(name, borrowers, seed) for seed, name in enumerate(STRESS_WORLDS)], timeout=60)
    assert state["inside"] == 0 and state["count"] > 0 and 1 <= state["peak"] <= 2
    assert limiter.available_tokens == 2 and limiter.borrowed_tokens == 0
    assert limiter.waiting == 0 and not limiter.borrowers
