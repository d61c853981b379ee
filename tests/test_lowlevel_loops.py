"""More asyncio event loops: uvloop, and trio-asyncio's asyncio mode inside a
trio run (which counts as asyncio)."""

from __future__ import annotations

import pytest

import aiologic
from aiologic.lowlevel import (
    async_clock,
    async_sleep,
    create_async_event,
    current_async_library,
    current_async_task_ident,
    current_async_token,
)


def test_uvloop_world_runs_on_uvloop():
    pytest.importorskip("uvloop")
    pytest.importorskip("aiologic_asyncio")
    from aiologic_testing.worlds import make_world

    async def body(w):
        import asyncio

        loop = asyncio.get_running_loop()
        assert type(loop).__module__.startswith("uvloop")
        assert current_async_library() == "asyncio" and current_async_token() is loop
        start = async_clock()
        await async_sleep(0.02)
        assert async_clock() - start >= 0.02 - 0.005
        event = aiologic.Event()
        loop.call_later(0.01, event.set)
        assert await event.with_(5) is True

    make_world("uvloop").run(body)


def test_uvloop_wake_from_another_thread():
    uvloop = pytest.importorskip("uvloop")
    pytest.importorskip("aiologic_asyncio")
    import threading

    event = create_async_event()

    async def main():
        timer = threading.Timer(0.02, event.set)
        timer.start()
        try:
            return await event.with_(5)
        finally:
            timer.join()

    loop = uvloop.new_event_loop()
    try:
        assert loop.run_until_complete(main()) is True
    finally:
        loop.close()


# Run in a fresh interpreter: trio-asyncio replaces asyncio's running-loop
# functions when it is imported, so what the process imported before matters.
TRIO_ASYNCIO_PROGRAM = """
import sys
import aiologic  # imports no event-loop library, loads no backend
if sys.argv[1] == "backend-first":
    import asyncio, aiologic
    from aiologic.lowlevel import create_async_event

    async def warm_up():  # loads aiologic's asyncio backend
        event = create_async_event()
        asyncio.get_running_loop().call_soon(event.set)
        await event

    asyncio.run(warm_up())

import asyncio
import trio
import trio_asyncio

import aiologic
from aiologic.lowlevel import current_async_library, current_async_task_ident

lock = aiologic.Lock()
event = aiologic.Event()
seen = {}


async def asyncio_side():
    seen["asyncio"] = current_async_library()
    seen["asyncio ident"] = current_async_task_ident()
    async with lock:  # taken by an asyncio task of the trio thread
        seen["owner"] = lock.owner
        await asyncio.sleep(0.05)
    assert await event.with_(5) is True  # set by a trio task
    return "done"


async def trio_side():
    seen["trio"] = current_async_library()
    await trio.sleep(0.01)
    async with lock:  # waits for the asyncio task to release it
        seen["trio owner"] = lock.owner
    event.set()


async def main():
    with trio.fail_after(10):
        async with trio_asyncio.open_loop():
            async with trio.open_nursery() as nursery:
                nursery.start_soon(trio_side)
                assert await trio_asyncio.aio_as_trio(asyncio_side)() == "done"


trio.run(main)
assert seen["asyncio"] == "asyncio" and seen["trio"] == "trio", seen
assert seen["owner"] == seen["asyncio ident"] and seen["owner"][0] == "asyncio", seen
assert seen["trio owner"][0] == "trio", seen
assert not lock.locked()
print("ok")
"""


def _run_trio_asyncio(order):
    import subprocess
    import sys

    pytest.importorskip("trio_asyncio")
    pytest.importorskip("aiologic_trio")
    pytest.importorskip("aiologic_asyncio")
    result = subprocess.run(
        [sys.executable, "-c", TRIO_ASYNCIO_PROGRAM, order], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-3000:]


def test_trio_asyncio_mode_counts_as_asyncio():
    """An asyncio task in trio-asyncio's asyncio mode and a trio task of the
    same thread share a Lock and an Event; each is seen as its library."""
    _run_trio_asyncio("trio-asyncio-first")


def test_trio_asyncio_imported_after_the_asyncio_backend_loaded():
    # trio-asyncio replaces asyncio's running-loop functions when it is
    # imported: the backend looks them up at each call, not at its load.
    _run_trio_asyncio("backend-first")
