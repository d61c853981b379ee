"""Signal safety: a signal handler that sets an event wakes whoever waits."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

import aiologic
from aiologic.lowlevel import (
    AsyncLibraryNotFoundError,
    current_async_library,
    current_green_library,
    disable_signal_safety,
    enable_signal_safety,
    signal_safety_enabled,
)

posix_signals = pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="needs POSIX signals")


def test_forms_and_context():
    assert signal_safety_enabled() is False
    with enable_signal_safety() as value:
        assert value is True and signal_safety_enabled()
        with disable_signal_safety() as off:
            assert off is False and not signal_safety_enabled()
        assert signal_safety_enabled()
        # detection acts as outside any library
        assert current_green_library() == "threading"
        assert current_async_library(failsafe=True) is None
    assert signal_safety_enabled() is False

    @enable_signal_safety
    def handler():
        return signal_safety_enabled()

    assert handler() is True and handler.__name__ == "handler" and not signal_safety_enabled()


def test_async_forms_and_detection():
    import asyncio

    @enable_signal_safety
    async def coroutine_function():
        return signal_safety_enabled(), current_async_library(failsafe=True)

    async def plain():
        return signal_safety_enabled()

    async def main():
        assert await coroutine_function() == (True, None)
        assert await enable_signal_safety(plain()) is True
        async with enable_signal_safety() as value:
            assert value is True
            with pytest.raises(AsyncLibraryNotFoundError):
                current_async_library()
        assert current_async_library() == "asyncio"
        assert await plain() is False

    asyncio.run(main())


class SignalSetter:
    """Installs a SIGUSR1 handler that sets `event` (with signal safety
    enabled) and sends the signal to the main thread from a timer."""

    def __init__(self, event, delay=0.05, safety=True):
        self.event = event
        self.delay = delay
        self.safety = safety
        self.handled = 0

    def handler(self, signum, frame):
        self.handled += 1
        if self.safety:
            with enable_signal_safety():
                self.event.set()
        else:
            self.event.set()

    def __enter__(self):
        self.previous = signal.signal(signal.SIGUSR1, self.handler)
        main = threading.main_thread().ident
        self.timer = threading.Timer(self.delay, signal.pthread_kill, (main, signal.SIGUSR1))
        self.timer.start()
        self.start = time.monotonic()
        return self

    def __exit__(self, *exc_info):
        self.timer.cancel()
        self.timer.join(10)
        signal.signal(signal.SIGUSR1, self.previous)


def _in_main_thread():
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers run in the main thread only")


@posix_signals
def test_signal_wakes_asyncio_task():
    import asyncio

    pytest.importorskip("aiologic_asyncio")
    _in_main_thread()
    event = aiologic.Event()

    async def main():
        with SignalSetter(event) as setter:
            assert await event.with_(5) is True
            return time.monotonic() - setter.start, setter.handled

    elapsed, handled = asyncio.run(main())
    assert handled == 1 and elapsed < 1


@posix_signals
def test_signal_wakes_trio_task():
    trio = pytest.importorskip("trio")
    pytest.importorskip("aiologic_trio")
    _in_main_thread()
    event = aiologic.Event()

    async def main():
        with SignalSetter(event) as setter:
            assert await event.with_(5) is True
            return time.monotonic() - setter.start, setter.handled

    elapsed, handled = trio.run(main)
    assert handled == 1 and elapsed < 1


@posix_signals
def test_signal_wakes_the_blocked_main_thread():
    _in_main_thread()
    event = aiologic.Event()
    with SignalSetter(event) as setter:
        assert event.wait(5) is True
        elapsed = time.monotonic() - setter.start
    assert setter.handled == 1 and elapsed < 1


@posix_signals
def test_signal_wakes_a_blocked_thread():
    _in_main_thread()
    event = aiologic.Event()
    results = []
    waiter = threading.Thread(target=lambda: results.append(event.wait(5)))
    waiter.start()
    with SignalSetter(event) as setter:
        while setter.handled == 0 and time.monotonic() - setter.start < 5:
            time.sleep(0.01)  # the main thread idles; the handler runs here
        waiter.join(5)
        elapsed = time.monotonic() - setter.start
    assert results == [True] and elapsed < 1


@posix_signals
@pytest.mark.parametrize("safety", [True, False], ids=["safety", "no-safety"])
def test_signal_lands_in_a_busy_loop(safety):
    """The handler interrupts a task step of the waiting task's own loop (a
    task that spins); with or without signal safety, the wake-up arrives."""
    import asyncio

    pytest.importorskip("aiologic_asyncio")
    _in_main_thread()
    event = aiologic.Event()

    async def busy():
        while not event.is_set():
            await asyncio.sleep(0)

    async def main():
        with SignalSetter(event, safety=safety) as setter:
            spinner = asyncio.ensure_future(busy())
            assert await event.with_(5) is True
            await spinner
            return setter.handled

    assert asyncio.run(main()) == 1


@posix_signals
@pytest.mark.parametrize("safety", [True, False], ids=["safety", "no-safety"])
def test_signal_lands_in_a_busy_trio_run(safety):
    trio = pytest.importorskip("trio")
    pytest.importorskip("aiologic_trio")
    _in_main_thread()
    event = aiologic.Event()

    async def busy():
        while not event.is_set():
            await trio.sleep(0)

    async def main():
        with SignalSetter(event, safety=safety) as setter:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(busy)
                assert await event.with_(5) is True
            return setter.handled

    assert trio.run(main) == 1


@posix_signals
def test_signal_handler_sets_a_low_level_event_for_an_asyncio_task():
    """Straight to the waiter: the handler's `set()` interrupts the loop in
    whatever it is doing, and the wake-up still arrives."""
    import asyncio

    from aiologic.lowlevel import create_async_event

    pytest.importorskip("aiologic_asyncio")
    _in_main_thread()
    event = create_async_event()

    async def busy():
        # keep the loop stepping tasks, so that the signal may land in one
        while not event.is_set():
            await asyncio.sleep(0)

    async def main():
        with SignalSetter(event):
            spinner = asyncio.ensure_future(busy())
            assert await event.with_(5) is True
            await spinner

    asyncio.run(main())


@pytest.mark.skipif(not hasattr(os, "getpid"), reason="")
def test_finalizer_with_signal_safety_wakes_an_asyncio_task():
    import asyncio
    import gc

    pytest.importorskip("aiologic_asyncio")
    event = aiologic.Event()

    class Wakes:
        @enable_signal_safety
        def __del__(self):
            event.set()

    async def drop():
        Wakes()  # finalized inside a task of the waiting loop
        gc.collect()

    async def main():
        helper = asyncio.ensure_future(drop())
        assert await event.with_(5) is True
        await helper

    asyncio.run(main())
