"""Lock in every world."""

from __future__ import annotations

import copy
import gc
import pickle
import time
import weakref

import pytest

import aiologic



def test_basic(world):
    async def body(w):
        lock = aiologic.Lock()
        assert not lock.locked() and not lock and lock.owner is None
        assert await w.acquire(lock) is True
        assert lock.locked() and bool(lock)
        assert lock.owner[0] == w.library
        assert w.owned(lock)
        assert "[locked, waiting=0]" in repr(lock)
        w.release(lock)
        assert not lock.locked() and lock.owner is None
        assert not w.owned(lock)
        async with w.hold(lock) as bound:
            assert bound is lock
            assert w.owned(lock)
        assert not lock.locked()

    world.run(body)


def test_errors(world):
    async def body(w):
        lock = aiologic.Lock()
        with pytest.raises(RuntimeError, match="release unlocked lock"):
            w.release(lock)
        await w.acquire(lock)
        for kwargs in ({}, {"blocking": False}, {"timeout": 0}, {"timeout": 1}):
            with pytest.raises(RuntimeError, match="the current task is already holding this lock"):
                await w.acquire(lock, **kwargs)
        assert lock.locked() and w.owned(lock)
        with pytest.raises(ValueError, match="timeout must be non-negative"):
            await w.acquire(lock, timeout=-1)
        w.release(lock)
        with pytest.raises(ValueError, match="timeout must be non-negative"):
            await w.acquire(lock, timeout=-1)
        with pytest.raises(ValueError, match="non-NaN"):
            await w.acquire(lock, timeout=float("nan"))
        with pytest.raises(TypeError):
            await w.acquire(lock, timeout="1")
        with pytest.raises(TypeError):
            await w.acquire(lock, timeout=True)
        assert not lock.locked()

    world.run(body)


def test_release_by_non_owner(world):
    async def holder(w, lock, acquired, done):
        await w.acquire(lock)
        acquired.set()
        await w.wait(done, 10)
        w.release(lock)

    async def body(w):
        lock = aiologic.Lock()
        acquired, done = aiologic.Event(), aiologic.Event()
        handle = await w.spawn(holder, lock, acquired, done)
        assert await w.wait(acquired, 10)
        owner = lock.owner
        with pytest.raises(RuntimeError, match="the current task is not holding this lock"):
            w.release(lock)
        assert lock.locked() and lock.owner == owner and not w.owned(lock)
        done.set()
        await handle.join()
        assert not lock.locked()

    world.run(body)


def test_nonblocking_and_timeout(world):
    async def holder(w, lock, acquired, done):
        await w.acquire(lock)
        acquired.set()
        await w.wait(done, 10)
        w.release(lock)

    async def body(w):
        lock = aiologic.Lock()
        acquired, done = aiologic.Event(), aiologic.Event()
        handle = await w.spawn(holder, lock, acquired, done)
        await w.wait(acquired, 10)
        assert await w.acquire(lock, blocking=False) is False
        assert await w.acquire(lock, timeout=0) is False
        start = time.monotonic()
        assert await w.acquire(lock, timeout=0.05) is False
        assert time.monotonic() - start >= 0.05
        assert lock.waiting == 0
        done.set()
        await handle.join()
        assert not lock.locked() and lock.owner is None
        assert await w.acquire(lock, timeout=0.05) is True
        w.release(lock)

    world.run(body)


def test_fifo_and_handoff(world):
    async def waiter(w, lock, order, index):
        await w.acquire(lock)
        order.append(index)
        w.release(lock)

    async def body(w):
        lock = aiologic.Lock()
        order = []
        await w.acquire(lock)
        handles = []
        for index in range(5):
            handles.append(await w.spawn(waiter, lock, order, index))
            deadline = time.monotonic() + 10
            while lock.waiting < index + 1:  # queue them in a known order
                assert time.monotonic() < deadline
                await w.sleep(0.001)
        w.release(lock)
        # the hand-off happens inside release(): the first waiter owns it now
        assert lock.locked() and lock.owner is not None and not w.owned(lock)
        assert await w.acquire(lock, blocking=False) is False
        for handle in handles:
            await handle.join()
        assert order == list(range(5))
        assert not lock.locked() and lock.waiting == 0

    world.run(body)


