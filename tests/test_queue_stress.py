"""Queues under pressure: many items from producers in several worlds to
consumers in several worlds, while waiters time out and are cancelled at
random. Every item must arrive exactly once (and, with one producer and one
consumer, in order); a cancelled or timed-out put must never insert.

The full size (10**6 items per queue kind) runs on CPython 3.11 only; other
interpreters run a smaller size (AIOLOGIC_STRESS_ITEMS overrides both).
"""

from __future__ import annotations

import asyncio
import os
import platform
import random
import sys
import threading
import time

import pytest

import aiologic
from aiologic import LifoQueue, PriorityQueue, Queue, QueueEmpty, QueueFull, SimpleLifoQueue, SimpleQueue

trio = pytest.importorskip("trio")

# Seconds per test: 20-60 s each at full size on CPython 3.11 here.
pytestmark = [pytest.mark.stress, pytest.mark.timeout(600)]

FULL = platform.python_implementation() == "CPython" and sys.version_info[:2] == (3, 11)
ITEMS = int(os.environ.get("AIOLOGIC_STRESS_ITEMS", 10**6 if FULL else 15_000))
MAXSIZE = 64
STOP = (float("inf"), -1)  # sorts after every item: a priority queue serves it last


@pytest.fixture
def pressure():
    """Switch threads as often as CPython allows, to provoke races."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def make(cls):
    return cls(maxsize=MAXSIZE) if cls in (Queue, LifoQueue, PriorityQueue) else cls()


# -- producers: each puts its items (source, 0), (source, 1)... ---------------------
# A put that times out or is cancelled is retried: if it had inserted its item
# anyway, the item would arrive twice.


def thread_producer(queue, source, count, seed):
    rng = random.Random(seed)
    for seq in range(count):
        while True:
            try:
                queue.green_put((source, seq), timeout=rng.choice((None, 0, 0.0001, 0.001)))
            except QueueFull:
                continue
            break


def asyncio_producer(queue, source, count, seed):
    async def main():
        rng = random.Random(seed)
        for seq in range(count):
            while True:
                roll = rng.random()
                try:
                    if roll < 0.05:  # cancelled by wait_for's timer
                        await asyncio.wait_for(queue.async_put((source, seq)), rng.choice((0.0001, 0.001)))
                    elif roll < 0.1:
                        await queue.async_put((source, seq), timeout=0.0001)
                    else:
                        await queue.async_put((source, seq))
                except (QueueFull, asyncio.TimeoutError):
                    continue
                break

    asyncio.run(main())


def trio_producer(queue, source, count, seed):
    async def main():
        rng = random.Random(seed)
        for seq in range(count):
            done = False
            while not done:
                with trio.move_on_after(rng.choice((0.0001, 0.001, 10))):
                    await queue.async_put((source, seq))
                    done = True

    trio.run(main)


# -- consumers: each collects items until it gets STOP ---------------------------


def thread_consumer(queue, received, seed):
    rng = random.Random(seed)
    while True:
        try:
            item = queue.green_get(timeout=rng.choice((None, 0, 0.0001, 0.001)))
        except QueueEmpty:
            continue
        if item == STOP:
            return
        received.append(item)


def asyncio_consumers(queue, lists, seed):
    asyncio.run(asyncio_consumers_main(queue, lists, seed))


async def asyncio_consumers_main(queue, lists, seed):
    """One consumer task per list, and a chaos task that cancels them at
    random while they wait; a cancelled consumer goes on (the item it was
    handed, if any, must have gone back to the queue). Some gets also time
    out, or are cancelled by `wait_for`'s timer."""

    async def consumer(received, rng):
        while True:
            roll = rng.random()
            try:
                if roll < 0.05:
                    item = await asyncio.wait_for(queue.async_get(), rng.choice((0.0001, 0.001)))
                elif roll < 0.1:
                    item = await queue.async_get(timeout=0.0001)
                else:
                    item = await queue.async_get()
            except (QueueEmpty, asyncio.TimeoutError):
                continue
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if hasattr(task, "uncancel"):
                    task.uncancel()
                continue
            if item == STOP:
                return
            received.append(item)

    rng = random.Random(seed)
    tasks = [asyncio.ensure_future(consumer(lst, random.Random(seed + i))) for i, lst in enumerate(lists)]
    while not all(task.done() for task in tasks):
        await asyncio.sleep(rng.choice((0, 0.0001, 0.001)))
        if queue.getting:
            victim = rng.choice(tasks)
            if not victim.done():
                victim.cancel()
    for task in tasks:
        await task


