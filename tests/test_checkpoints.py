"""Checkpoints on the threading and asyncio backends."""

from __future__ import annotations

import asyncio

import pytest

import aiologic
from aiologic.lowlevel import (
    async_checkpoint_enabled,
    disable_checkpoints,
    enable_checkpoints,
    green_checkpoint_enabled,
)


def test_off_by_default_for_asyncio():
    async def main():
        assert not async_checkpoint_enabled()
        lock = aiologic.Lock()
        task = asyncio.current_task()
        task.cancel()
        # not a checkpoint: the uncontended acquire completes
        async with lock:
            assert lock.locked()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.sleep(0)

    asyncio.run(main())


def test_enabled_acquire_is_a_cancel_point():
    async def main():
        lock = aiologic.Lock()
        sem = aiologic.Semaphore(1)
        async with enable_checkpoints() as value:
            assert value is True and async_checkpoint_enabled()
            for primitive in (lock, sem):
                asyncio.current_task().cancel()
                with pytest.raises(asyncio.CancelledError):
                    await primitive.async_acquire()
                if hasattr(asyncio.current_task(), "uncancel"):
                    asyncio.current_task().uncancel()
            assert not lock.locked() and sem.value == 1  # no effect
        assert not async_checkpoint_enabled()

    asyncio.run(main())


def test_context_manager_nesting_and_green():
    assert not green_checkpoint_enabled()
    with enable_checkpoints() as on:
        assert on is True and green_checkpoint_enabled()
        with disable_checkpoints() as off:
            assert off is False and not green_checkpoint_enabled()
        assert green_checkpoint_enabled()
        with aiologic.Lock():  # a threading checkpoint yields, then goes on
            pass
    assert not green_checkpoint_enabled()


def test_wrappers():
    @enable_checkpoints
    def green():
        return green_checkpoint_enabled()

    @enable_checkpoints
    async def coroutine_function():
        return async_checkpoint_enabled()

    async def plain():
        return async_checkpoint_enabled()

    assert green() is True and green.__name__ == "green"
    assert asyncio.run(coroutine_function()) is True
    assert asyncio.run(enable_checkpoints(plain())) is True
    assert asyncio.run(plain()) is False
