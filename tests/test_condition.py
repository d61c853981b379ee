"""Condition over aiologic locks, thread locks and no lock, in every world
and shared by two worlds at once."""

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
from aiologic import Condition
from aiologic.lowlevel import current_green_task_ident
from aiologic.statistics import ConditionStatistics, LockStatistics, WaiterInfo
from lock_family import PAIR_IDS, PAIRS, STRESS_WORLDS, pressure, wait_until  # noqa: F401  (pressure: a fixture)
from worlds import run_in_threads


LOCKS = {
    "Lock": aiologic.Lock,
    "RLock": aiologic.RLock,
    "BinarySemaphore": aiologic.BinarySemaphore,
    "BoundedBinarySemaphore": aiologic.BoundedBinarySemaphore,
    "threading.Lock": threading.Lock,
    "threading.RLock": threading.RLock,
    "None": lambda: None,
}
OWNED_LOCKS = [name for name in LOCKS if name != "None"]



async def cv_wait(w, cv, timeout=None):
    return await cv.with_(timeout) if w.is_async else cv.wait(timeout)


async def cv_wait_for(w, cv, predicate, timeout=None, **kwargs):
    if w.is_async:
        return await cv.for_(predicate, timeout, **kwargs)
    return cv.wait_for(predicate, timeout, **kwargs)


def holds(w, cv):
    """Whether the calling task holds the condition's lock."""
    lock = cv.lock
    if lock is None:
        return True
    if hasattr(lock, "green_owned"):
        return w.owned(lock)
    if hasattr(lock, "_is_owned"):
        return lock._is_owned()
    if hasattr(lock, "locked"):
        return lock.locked()
    return lock.value == 0


def test_construction_and_kinds():
    cv = Condition()
    assert type(cv.lock) is aiologic.RLock and callable(cv.timer) and cv.waiting == 0
    assert isinstance(cv, Condition) and not cv
    for name, make in LOCKS.items():
        lock = make()
        assert Condition(lock).lock is lock
    assert Condition(None).lock is None and not Condition(None)
    assert Condition(lock=None, timer=time.monotonic).timer is time.monotonic
    assert Condition[aiologic.Lock] is not None and type(Condition[aiologic.Lock](aiologic.Lock())) is Condition
    lock = aiologic.Lock()
    cv = Condition(lock)
    lock.green_acquire()
    assert cv
    lock.green_release()
    thread_lock = threading.RLock()
    cv = Condition(thread_lock)
    assert not cv
    with cv:
        assert cv
    assert not cv


def test_repr():
    cv = Condition()
    assert repr(cv) == f"<aiologic.Condition(<aiologic.RLock>) at {id(cv):#x} [waiting=0]>"
    cv = Condition(None)
    assert repr(cv) == f"<aiologic.Condition(None) at {id(cv):#x} [waiting=0]>"
    cv = Condition(threading.Lock())
    assert repr(cv) == f"<aiologic.Condition(<_thread.lock>) at {id(cv):#x} [waiting=0]>"
    assert repr(MyCondition(None)).startswith(f"<{__name__}.MyCondition(None) at ")


class MyCondition(Condition):
    pass


def test_pickle_copy_weakref():
    for make in (aiologic.Lock, aiologic.RLock, aiologic.BinarySemaphore, aiologic.BoundedBinarySemaphore):
        lock = make()
        lock.green_acquire()
        cv = Condition(lock)
        clone = pickle.loads(pickle.dumps(cv))
        assert type(clone) is Condition and type(clone.lock) is make and clone.lock is not lock
        assert not clone.lock.locked() if hasattr(lock, "locked") else clone.lock.value == 1
        assert clone.timer is cv.timer  # the default timer
        shallow = copy.copy(cv)
        assert type(shallow) is Condition and shallow.lock is lock and shallow.timer is cv.timer
    assert pickle.loads(pickle.dumps(Condition(None))).lock is None
    timed = pickle.loads(pickle.dumps(Condition(aiologic.Lock(), time.monotonic)))
    assert timed.timer is time.monotonic
    for make in (threading.Lock, threading.RLock):
        with pytest.raises(TypeError):
            pickle.dumps(Condition(make()))
        cv = Condition(make())
        assert copy.copy(cv).lock is cv.lock
    mine = MyCondition(aiologic.Lock())
    assert type(pickle.loads(pickle.dumps(mine))) is MyCondition and type(copy.copy(mine)) is MyCondition
    ref = weakref.ref(mine)
    del mine
    gc.collect()
    assert ref() is None
    assert Condition.wait_for.__qualname__ == "Condition.wait_for" and Condition.__module__ == "aiologic"


