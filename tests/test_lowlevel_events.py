"""Low-level events and waiters."""

from __future__ import annotations

import asyncio
import pickle
import threading
import time

import pytest

from aiologic.lowlevel import (
    AsyncEvent,
    GreenEvent,
    create_async_event,
    create_async_waiter,
    create_green_event,
    create_green_waiter,
)


def test_green_event_set_before_wait():
    event = create_green_event()
    assert isinstance(event, GreenEvent)
    assert repr(event).endswith(": unset>") and repr(event).startswith("<aiologic.lowlevel.GreenEvent object at 0x")
    assert event.set() is True and event.set() is False
    assert event.is_set() and event and not event.cancelled()
    assert event.wait() is True and event.wait(0) is True


def test_green_event_timeout_then_set():
    event = create_green_event()
    start = time.monotonic()
    assert event.wait(0.02) is False
    assert time.monotonic() - start >= 0.02
    assert event.cancelled() and not event.is_set() and not event
    assert event.set() is False  # after a cancelled wait
    assert event.wait() is False  # the recorded outcome
    assert repr(event).endswith(": cancelled>")


def test_green_event_cross_thread():
    event = create_green_event()
    timer = threading.Timer(0.02, event.set)
    timer.start()
    assert event.wait(10) is True
    timer.join()


def test_second_wait_while_waiting_raises():
    event = create_green_event()
    errors = []
    thread = threading.Thread(target=event.wait)
    thread.start()
    while event._waiter is None:
        time.sleep(0.001)
    try:
        event.wait()
    except RuntimeError as exc:
        errors.append(exc)
    event.set()
    thread.join()
    assert errors


def test_not_picklable_and_abstract():
    with pytest.raises(TypeError):
        pickle.dumps(create_green_event())
    with pytest.raises(TypeError):
        GreenEvent()
    with pytest.raises(TypeError):
        AsyncEvent()


def test_async_event():
    async def main():
        event = create_async_event()
        assert isinstance(event, AsyncEvent)
        asyncio.get_running_loop().call_later(0.01, event.set)
        assert await event is True
        late = create_async_event()
        assert await late.with_(0.01) is False and late.cancelled()
        cancelled = create_async_event()
        task = asyncio.ensure_future(cancelled.with_())
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert cancelled.cancelled() and cancelled.set() is False

    asyncio.run(main())


def test_async_event_set_from_thread():
    async def main():
        event = create_async_event()
        threading.Timer(0.01, event.set).start()
        assert await event.with_(10) is True

    asyncio.run(main())


def test_waiters():
    waiter = create_green_waiter()
    waiter.wake()
    assert waiter.wait(1) is True
    assert create_green_waiter().wait(0.01) is False

    async def main():
        waiter = create_async_waiter()
        asyncio.get_running_loop().call_soon(waiter.wake)
        assert await waiter is True
        assert await create_async_waiter().with_(0.01) is False
        shielded = create_async_waiter(shield=True)
        task = asyncio.ensure_future(shielded.with_(0.001))
        await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.sleep(0.01)
        assert not task.done()  # shielded: ignores the timeout and the cancel
        shielded.wake()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
