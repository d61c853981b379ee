"""The wait queue: hand-offs with values, give-ups, counts, transfers."""

from __future__ import annotations

import asyncio
import sys
import threading
import time

import pytest

from aiologic._waitqueue import TIMED_OUT, WaitQueue, queue_of
from aiologic.lowlevel._events import _GreenEvent


def park_in_thread(queue, results, **kwargs):
    thread = threading.Thread(target=lambda: results.append(queue.green_park(**kwargs)))
    thread.start()
    return thread


def wait_until(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.001)


def test_unpark_hands_values_oldest_first_and_counts_hand_offs():
    queue = WaitQueue()
    results = []
    threads = []
    for i in range(3):
        threads.append(park_in_thread(queue, results, payload=i, timeout=10))
        wait_until(lambda: len(queue) == i + 1)
    assert queue.payloads() == [0, 1, 2]
    assert queue.unpark(2, "item") == 2
    assert len(queue) == 1 and queue.payloads() == [2]
    assert queue.unpark_all("last") == 1
    for thread in threads:
        thread.join(10)
    assert sorted(results) == ["item", "item", "last"] and len(queue) == 0
    assert queue.unpark() == 0 and queue.pop() is None


def test_a_give_up_leaves_the_count_exact_and_is_skipped_by_wakers():
    queue = WaitQueue()
    results = []
    early = park_in_thread(queue, results, payload="early", timeout=0.05)
    wait_until(lambda: len(queue) == 1)
    late = park_in_thread(queue, results, payload="late", timeout=10)
    early.join(10)
    # (On a loaded machine the early waiter may give up before the late one
    # parks: either way, only the late one is left, and counted.)
    wait_until(lambda: queue.payloads() == ["late"])
    assert results == [TIMED_OUT] and len(queue) == 1
    assert queue.unpark(1, "x") == 1
    late.join(10)
    assert results == [TIMED_OUT, "x"]


def test_many_give_ups_cost_constant_time_each():
    # Removing a given-up waiter does not scan the queue: 20 000 waiters that
    # give up in the reverse order of parking take no quadratic time.
    queue = WaitQueue()

    async def main():
        tasks = [asyncio.ensure_future(queue.async_park(i)) for i in range(20000)]
        await asyncio.sleep(0)
        assert len(queue) == 20000
        for task in reversed(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        assert len(queue) == 0

    start = time.monotonic()
    asyncio.run(main())
    assert time.monotonic() - start < 20  # generous: a quadratic removal takes minutes


def test_a_hand_off_that_reaches_a_cancelled_waiter_is_given_back():
    queue = WaitQueue()
    lost = []

    async def main():
        task = asyncio.ensure_future(queue.async_park("p", on_lost=lost.append))
        await asyncio.sleep(0)
        assert queue.unpark(1, "the item") == 1  # handed over...
        task.cancel()  # ...and cancelled before the task runs
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert lost == ["the item"] and len(queue) == 0


def test_recheck_runs_after_the_entry_is_in():
    queue = WaitQueue()
    seen = []

    def recheck():
        seen.append(len(queue))
        queue.unpark(1, "from recheck")

    assert queue.green_park("p", recheck=recheck) == "from recheck"
    assert seen == [1] and len(queue) == 0


def test_a_failing_recheck_leaves_the_queue():
    queue = WaitQueue()

    def recheck():
        raise KeyError("boom")

    with pytest.raises(KeyError):
        queue.green_park("p", recheck=recheck)
    assert len(queue) == 0


def test_transfer_moves_the_oldest_in_order_and_give_ups_find_their_entry():
    source, target = WaitQueue(), WaitQueue()
    results = []
    threads = []
    for i in range(3):
        threads.append(park_in_thread(source, results, payload=i, timeout=10 if i != 1 else 0.3))
        wait_until(lambda: len(source) == i + 1)
    assert source.transfer(target, 2) == 2
    assert source.payloads() == [2] and target.payloads() == [0, 1]
    threads[1].join(10)  # gave up while in the target queue
    assert results == [TIMED_OUT] and len(target) == 1
    assert target.unpark_all("a") == 1 and source.unpark_all("b") == 1
    for thread in threads:
        thread.join(10)
    assert sorted(map(str, results[1:])) == ["a", "b"]


def test_queue_of_creates_one_queue_per_holder():
    holder = []
    assert queue_of(holder) is queue_of(holder) and len(holder) == 1


@pytest.mark.stress
def test_entries_in_and_out_from_several_threads_at_once():
    """Parking, giving up and taking the oldest, from three threads at once
    with a thread switch after every few bytecodes: no operation fails or
    finds the queue empty while it is not. (PyPy's OrderedDict, written in
    Python, did both when two threads changed it together.)"""
    queue = WaitQueue()
    parked = queue._parked
    errors = []
    rounds = 20000

    def in_and_out():
        try:
            for _ in range(rounds):
                event = _GreenEvent()
                parked[event] = None
                parked.pop(event, None)
        except BaseException as exc:  # pragma: no cover - the failure
            errors.append(exc)

    def oldest_out():
        try:
            for _ in range(rounds):
                parked[_GreenEvent()] = None
                if queue.pop() is None:
                    errors.append("empty while an entry was in")
        except BaseException as exc:  # pragma: no cover - the failure
            errors.append(exc)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=f) for f in (in_and_out, in_and_out, oldest_out)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
