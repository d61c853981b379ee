"""RLock in every world, and shared by two worlds at once."""

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
from aiologic.lowlevel import current_async_task_ident, current_green_task_ident
from aiologic.statistics import LockStatistics, WaiterInfo
from lock_family import PAIR_IDS, PAIRS, STRESS_WORLDS, pressure, wait_until  # noqa: F401  (pressure: a fixture)
from worlds import run_in_threads




def task_ident(w):
    return current_async_task_ident() if w.is_async else current_green_task_ident()


def count_of(w, lock):
    return lock.async_count() if w.is_async else lock.green_count()


async def holder(w, lock, acquired, done, levels=1):
    await w.acquire(lock, count=levels)
    acquired.set()
    await w.wait(done, 10)
    w.release(lock, levels)


def test_basic_and_reentrancy(world):
    async def body(w):
        lock = aiologic.RLock()
        assert isinstance(lock, aiologic.Lock)
        assert not lock.locked() and not lock and lock.owner is None and lock.count == 0
        assert await w.acquire(lock) is True
        assert await w.acquire(lock) is True  # re-entry
        assert await w.acquire(lock, count=3) is True
        assert await w.acquire(lock, blocking=False) is True
        assert await w.acquire(lock, timeout=0) is True
        assert lock.count == 7 and count_of(w, lock) == 7 and w.owned(lock)
        assert lock.owner == task_ident(w) and lock.locked() and bool(lock)
        w.release(lock, 4)
        assert lock.count == 3 and lock.locked()
        w.release(lock)
        w.release(lock, 2)
        assert not lock.locked() and lock.owner is None and lock.count == 0 and count_of(w, lock) == 0
        async with w.hold(lock) as bound:
            assert bound is lock
            async with w.hold(lock):
                assert lock.count == 2
            assert lock.count == 1
        assert not lock.locked()

    world.run(body)


def test_errors(world):
    async def body(w):
        lock = aiologic.RLock()
        with pytest.raises(RuntimeError, match="release unlocked lock"):
            w.release(lock)
        for bad in (0, -1):
            with pytest.raises(ValueError, match="count must be >= 1"):
                await w.acquire(lock, count=bad)
            with pytest.raises(ValueError, match="count must be >= 1"):
                w.release(lock, bad)
        with pytest.raises(TypeError, match="count"):
            await w.acquire(lock, count=1.0)
        assert not lock.locked()
        await w.acquire(lock, count=2)
        with pytest.raises(RuntimeError, match="lock released too many times"):
            w.release(lock, 3)
        assert lock.count == 2 and w.owned(lock)
        for kwargs in ({"timeout": -1}, {"timeout": float("nan")}, {"blocking": False, "timeout": -1}):
            with pytest.raises(ValueError):
                await w.acquire(lock, **kwargs)
        with pytest.raises(TypeError):
            await w.acquire(lock, timeout="1")
        with pytest.raises(ValueError):  # arguments are checked before the state
            w.release(lock, 0)
        assert lock.count == 2
        w.release(lock, 2)
        with pytest.raises(ValueError):
            w.release(lock, 0)
        assert not lock.locked()

    world.run(body)


def test_release_by_non_owner(world):
    async def body(w):
        lock = aiologic.RLock()
        acquired, done = aiologic.Event(), aiologic.Event()
        handle = await w.spawn(holder, lock, acquired, done, 2)
        assert await w.wait(acquired, 10)
        owner = lock.owner
        with pytest.raises(RuntimeError, match="the current task is not holding this lock"):
            w.release(lock)
        assert lock.locked() and lock.owner == owner and lock.count == 2
        assert not w.owned(lock) and count_of(w, lock) == 0
        assert await w.acquire(lock, blocking=False) is False
        assert await w.acquire(lock, count=5, timeout=0) is False
        start = time.monotonic()
        assert await w.acquire(lock, timeout=0.05) is False
        assert time.monotonic() - start >= 0.05
        assert lock.waiting == 0 and lock.count == 2
        done.set()
        await handle.join()
        assert not lock.locked() and lock.owner is None

    world.run(body)