@pytest.mark.parametrize("kind", LOCKS)
def test_wait_notify(world, kind):
    async def waiter(w, cv, state):
        async with w.hold(cv) as bound:
            assert bound is cv
            state["waiting"] += 1
            result = await cv_wait(w, cv, 10)
            assert holds(w, cv)
            state["woken"] += 1
            return result

    async def body(w):
        cv = Condition(LOCKS[kind]())
        state = {"waiting": 0, "woken": 0}
        handles = [await w.spawn(waiter, cv, state) for _ in range(3)]
        await wait_until(w, lambda: cv.waiting == 3)
        async with w.hold(cv):
            assert cv.notify() == 1
            assert cv.waiting == 2  # left the count at once
            assert cv.notify(0) == 0 and cv.notify(-1) == 0
            assert cv.notify_all() == 2
            assert cv.waiting == 0 and cv.notify() == 0
        assert [await handle.join() for handle in handles] == [True, True, True]
        assert state == {"waiting": 3, "woken": 3}

    world.run(body)


@pytest.mark.parametrize("kind", LOCKS)
def test_wait_timeout_retakes_the_lock(world, kind):
    async def body(w):
        cv = Condition(LOCKS[kind]())
        async with w.hold(cv):
            start = time.monotonic()
            assert await cv_wait(w, cv, 0.05) is False
            assert time.monotonic() - start >= 0.05
            assert holds(w, cv) and cv.waiting == 0
            assert await cv_wait(w, cv, 0) is False
            assert holds(w, cv)
            assert await cv_wait_for(w, cv, lambda: 0, 0.02) == 0
            assert await cv_wait_for(w, cv, lambda: "", 0) == ""
            assert await cv_wait_for(w, cv, lambda: "n=3") == "n=3"  # at once, unconverted
            assert holds(w, cv) and cv.waiting == 0

    world.run(body)


@pytest.mark.parametrize("kind", OWNED_LOCKS)
def test_errors(world, kind):
    async def body(w):
        cv = Condition(LOCKS[kind]())
        called = []

        def predicate():
            called.append(1)
            return True

        with pytest.raises(RuntimeError, match="cannot wait on un-acquired lock"):
            await cv_wait(w, cv)
        with pytest.raises(RuntimeError, match="cannot wait on un-acquired lock"):
            await cv_wait_for(w, cv, predicate)
        assert not called and cv.waiting == 0
        if kind.startswith("threading"):
            assert cv.notify() == 0 and cv.notify_all() == 0  # no owner to check
        else:
            with pytest.raises(RuntimeError, match="cannot notify on un-acquired lock"):
                cv.notify()
            with pytest.raises(RuntimeError, match="cannot notify on un-acquired lock"):
                cv.notify_all()
        async with w.hold(cv):
            for bad in (-1, float("nan")):
                with pytest.raises(ValueError):
                    await cv_wait(w, cv, bad)
                with pytest.raises(ValueError):
                    await cv_wait_for(w, cv, predicate, bad)
            with pytest.raises(TypeError):
                await cv_wait(w, cv, "1")
            with pytest.raises(TypeError):
                cv.notify(1.0)
            assert not called and holds(w, cv)

    world.run(body)


def test_lockless_notify_from_anywhere(world):
    async def body(w):
        cv = Condition(None)
        results = []

        async def waiter(w):
            results.append(await cv_wait(w, cv, 10))

        handles = [await w.spawn(waiter) for _ in range(2)]
        await wait_until(w, lambda: cv.waiting == 2)
        thread = threading.Thread(target=lambda: results.append(cv.notify_all()))
        thread.start()
        thread.join(10)
        for handle in handles:
            await handle.join()
        assert sorted(results, key=repr) == [2, True, True]

    world.run(body)


def test_fifo(world):
    async def waiter(w, cv, order, index):
        async with w.hold(cv):
            assert await cv_wait(w, cv, 10)
            order.append(index)

    async def body(w):
        cv = Condition(aiologic.Lock())
        order = []
        handles = []
        for index in range(4):
            handles.append(await w.spawn(waiter, cv, order, index))
            await wait_until(w, lambda: cv.waiting == index + 1)
        for expected in range(4):
            async with w.hold(cv):
                assert cv.notify() == 1
            await wait_until(w, lambda: len(order) == expected + 1)
        for handle in handles:
            await handle.join()
        assert order == list(range(4))

    world.run(body)


