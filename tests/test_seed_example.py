"""The seed's example: two threads, each running anyio.run, four tasks
contending for one aiologic.Lock."""

from __future__ import annotations

import time
from threading import Thread

import pytest

anyio = pytest.importorskip("anyio")

import aiologic  # noqa: E402


def test_seed_example():
    hold = 0.25
    lock = aiologic.Lock()
    state = {"inside": 0, "acquisitions": 0}
    log = []

    async def func(i, j):
        log.append(f"thread={i} task={j} started")
        async with lock:
            state["inside"] += 1
            assert state["inside"] == 1
            state["acquisitions"] += 1
            await anyio.sleep(hold)
            state["inside"] -= 1
        log.append(f"thread={i} task={j} stopped")

    async def main(i):
        async with anyio.create_task_group() as tasks:
            for j in range(2):
                tasks.start_soon(func, i, j)

    errors = []

    def run(i):
        try:
            anyio.run(main, i)
        except BaseException as exc:
            errors.append(exc)

    start = time.monotonic()
    threads = [Thread(target=run, args=[i]) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    elapsed = time.monotonic() - start
    assert not errors
    assert state == {"inside": 0, "acquisitions": 4}
    assert 4 * hold <= elapsed <= 4 * hold + 1
    assert sorted(log) == sorted(f"thread={i} task={j} {what}" for i in range(2) for j in range(2) for what in ("started", "stopped"))