def test_fifo_handoff_carries_the_level(world):
    async def waiter(w, lock, order, index):
        await w.acquire(lock, count=index + 1)
        order.append((index, lock.count, count_of(w, lock)))
        w.release(lock, index + 1)

    async def body(w):
        lock = aiologic.RLock()
        order = []
        await w.acquire(lock, count=2)
        handles = []
        for index in range(4):
            handles.append(await w.spawn(waiter, lock, order, index))
            await wait_until(w, lambda: lock.waiting == index + 1)
        w.release(lock)
        assert lock.locked() and w.owned(lock) and lock.waiting == 4  # one level left
        w.release(lock)
        # handed off inside release(), with the level the waiter asked for
        assert lock.locked() and not w.owned(lock) and lock.count == 1
        assert lock.owner is not None and lock.owner != task_ident(w)
        assert await w.acquire(lock, blocking=False) is False
        for handle in handles:
            await handle.join()
        assert order == [(i, i + 1, i + 1) for i in range(4)]
        assert not lock.locked() and lock.waiting == 0 and lock.count == 0

    world.run(body)


def test_cancel_waiter(world):
    if not world.can_cancel:
        pytest.skip("threads cannot be cancelled")

    async def body(w):
        lock = aiologic.RLock()
        acquired, done = aiologic.Event(), aiologic.Event()
        handle = await w.spawn(holder, lock, acquired, done)
        await w.wait(acquired, 10)
        async with w.cancel_after(0.05) as scope:
            await w.acquire(lock, count=3)
        assert scope.cancelled
        assert lock.waiting == 0 and lock.count == 1
        done.set()
        await handle.join()
        assert not lock.locked() and lock.owner is None
        assert await w.acquire(lock, blocking=False)
        w.release(lock)

    world.run(body)


def test_cancelled_before_uncontended_acquire_has_no_effect():
    trio = pytest.importorskip("trio")

    async def main():
        lock = aiologic.RLock()
        with trio.CancelScope() as scope:
            scope.cancel()
            await lock.async_acquire()
        assert scope.cancelled_caught and not lock.locked()
        await lock.async_acquire()
        with trio.CancelScope() as scope:  # a reentrant acquire is a checkpoint too
            scope.cancel()
            await lock.async_acquire(2)
        assert scope.cancelled_caught and lock.count == 1
        lock.async_release()

    trio.run(main)


def test_pickle_copy_weakref_repr():
    lock = aiologic.RLock()
    assert repr(lock) == f"<aiologic.RLock() at {id(lock):#x} [unlocked]>"
    lock.green_acquire(3)
    assert repr(lock) == f"<aiologic.RLock() at {id(lock):#x} [locked, waiting=0]>"
    for clone in (pickle.loads(pickle.dumps(lock)), copy.copy(lock)):
        assert type(clone) is aiologic.RLock and not clone.locked() and clone.count == 0
    ref = weakref.ref(lock)
    lock.green_release(3)
    del lock
    gc.collect()
    assert ref() is None

    mine = MyRLock()
    assert type(pickle.loads(pickle.dumps(mine))) is MyRLock and type(copy.copy(mine)) is MyRLock
    assert repr(mine).startswith(f"<{__name__}.MyRLock() at ")
    assert aiologic.RLock.__module__ == "aiologic"
    assert aiologic.RLock.green_acquire.__qualname__ == "RLock.green_acquire"


class MyRLock(aiologic.RLock):
    pass


def test_async_methods_outside_a_loop():
    lock = aiologic.RLock()
    with pytest.raises(RuntimeError, match="release unlocked lock"):
        lock.async_release()
    lock.green_acquire()
    with pytest.raises(aiologic.lowlevel.AsyncLibraryNotFoundError):
        lock.async_release()
    with pytest.raises(aiologic.lowlevel.AsyncLibraryNotFoundError):
        lock.async_count()
    assert lock.count == 1
    lock.green_release()