def test_rlock_levels_restored(world):
    async def body(w):
        cv = Condition(aiologic.RLock())
        seen = []

        async def notifier(w):
            await wait_until(w, lambda: cv.waiting == 1)
            seen.append(cv.lock.locked())  # released fully while waiting
            async with w.hold(cv):
                cv.notify()

        async with w.hold(cv):
            async with w.hold(cv):
                await w.acquire(cv.lock, count=2)
                assert cv.lock.count == 4
                handle = await w.spawn(notifier)
                assert await cv_wait(w, cv, 10) is True
                assert cv.lock.count == 4 and w.owned(cv.lock)
                w.release(cv.lock, 2)
        await handle.join()
        assert seen == [False] and not cv.lock.locked()

    world.run(body)


def test_wait_for_and_delegation(world):
    async def body(w):
        cv = Condition(aiologic.Lock())
        state = {"n": 0, "evaluated_by": []}

        def predicate():
            state["evaluated_by"].append(threading.get_ident())
            return f"n={state['n']}" if state["n"] >= 3 else None

        async def waiter(w):
            async with w.hold(cv):
                return await cv_wait_for(w, cv, predicate, 10)

        handle = await w.spawn(waiter)
        await wait_until(w, lambda: cv.waiting == 1)
        for n in (1, 2):
            async with w.hold(cv):
                state["n"] = n
                assert cv.notify() == 0  # evaluated for the waiter: false, left asleep
                assert cv.waiting == 1
        async with w.hold(cv):
            state["n"] = 3
            assert cv.notify() == 1
        assert await handle.join() == "n=3"

        # without delegation every notification wakes the waiter, which waits again
        state["n"] = 0

        async def undelegated(w):
            async with w.hold(cv):
                return await cv_wait_for(w, cv, predicate, 10, delegate=False)

        handle = await w.spawn(undelegated)
        await wait_until(w, lambda: cv.waiting == 1)
        async with w.hold(cv):
            assert cv.notify() == 1
        await wait_until(w, lambda: cv.waiting == 1)  # it re-checked and waits again
        async with w.hold(cv):
            state["n"] = 5
            assert cv.notify() == 1
        assert await handle.join() == "n=5"

    world.run(body)


def test_wait_for_timeout_returns_last_value(world):
    async def body(w):
        cv = Condition()
        calls = []

        def predicate():
            calls.append(1)
            return "" if len(calls) > 1 else 0

        async with w.hold(cv):
            start = time.monotonic()
            assert await cv_wait_for(w, cv, predicate, 0.05) == ""  # the last value, not the first
            assert time.monotonic() - start >= 0.05
            assert holds(w, cv) and cv.waiting == 0

    world.run(body)


def test_deadline(world):
    async def body(w):
        cv = Condition(None, time.monotonic)
        results = []

        async def waiter(w):
            results.append(await cv_wait(w, cv, 0.3))

        early = await w.spawn(waiter)
        await wait_until(w, lambda: cv.waiting == 1)
        await w.sleep(0.01)
        stamp = cv.timer()
        await w.sleep(0.01)
        late = await w.spawn(waiter)
        await wait_until(w, lambda: cv.waiting == 2)
        assert cv.notify_all(deadline=stamp) == 1  # only the one that started before
        assert cv.waiting == 1
        await early.join()
        await late.join()
        assert results == [True, False]

    world.run(body)


class ProxyLock:
    """A lock-alike that is not one of aiologic's own (it forwards to one):
    the condition can only use its public methods."""

    def __init__(self):
        self._lock = aiologic.Lock()

    def green_acquire(self, **kwargs):
        return self._lock.green_acquire(**kwargs)

    async def async_acquire(self, **kwargs):
        return await self._lock.async_acquire(**kwargs)

    def green_release(self):
        self._lock.green_release()

    def async_release(self):
        self._lock.async_release()

    def green_owned(self):
        return self._lock.green_owned()

    def async_owned(self):
        return self._lock.async_owned()

    def locked(self):
        return self._lock.locked()


@pytest.mark.parametrize("make", [aiologic.Lock, aiologic.RLock, aiologic.BinarySemaphore, ProxyLock])
def test_cancelled_waiter_retakes_the_lock(world, make):
    if not world.can_cancel:
        pytest.skip("threads cannot be cancelled")

    async def body(w):
        cv = Condition(make())
        seen = {}

        async def waiter(w):
            async with w.hold(cv):
                try:
                    await cv_wait(w, cv)
                except BaseException:
                    seen["owned"] = holds(w, cv)
                    raise

        handle = await w.spawn(waiter)
        await wait_until(w, lambda: cv.waiting == 1)
        async with w.hold(cv):
            # cancelled while the lock is held here: it must wait for it
            handle.cancel()
            await w.sleep(0.05)
            assert cv.waiting == 0 and "owned" not in seen
        with pytest.raises(BaseException):
            await handle.join()
        assert seen == {"owned": True} and not cv

        async with w.hold(cv):  # timed out (cancel scope) while uncontended
            async with w.cancel_after(0.02) as scope:
                await cv_wait(w, cv)
            assert scope.cancelled and holds(w, cv)
        assert not cv

    world.run(body)