def trio_consumer(queue, received, seed):
    async def main():
        rng = random.Random(seed)
        while True:
            with trio.move_on_after(rng.choice((0.0001, 0.001, 10))):
                item = await queue.async_get()
                if item == STOP:
                    return
                received.append(item)

    trio.run(main)


def run_threads(targets):
    threads = [threading.Thread(target=target, args=args, daemon=True) for target, *args in targets]
    for thread in threads:
        thread.start()
    return threads


def join_all(threads, seconds):
    for thread in threads:
        thread.join(seconds)
    alive = [thread for thread in threads if thread.is_alive()]
    assert not alive, f"{len(alive)} threads still running"


@pytest.mark.parametrize("cls", [SimpleQueue, SimpleLifoQueue, Queue, LifoQueue, PriorityQueue])
def test_every_item_exactly_once(cls, pressure):
    queue = make(cls)
    per_producer = ITEMS // 3
    producers = run_threads(
        [
            (thread_producer, queue, 0, per_producer, 1),
            (asyncio_producer, queue, 1, per_producer, 2),
            (trio_producer, queue, 2, per_producer, 3),
        ]
    )
    thread_received, trio_received = [], []
    asyncio_received = [[], [], []]
    consumers = run_threads(
        [
            (thread_consumer, queue, thread_received, 4),
            (asyncio_consumers, queue, asyncio_received, 5),
            (trio_consumer, queue, trio_received, 9),
        ]
    )
    join_all(producers, 600)
    # STOP goes in behind every item (on top of them, in a LIFO queue, it
    # would stop consumers early). An item that a cancelled getter gives
    # back later goes back ahead of STOP.
    deadline = time.monotonic() + 60
    while queue:
        assert time.monotonic() < deadline, "the consumers stopped consuming"
        time.sleep(0.001)
    for _ in range(5):  # one STOP per consumer: thread, 3 asyncio tasks, trio
        queue.green_put(STOP)
    join_all(consumers, 60)
    received = thread_received + trio_received + [item for lst in asyncio_received for item in lst]
    assert len(received) == 3 * per_producer
    assert sorted(received) == [(source, seq) for source in range(3) for seq in range(per_producer)]
    assert len(queue) == 0 and queue.waiting == 0
    if cls in (Queue, LifoQueue, PriorityQueue):
        for i in range(MAXSIZE):  # every place came back, none was made
            queue.green_put(i, blocking=False)
        with pytest.raises(QueueFull):
            queue.green_put(-1, blocking=False)


@pytest.mark.parametrize("cls", [SimpleQueue, Queue])
def test_one_producer_one_consumer_in_order(cls, pressure):
    """A thread puts, an asyncio task gets with random timeouts and
    cancellations: the items arrive in the order they were put."""
    queue = make(cls)
    count = ITEMS // 5
    received = []

    async def consume():
        # The consumer of `asyncio_consumers`, alone with its chaos task.
        await asyncio_consumers_main(queue, [received], 7)

    def produce():
        # Slower than the consumer, so that it often waits for an item.
        rng = random.Random(8)
        for seq in range(count):
            queue.green_put((0, seq))
            if rng.random() < 0.5:
                time.sleep(0)

    producer = run_threads([(produce,)])
    consumer = run_threads([(lambda: asyncio.run(consume()),)])
    join_all(producer, 600)
    queue.green_put(STOP)
    join_all(consumer, 60)
    assert received == [(0, seq) for seq in range(count)]