def test_mixed_deadlock_is_an_error():
    async def main():
        lock = aiologic.RLock()
        await lock.async_acquire(2)
        for kwargs in ({}, {"timeout": 1}, {"timeout": 0}, {"blocking": False}):
            with pytest.raises(RuntimeError, match="the current thread is already holding this lock"):
                lock.green_acquire(**kwargs)
        assert lock.async_owned() and lock.async_count() == 2 and lock.waiting == 0
        assert lock.green_count() == 0  # the thread is another owner
        lock.async_release(2)
        assert lock.green_acquire(timeout=0)
        lock.green_release()

    asyncio.run(main())


def test_statistics():
    lock = aiologic.RLock()
    assert lock.statistics() == LockStatistics(None, 0, ())
    lock.green_acquire(2)
    me = current_green_task_ident()
    assert lock.statistics() == LockStatistics(me, 2, ())
    result = []
    thread = threading.Thread(target=lambda: result.append(lock.green_acquire(4, timeout=10)))
    thread.start()
    deadline = time.monotonic() + 10
    while lock.waiting < 1:
        assert time.monotonic() < deadline
        time.sleep(0.001)
    info = WaiterInfo("threading", ("threading", thread.ident), thread.ident)
    assert lock.statistics() == LockStatistics(me, 2, (info,))
    lock.green_release(2)
    assert lock.statistics() == LockStatistics(("threading", thread.ident), 4, ())
    thread.join(10)
    assert result == [True]


# -- the wake-versus-cancel race, forced --------------------------------------


def test_timed_out_thread_woken_in_the_window_takes_the_lock():
    from aiologic_testing.races import pause_before_give_up

    lock = aiologic.RLock()
    lock.green_acquire()
    result = []
    with pause_before_give_up() as pause:
        thread = threading.Thread(target=lambda: result.append(lock.green_acquire(2, timeout=0.01)))
        thread.start()
        assert pause.paused.wait(10)  # timed out, not yet given up
        lock.green_release()  # the hand-off wins the race
        assert lock.owner == ("threading", thread.ident) and lock.count == 2
        pause.resume()
        thread.join(10)
    assert result == [True]
    assert lock.owner == ("threading", thread.ident) and lock.count == 2 and lock.waiting == 0


def test_cancelled_task_woken_in_the_window_passes_it_on():
    """An asyncio task is cancelled; while it is paused before giving up, a
    plain thread hands it the lock. It ends cancelled, and the lock, with the
    right level, goes to the next waiter."""
    from aiologic_testing.races import pause_before_give_up

    lock = aiologic.RLock()
    lock.green_acquire()
    outcome, state = {}, {}
    ready = threading.Event()

    def loop_thread():
        async def main():
            state["loop"] = asyncio.get_running_loop()
            first = asyncio.ensure_future(lock.async_acquire(5))
            second = asyncio.ensure_future(lock.async_acquire(2))
            state["first"] = first
            while lock.waiting < 2:
                await asyncio.sleep(0.001)
            ready.set()
            try:
                await first
            except asyncio.CancelledError:
                outcome["first"] = "cancelled"
            outcome["second"] = await asyncio.wait_for(second, 10)
            outcome["owner"] = ("asyncio", id(second))
            outcome["count"] = lock.count

        asyncio.run(main())

    with pause_before_give_up() as pause:
        thread = threading.Thread(target=loop_thread)
        thread.start()
        assert ready.wait(10)
        state["loop"].call_soon_threadsafe(state["first"].cancel)
        assert pause.paused.wait(10)
        lock.green_release()  # hands the lock to the cancelled task
        assert pause.event.is_set()
        pause.resume()
        thread.join(10)
    assert outcome["first"] == "cancelled" and outcome["second"] is True
    assert lock.owner == outcome["owner"] and outcome["count"] == 2


# -- two worlds ---------------------------------------------------------------