def test_trio_checkpoints():
    trio = pytest.importorskip("trio")

    async def main():
        cv = Condition()
        async with cv:
            with trio.CancelScope() as scope:
                scope.cancel()
                await cv.with_()
            assert scope.cancelled_caught and cv.lock.async_owned() and cv.waiting == 0
            with trio.CancelScope() as scope:
                scope.cancel()
                await cv.for_(lambda: True)  # true at once: still a checkpoint
            assert scope.cancelled_caught and cv.lock.async_owned()
        assert not cv.lock.locked()

    trio.run(main)


def test_statistics():
    cv = Condition(aiologic.Lock())
    assert cv.statistics() == ConditionStatistics(LockStatistics(None, 0, ()), ())
    assert Condition(None).statistics() == ConditionStatistics(None, ())
    assert Condition(threading.Lock()).statistics() == ConditionStatistics(None, ())
    result = []

    def waiter():
        with cv:
            result.append(cv.wait(10))

    thread = threading.Thread(target=waiter)
    thread.start()
    deadline = time.monotonic() + 10
    while cv.waiting < 1:
        assert time.monotonic() < deadline
        time.sleep(0.001)
    info = WaiterInfo("threading", ("threading", thread.ident), thread.ident)
    with cv:
        me = current_green_task_ident()
        assert cv.statistics() == ConditionStatistics(LockStatistics(me, 1, ()), (info,))
        cv.notify()
    thread.join(10)
    assert result == [True]


