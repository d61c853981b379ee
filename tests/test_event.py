"""Event in every world."""

from __future__ import annotations

import copy
import pickle
import time

import pytest

import aiologic


async def wait_until(w, predicate, seconds=10):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await w.sleep(0.001)


def test_basic(world):
    async def body(w):
        event = aiologic.Event()
        assert not event and not event.is_set()
        start = time.monotonic()
        assert await w.wait(event, 0.05) is False
        assert time.monotonic() - start >= 0.05
        assert await w.wait(event, 0) is False
        assert event.waiting == 0
        event.set()
        assert event and event.is_set()
        assert await w.wait(event) is True
        assert await w.wait(event, 0) is True
        event.set()
        assert event.is_set()

    world.run(body)


def test_set_wakes_all(world):
    async def waiter(w, event, order, index):
        assert await w.wait(event, 10) is True
        order.append(index)

    async def body(w):
        event = aiologic.Event()
        order = []
        handles = []
        for index in range(10):
            handles.append(await w.spawn(waiter, event, order, index))
            await wait_until(w, lambda: event.waiting == index + 1)
        event.set()
        assert event.waiting == 0
        for handle in handles:
            await handle.join()
        assert sorted(order) == list(range(10))
        if w.is_async and w.resumes_in_wake_order:
            assert order == list(range(10))  # wake order is waiting order

    world.run(body)


def test_timeout_validation(world):
    async def body(w):
        event = aiologic.Event()
        event.set()
        with pytest.raises(ValueError):
            await w.wait(event, -1)
        with pytest.raises(TypeError):
            await w.wait(event, "x")

    world.run(body)


def test_cancelled_wait_leaves(world):
    if not world.can_cancel:
        pytest.skip("threads cannot be cancelled")

    async def body(w):
        event = aiologic.Event()
        async with w.cancel_after(0.02) as scope:
            await w.wait(event)
        assert scope.cancelled and event.waiting == 0

    world.run(body)


def test_await_event():
    import asyncio

    async def main():
        event = aiologic.Event()
        asyncio.get_running_loop().call_later(0.01, event.set)
        assert await event is True

    asyncio.run(main())


def test_pickle_copy_repr():
    event = aiologic.Event()
    assert repr(event) == f"<aiologic.Event() at {id(event):#x} [unset, waiting=0]>"
    event.set()
    assert repr(event) == f"<aiologic.Event() at {id(event):#x} [set]>"
    for clone in (pickle.loads(pickle.dumps(event)), copy.copy(event)):
        assert type(clone) is aiologic.Event and not clone.is_set()