@pytest.mark.parametrize("pair", PAIRS, ids=PAIR_IDS)
def test_mutual_exclusion_across_worlds(pair):
    world_a, world_b = pair
    lock = aiologic.RLock()
    state = {"inside": 0, "count": 0}

    async def contenders(w):
        async def contender(w):
            for _ in range(15):
                async with w.hold(lock):
                    async with w.hold(lock):
                        state["inside"] += 1
                        assert state["inside"] == 1, "two holders at once"
                        assert lock.count == 2 and count_of(w, lock) == 2
                        await w.sleep(0)
                        state["inside"] -= 1
                        state["count"] += 1

        handles = [await w.spawn(contender) for _ in range(3)]
        for handle in handles:
            await handle.join()

    run_in_threads((world_a, contenders), (world_b, contenders))
    assert state == {"inside": 0, "count": 2 * 3 * 15}
    assert not lock.locked() and lock.waiting == 0 and lock.count == 0


@pytest.mark.parametrize("pair", PAIRS, ids=PAIR_IDS)
def test_timeout_and_handoff_across_worlds(pair):
    world_a, world_b = pair
    lock = aiologic.RLock()
    acquired, release_now, checked = aiologic.Event(), aiologic.Event(), aiologic.Event()

    async def first(w):
        await w.acquire(lock, count=2)
        acquired.set()
        await w.wait(release_now, 10)
        await wait_until(w, lambda: lock.waiting == 1)
        w.release(lock, 2)
        assert lock.locked() and not w.owned(lock) and lock.count == 3
        checked.set()

    async def second(w):
        await w.wait(acquired, 10)
        start = time.monotonic()
        assert await w.acquire(lock, timeout=0.05) is False
        assert time.monotonic() - start >= 0.05
        release_now.set()
        assert await w.acquire(lock, count=3, timeout=10) is True
        assert lock.owner == task_ident(w) and count_of(w, lock) == 3
        assert await w.wait(checked, 10)
        w.release(lock, 3)

    run_in_threads((world_a, first), (world_b, second))
    assert not lock.locked()


def test_with_exit_checks_the_owner():
    lock = aiologic.RLock()
    with pytest.raises(RuntimeError, match="release unlocked lock"):
        lock.__exit__(None, None, None)
    held = threading.Event()
    done = threading.Event()

    def owner():
        with lock:
            held.set()
            done.wait(10)

    thread = threading.Thread(target=owner)
    thread.start()
    assert held.wait(10)
    with pytest.raises(RuntimeError, match="the current task is not holding this lock"):
        lock.__exit__(None, None, None)
    assert lock.count == 1 and lock.owner == ("threading", thread.ident)
    done.set()
    thread.join(10)
    assert not lock.locked()


# -- under pressure -------------------------------------------------------------




@pytest.mark.stress
@pytest.mark.usefixtures("pressure")
def test_stress():
    """Contenders of several worlds, each in its own thread, take 1-3 levels
    with random timeouts and cancellations for a bounded time: never two
    holders, every level given back, and the lock ends free."""
    lock = aiologic.RLock()
    state = {"inside": 0, "count": 0}
    stop = time.monotonic() + 1.5

    async def contenders(w, seed):
        rng = random.Random(seed)

        async def one(w):
            while time.monotonic() < stop:
                levels = rng.randint(1, 3)
                acquired = False
                if w.can_cancel and rng.random() < 0.3:
                    async with w.cancel_after(rng.choice([0, 0.0001, 0.001])):
                        acquired = await w.acquire(lock, count=levels)
                else:
                    acquired = await w.acquire(lock, count=levels, timeout=rng.choice([0, 0.0001, 0.001, None]))
                if acquired:
                    state["inside"] += 1
                    assert state["inside"] == 1, "two holders at once"
                    assert count_of(w, lock) == levels and lock.owner == task_ident(w)
                    state["inside"] -= 1
                    state["count"] += 1
                    w.release(lock, levels)
                    await w.sleep(0)

        handles = [await w.spawn(one) for _ in range(3)]
        for handle in handles:
            await handle.join()

    run_in_threads(*[(name, contenders, seed) for seed, name in enumerate(STRESS_WORLDS)], timeout=60)
    assert state["inside"] == 0 and state["count"] > 0
    assert not lock.locked() and lock.waiting == 0 and lock.owner is None and lock.count == 0
