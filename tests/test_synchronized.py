"""`synchronized` over functions, methods, locks of every kind and objects."""

from __future__ import annotations

import asyncio
import inspect
import threading
import time

import pytest

import aiologic
from aiologic import synchronized
from lock_family import PAIR_IDS, PAIRS
from worlds import run_in_threads


def test_function_keeps_its_face():
    def plain(a, b=2, *, c=3):
        """Adds."""
        return a + b + c

    async def coro(a, /, b):
        """Multiplies."""
        return a * b

    sync_wrapper = synchronized(plain)
    async_wrapper = synchronized(coro)
    assert sync_wrapper.__name__ == "plain" and sync_wrapper.__doc__ == "Adds."
    assert inspect.signature(sync_wrapper) == inspect.signature(plain)
    assert inspect.signature(async_wrapper) == inspect.signature(coro)
    assert not inspect.iscoroutinefunction(sync_wrapper) and inspect.iscoroutinefunction(async_wrapper)
    assert type(sync_wrapper._synchronized_lock) is aiologic.RLock
    assert sync_wrapper(1, c=0) == 3
    assert asyncio.run(async_wrapper(3, 4)) == 12
    assert synchronized.__module__ == "aiologic"


def test_function_runs_under_its_lock(world):
    async def body(w):
        state = {"inside": 0, "count": 0, "owned": []}

        if w.is_async:

            @synchronized
            async def work(n):
                state["inside"] += 1
                assert state["inside"] == 1
                state["owned"].append(work._synchronized_lock.async_count())
                await w.sleep(0)
                state["inside"] -= 1
                state["count"] += n
                return n

        else:

            @synchronized
            def work(n):
                state["inside"] += 1
                assert state["inside"] == 1
                state["owned"].append(work._synchronized_lock.green_count())
                time.sleep(0.001)
                state["inside"] -= 1
                state["count"] += n
                return n

        async def call(w, n):
            result = work(n)
            return await result if w.is_async else result

        handles = [await w.spawn(call, n) for n in range(1, 5)]
        assert [await handle.join() for handle in handles] == [1, 2, 3, 4]
        assert state["count"] == 10 and state["owned"] == [1, 1, 1, 1]
        assert not work._synchronized_lock.locked()

    world.run(body)


def test_exceptions_pass_and_release():
    @synchronized
    def fails():
        raise KeyError("x")

    with pytest.raises(KeyError):
        fails()
    assert not fails._synchronized_lock.locked()

    @synchronized
    async def afails():
        raise ValueError("y")

    with pytest.raises(ValueError):
        asyncio.run(afails())
    assert not afails._synchronized_lock.locked()


class Account:
    def __init__(self):
        self.balance = 0

    @synchronized
    def deposit(self, amount):
        lock = self._synchronized_lock
        assert lock.green_owned()
        self.deposit_nested(amount)  # reentrant: the same instance lock
        return lock

    @synchronized
    def deposit_nested(self, amount):
        self.balance += amount

    @synchronized
    async def adeposit(self, amount):
        assert self._synchronized_lock.async_owned()
        self.balance += amount
        return self._synchronized_lock


class Slotted:
    __slots__ = ()

    @synchronized
    def method(self):
        return Slotted.method._synchronized_lock.green_owned()


def test_methods_lock_their_instance():
    a, b = Account(), Account()
    lock_a = a.deposit(1)
    assert lock_a is a._synchronized_lock and lock_a is not Account.deposit._synchronized_lock
    assert b.deposit(2) is b._synchronized_lock and b._synchronized_lock is not lock_a
    assert asyncio.run(a.adeposit(5)) is lock_a
    assert a.balance == 6 and b.balance == 2 and not lock_a.locked()
    assert Slotted().method() is True  # no room on the instance: the function's own lock


def test_method_lock_creation_races():
    account = Account()
    locks = []
    barrier = threading.Barrier(8)

    def run():
        barrier.wait(10)
        locks.append(account.deposit(1))

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(locks) == 8 and all(lock is locks[0] for lock in locks) and account.balance == 8


@pytest.mark.parametrize("make", [aiologic.Lock, aiologic.RLock, aiologic.BinarySemaphore, threading.Lock, threading.RLock])
def test_synchronizer_over_a_lock(make):
    lock = make()
    sync = synchronized(lock)
    if hasattr(lock, "locked"):
        held = lock.locked
    elif hasattr(lock, "_is_owned"):  # threading.RLock before Python 3.14
        held = lock._is_owned
    else:
        held = lambda: lock.value == 0  # noqa: E731

    @sync
    def plain(x):
        assert held()
        if hasattr(lock, "green_owned"):
            assert lock.green_owned()
        return x

    @sync
    async def coro(x):
        assert held()
        if hasattr(lock, "async_owned"):
            assert lock.async_owned()
        return x

    assert plain(1) == 1 and not held()
    assert asyncio.run(coro(2)) == 2 and not held()
    assert inspect.iscoroutinefunction(coro) and not inspect.iscoroutinefunction(plain)
    with sync as bound:
        assert bound is sync and held()
    assert not held()

    async def main():
        async with sync as bound:
            assert bound is sync and held()
        assert not held()

    asyncio.run(main())


def test_synchronizer_over_an_async_lock():
    async def main():
        lock = asyncio.Lock()
        sync = synchronized(lock)

        @sync
        async def coro():
            assert lock.locked()
            return 5

        assert await coro() == 5 and not lock.locked()
        async with sync as bound:
            assert bound is sync and lock.locked()
        assert not lock.locked()
        with pytest.raises(TypeError):
            with sync:
                pass
        with pytest.raises(TypeError):
            sync(lambda: None)

    asyncio.run(main())


def test_synchronizer_over_a_trio_lock():
    trio = pytest.importorskip("trio")

    async def main():
        lock = trio.Lock()

        @synchronized(lock)
        async def coro():
            assert lock.locked()
            return 1

        assert await coro() == 1 and not lock.locked()

    trio.run(main)


def test_object_mode():
    class Thing:
        pass

    thing = Thing()
    sync = synchronized(thing)
    assert not hasattr(thing, "_synchronized_lock")  # created on first use
    with sync as bound:
        assert bound is sync
        lock = thing._synchronized_lock
        assert type(lock) is aiologic.RLock and lock.green_owned()
        with synchronized(thing):  # reentrant
            assert lock.count == 2
    assert not lock.locked()

    async def main():
        async with synchronized(thing):
            assert thing._synchronized_lock.async_owned()

    asyncio.run(main())
    assert not lock.locked()
    with pytest.raises(TypeError):
        with synchronized(object()):
            pass


@pytest.mark.parametrize("pair", PAIRS, ids=PAIR_IDS)
def test_object_mode_across_worlds(pair):
    class Shared:
        pass

    shared = Shared()
    state = {"inside": 0, "count": 0}

    async def users(w):
        async def user(w):
            for _ in range(10):
                async with w.hold(synchronized(shared)):
                    state["inside"] += 1
                    assert state["inside"] == 1
                    await w.sleep(0)
                    state["inside"] -= 1
                    state["count"] += 1

        handles = [await w.spawn(user) for _ in range(3)]
        for handle in handles:
            await handle.join()

    run_in_threads((pair[0], users), (pair[1], users))
    assert state == {"inside": 0, "count": 60} and not shared._synchronized_lock.locked()