def test_notify_all_in_a_waiters_own_thread_wakes_many():
    cv = Condition(threading.Lock())
    results = []

    def waiter():
        with cv:
            results.append(cv.wait(10))

    threads = [threading.Thread(target=waiter) for _ in range(20)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while cv.waiting < 20:
        assert time.monotonic() < deadline
        time.sleep(0.001)
    with cv:
        assert cv.notify(5) == 5
        assert cv.notify_all() == 15
    for thread in threads:
        thread.join(10)
    assert results == [True] * 20


# -- the wake-versus-cancel race, forced --------------------------------------


def test_timed_out_waiter_notified_in_the_window_counts_as_notified():
    from aiologic_testing.races import pause_before_give_up

    cv = Condition(None)
    result = []
    with pause_before_give_up() as pause:
        thread = threading.Thread(target=lambda: result.append(cv.wait(0.01)))
        thread.start()
        assert pause.paused.wait(10)  # timed out, not yet given up
        assert cv.notify() == 1  # the notification wins the race
        pause.resume()
        thread.join(10)
    assert result == [True] and cv.waiting == 0


def test_waiter_that_gave_up_first_is_not_counted():
    from aiologic_testing.races import pause_before_give_up

    cv = Condition(None)
    result = []
    with pause_before_give_up() as pause:
        thread = threading.Thread(target=lambda: result.append(cv.wait(0.01)))
        thread.start()
        assert pause.paused.wait(10)
        pause.resume()
        thread.join(10)
    assert result == [False] and cv.waiting == 0 and cv.notify() == 0


def test_cancelled_waiter_notified_in_the_window_passes_it_on():
    """An asyncio waiter is cancelled; while it is paused before giving up,
    a thread notifies it. It ends cancelled, holding the lock until it
    leaves, and the notification goes to the next waiter."""
    from aiologic_testing.races import pause_before_give_up

    cv = Condition(aiologic.Lock())
    outcome, state = {}, {}
    ready = threading.Event()

    def loop_thread():
        async def waiter(key):
            async with cv:
                try:
                    outcome[key] = await cv.with_(10)
                except asyncio.CancelledError:
                    outcome[key] = ("cancelled", cv.lock.async_owned())
                    raise

        async def main():
            state["loop"] = asyncio.get_running_loop()
            first = asyncio.ensure_future(waiter("first"))
            second = asyncio.ensure_future(waiter("second"))
            state["first"] = first
            while cv.waiting < 2:
                await asyncio.sleep(0.001)
            ready.set()
            await asyncio.gather(first, second, return_exceptions=True)

        asyncio.run(main())

    with pause_before_give_up() as pause:
        thread = threading.Thread(target=loop_thread)
        thread.start()
        assert ready.wait(10)
        state["loop"].call_soon_threadsafe(state["first"].cancel)
        assert pause.paused.wait(10)
        cv.lock.green_acquire()
        assert cv.notify() == 1  # reaches the cancelled waiter
        cv.lock.green_release()
        assert pause.event.is_set()
        pause.resume()
        thread.join(10)
    assert outcome == {"first": ("cancelled", True), "second": True}
    assert not cv.lock.locked() and cv.waiting == 0


# -- two worlds ---------------------------------------------------------------


@pytest.mark.parametrize("pair", PAIRS, ids=PAIR_IDS)
@pytest.mark.parametrize("kind", ["Lock", "RLock", "threading.Lock", "None"])
def test_producer_consumer_across_worlds(pair, kind):
    cv = Condition(LOCKS[kind]())
    items = []
    got = []

    async def consumer(w):
        for _ in range(20):
            async with w.hold(cv):
                await cv_wait_for(w, cv, lambda: items, 10)
                got.append(items.pop(0))

    async def producer(w):
        for i in range(20):
            async with w.hold(cv):
                items.append(i)
                cv.notify()
            await w.sleep(0)

    run_in_threads((pair[0], consumer), (pair[1], producer))
    assert got == list(range(20)) and cv.waiting == 0


@pytest.mark.parametrize("pair", PAIRS, ids=PAIR_IDS)
def test_notify_across_worlds_wakes_exactly_n(pair):
    cv = Condition(aiologic.RLock())
    woken = []

    async def waiters(w):
        async def one(w):
            async with w.hold(cv):
                woken.append(await cv_wait(w, cv, 10))

        handles = [await w.spawn(one) for _ in range(3)]
        for handle in handles:
            await handle.join()

    async def notifier(w):
        await wait_until(w, lambda: cv.waiting == 3)
        async with w.hold(cv):
            assert cv.notify(2) == 2 and cv.waiting == 1
        await wait_until(w, lambda: len(woken) == 2)
        async with w.hold(cv):
            assert cv.notify_all() == 1

    run_in_threads((pair[0], waiters), (pair[1], notifier))
    assert woken == [True, True, True] and not cv.lock.locked()


# -- under pressure -------------------------------------------------------------




@pytest.mark.stress
@pytest.mark.parametrize("kind", ["RLock", "Lock", "threading.Lock", "None"])
@pytest.mark.usefixtures("pressure")
def test_stress(kind):
    """Producers and consumers of several worlds, each world in its own
    thread; consumers wait with random timeouts and cancellations. Every
    item is consumed exactly once (a lost wake-up would leave a consumer
    waiting past the bound), waiters always re-take the lock, and nothing
    is left waiting."""
    cv = Condition(LOCKS[kind]())
    guard = threading.Lock()  # the items themselves, for the lockless kind
    total = 300
    state = {"produced": 0, "consumed": 0, "items": []}

    def take():
        with guard:
            if state["items"]:
                state["items"].pop()
                state["consumed"] += 1
                return True
            return False

    def available():
        return bool(state["items"]) or state["consumed"] >= total

    async def world_body(w, seed):
        rng = random.Random(seed)

        async def producer(w):
            while True:
                async with w.hold(cv):
                    with guard:
                        if state["produced"] >= total:
                            break
                        state["produced"] += 1
                        state["items"].append(1)
                    cv.notify()
                await w.sleep(0)
            async with w.hold(cv):
                cv.notify_all()

        async def consumer(w):
            while state["consumed"] < total:
                async with w.hold(cv):
                    roll = rng.random()
                    if w.can_cancel and roll < 0.2:
                        async with w.cancel_after(rng.choice([0, 0.0001, 0.001])):
                            await cv_wait_for(w, cv, available)
                    elif roll < 0.5:
                        await cv_wait(w, cv, rng.choice([0, 0.0001, 0.001]))
                    else:
                        await cv_wait_for(w, cv, available, rng.choice([0.001, 0.01, None]))
                    assert holds(w, cv), "a waiter left without the lock"
                    if take() and state["consumed"] >= total:
                        cv.notify_all()

        handles = [await w.spawn(producer)] + [await w.spawn(consumer) for _ in range(3)]
        for handle in handles:
            await handle.join()

    run_in_threads(*[(name, world_body, seed) for seed, name in enumerate(STRESS_WORLDS)], timeout=60)
    assert state["produced"] == state["consumed"] == total and not state["items"]
    assert cv.waiting == 0
    if cv.lock is not None:
        assert not cv.lock.locked()