def test_cancel_waiter(world):
    if not world.can_cancel:
        pytest.skip("threads cannot be cancelled")

    async def holder(w, lock, acquired, done):
        await w.acquire(lock)
        acquired.set()
        await w.wait(done, 10)
        w.release(lock)

    async def body(w):
        lock = aiologic.Lock()
        acquired, done = aiologic.Event(), aiologic.Event()
        handle = await w.spawn(holder, lock, acquired, done)
        await w.wait(acquired, 10)
        async with w.cancel_after(0.05) as scope:
            await w.acquire(lock)
        assert scope.cancelled
        assert lock.waiting == 0
        done.set()
        await handle.join()
        assert not lock.locked() and lock.owner is None
        assert await w.acquire(lock, blocking=False)
        w.release(lock)

    world.run(body)


def test_pickle_copy_weakref():
    lock = aiologic.Lock()
    lock.green_acquire()
    for clone in (pickle.loads(pickle.dumps(lock)), copy.copy(lock)):
        assert type(clone) is aiologic.Lock and not clone.locked()
    ref = weakref.ref(lock)
    lock.green_release()
    del lock
    gc.collect()  # PyPy frees objects only when it collects
    assert ref() is None

    mine = MyLock()
    assert type(pickle.loads(pickle.dumps(mine))) is MyLock
    assert repr(mine).startswith(f"<{__name__}.MyLock() at ")


class MyLock(aiologic.Lock):
    pass


def test_async_release_outside_loop():
    lock = aiologic.Lock()
    with pytest.raises(RuntimeError, match="release unlocked lock"):
        lock.async_release()
    lock.green_acquire()
    with pytest.raises(aiologic.lowlevel.AsyncLibraryNotFoundError):
        lock.async_release()
    lock.green_release()


def test_repr():
    lock = aiologic.Lock()
    assert repr(lock) == f"<aiologic.Lock() at {id(lock):#x} [unlocked]>"
    lock.green_acquire()
    assert repr(lock) == f"<aiologic.Lock() at {id(lock):#x} [locked, waiting=0]>"


def test_mixed_deadlock_is_an_error():
    # A plain thread blocking on a lock held by an async task of
    # its own thread raises instead of hanging, whatever blocking/timeout say.
    import asyncio

    async def main():
        lock = aiologic.Lock()
        await lock.async_acquire()
        for kwargs in ({}, {"timeout": 1}, {"timeout": 0}, {"blocking": False}):
            with pytest.raises(RuntimeError, match="the current thread is already holding this lock"):
                lock.green_acquire(**kwargs)
        assert lock.async_owned() and lock.waiting == 0
        lock.async_release()
        assert lock.green_acquire(timeout=0)
        lock.green_release()

    asyncio.run(main())


def test_release_by_a_task_of_another_thread_is_refused(world_a, world_b):
    """The owner check on release asks the owner's own library whether the
    owner is running: a task of another thread (another loop, another
    library) is refused, whatever it runs in."""
    from worlds import run_in_threads

    lock = aiologic.Lock()
    acquired, tried = aiologic.Event(), aiologic.Event()
    seen = {}

    async def holder(w):
        await w.acquire(lock)
        seen["owner"] = lock.owner
        acquired.set()
        assert await w.wait(tried, 10)
        assert w.owned(lock)
        w.release(lock)

    async def intruder(w):
        assert await w.wait(acquired, 10)
        assert not w.owned(lock)
        with pytest.raises(RuntimeError, match="the current task is not holding this lock"):
            w.release(lock)
        # leaving a `with` block of the lock, as if we had entered it
        with pytest.raises(RuntimeError, match="the current task is not holding this lock"):
            if w.is_async:
                await lock.__aexit__(None, None, None)
            else:
                lock.__exit__(None, None, None)
        seen["after"] = lock.owner
        tried.set()

    run_in_threads((world_a, holder), (world_b, intruder))
    assert seen["after"] == seen["owner"] is not None
    assert not lock.locked()
