"""Semaphores in every world."""

from __future__ import annotations

import copy
import pickle
import time

import pytest

import aiologic
from aiologic import BinarySemaphore, BoundedBinarySemaphore, BoundedSemaphore, Semaphore


async def wait_until(w, predicate, seconds=10):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await w.sleep(0.001)


def test_factory_dispatch():
    assert type(Semaphore()) is Semaphore and Semaphore().value == 1
    assert type(Semaphore(0)) is Semaphore and type(Semaphore(1)) is Semaphore
    assert type(Semaphore(2, 5)) is BoundedSemaphore
    assert type(Semaphore(max_value=3)) is BoundedSemaphore and Semaphore(max_value=3).value == 3
    assert type(BoundedSemaphore(1)) is BoundedBinarySemaphore
    assert type(BoundedSemaphore(0, 1)) is BoundedBinarySemaphore
    assert type(BoundedSemaphore(2, 5)) is BoundedSemaphore
    assert type(BinarySemaphore(0)) is BinarySemaphore
    assert type(BinarySemaphore(0, 1)) is BoundedBinarySemaphore
    assert isinstance(BoundedBinarySemaphore(), BoundedSemaphore)
    assert BoundedBinarySemaphore.__mro__[1:3] == (BinarySemaphore, BoundedSemaphore)
    assert BoundedBinarySemaphore().value == 1
    assert BoundedSemaphore(max_value=4).value == 4 and BoundedSemaphore().max_value == 1

    class Mine(Semaphore):
        pass

    with pytest.raises(TypeError):
        Mine(1, 2)

    class MineBounded(BoundedSemaphore):
        pass

    assert type(MineBounded(1, 1)) is MineBounded


@pytest.mark.parametrize(
    "call",
    [
        lambda: Semaphore(-1),
        lambda: BoundedSemaphore(3, 2),
        lambda: BinarySemaphore(2),
        lambda: BoundedBinarySemaphore(0, 2),
    ],
)
def test_value_errors(call):
    with pytest.raises(ValueError):
        call()


def test_type_errors():
    with pytest.raises(TypeError):
        Semaphore(1.5)
    with pytest.raises(TypeError):
        BoundedSemaphore(1, "2")


def test_release_rules():
    sem = Semaphore(1)
    sem.async_release()  # plain method, outside any loop
    assert sem.value == 2
    sem.release(3)
    assert sem.value == 5
    for bad in (0, -1):
        with pytest.raises(ValueError):
            sem.release(bad)
    assert sem.value == 5
    bounded = BoundedSemaphore(2, 3)
    bounded.release()
    with pytest.raises(RuntimeError, match="semaphore released too many times"):
        bounded.release()
    assert bounded.value == 3
    with pytest.raises(ValueError, match="count must be 1"):
        bounded.release(2)
    binary = BinarySemaphore(1)
    binary.release()
    assert binary.value == 2  # unbounded binary: no over-release check
    with pytest.raises(RuntimeError):
        BoundedBinarySemaphore().release()


def test_basic(world):
    async def body(w):
        sem = Semaphore(2)
        assert await w.acquire(sem) and await w.acquire(sem)
        assert sem.value == 0
        assert await w.acquire(sem, blocking=False) is False
        start = time.monotonic()
        assert await w.acquire(sem, timeout=0.05) is False
        assert time.monotonic() - start >= 0.05
        assert sem.waiting == 0
        sem.release(2)
        assert sem.value == 2
        async with w.hold(sem) as bound:
            assert bound is sem and sem.value == 1
        assert sem.value == 2

    world.run(body)


def test_release_wakes_exactly_min(world):
    async def taker(w, sem, order, index):
        await w.acquire(sem)
        order.append(index)

    async def body(w):
        sem = Semaphore(0)
        order = []
        handles = []
        for index in range(3):
            handles.append(await w.spawn(taker, sem, order, index))
            await wait_until(w, lambda: sem.waiting == index + 1)
        sem.release(2)
        assert sem.value == 0 and sem.waiting == 1
        await handles[0].join()
        await handles[1].join()
        assert sorted(order) == [0, 1]  # the two oldest (threads resume in any order)
        sem.release()
        await handles[2].join()
        assert sorted(order) == [0, 1, 2] and sem.value == 0

    world.run(body)


def test_bounded_handoff_keeps_bound(world):
    async def taker(w, sem):
        await w.acquire(sem)
        w.release(sem)

    async def body(w):
        sem = BoundedSemaphore(1, 1)
        await w.acquire(sem)
        handle = await w.spawn(taker, sem)
        await wait_until(w, lambda: sem.waiting == 1)
        sem.release()
        await handle.join()
        assert sem.value == 1
        with pytest.raises(RuntimeError):
            sem.release()

    world.run(body)


def test_cancel_returns_nothing(world):
    if not world.can_cancel:
        pytest.skip("threads cannot be cancelled")

    async def body(w):
        sem = Semaphore(0)
        async with w.cancel_after(0.02) as scope:
            await w.acquire(sem)
        assert scope.cancelled and sem.waiting == 0 and sem.value == 0
        sem.release()
        assert sem.value == 1

    world.run(body)


def test_pickle_copy_repr():
    sem = BoundedSemaphore(2, 5)
    sem.green_acquire()
    for clone in (pickle.loads(pickle.dumps(sem)), copy.copy(sem)):
        assert type(clone) is BoundedSemaphore
        assert (clone.initial_value, clone.max_value, clone.value) == (2, 5, 2)
    assert repr(sem) == f"<aiologic.BoundedSemaphore(2, max_value=5) at {id(sem):#x} [value=1]>"
    plain = Semaphore(0)
    assert repr(plain) == f"<aiologic.Semaphore(0) at {id(plain):#x} [value=0, waiting=0]>"
    assert type(pickle.loads(pickle.dumps(BoundedBinarySemaphore()))) is BoundedBinarySemaphore
    three = Semaphore(3)
    three.green_acquire()
    assert pickle.loads(pickle.dumps(three)).value == 3
    assert aiologic.Semaphore.__module__ == "aiologic"
