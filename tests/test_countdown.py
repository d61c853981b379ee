"""CountdownEvent in every world and across worlds."""

from __future__ import annotations

import copy
import gc
import pickle
import random
import sys
import threading
import time
import weakref

import pytest

import aiologic
from aiologic.statistics import CountdownEventStatistics
from worlds import available_worlds, make_world, run_in_threads


async def wait_until(w, predicate, seconds=10):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await w.sleep(0.001)


def test_construction_and_counting():
    assert aiologic.CountdownEvent.__bases__ == (object,)
    assert not isinstance(aiologic.CountdownEvent(), aiologic.Event)
    event = aiologic.CountdownEvent()
    assert event and event.value == 0 and event.initial_value == 0
    event.up()
    assert not event and event.value == 1
    event.up(3)
    event.up(count=0)
    assert event.value == 4
    event.down()
    assert event.value == 3 and not event
    event.clear()
    assert event and event.value == 0
    with pytest.raises(RuntimeError, match=r"down\(\) called too many times"):
        event.down()
    assert event.value == 0
    event.clear()  # at zero: nothing
    assert event.value == 0
    assert aiologic.CountdownEvent(2).value == 2
    assert aiologic.CountdownEvent(initial_value=True).value == 1
    assert not hasattr(event, "set") and not hasattr(event, "is_set")


def test_bad_arguments():
    with pytest.raises(ValueError, match="initial_value"):
        aiologic.CountdownEvent(-1)
    with pytest.raises(TypeError, match="initial_value"):
        aiologic.CountdownEvent(1.0)  # type: ignore[arg-type]
    event = aiologic.CountdownEvent(1)
    with pytest.raises(ValueError, match="count"):
        event.up(-1)
    with pytest.raises(TypeError, match="count"):
        event.up("2")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="count"):
        event.up(1.0)  # type: ignore[arg-type]
    assert event.value == 1
    with pytest.raises(ValueError, match="timeout"):
        event.wait(-1)
    event.clear()
    with pytest.raises(ValueError, match="timeout"):
        event.wait(-1)  # checked also when the call would not wait
    with pytest.raises(TypeError, match="timeout"):
        event.wait("x")  # type: ignore[arg-type]


def test_wait_and_timeouts(world):
    async def body(w):
        event = aiologic.CountdownEvent(1)
        start = time.monotonic()
        assert await w.wait(event, 0.02) is False
        assert time.monotonic() - start >= 0.02
        assert await w.wait(event, 0) is False
        assert event.waiting == 0
        event.down()
        assert await w.wait(event) is True
        assert await w.wait(event, 0) is True
        with pytest.raises(ValueError):
            await w.wait(event, -1)

    world.run(body)


def test_down_to_zero_wakes_all_oldest_first(world):
    async def waiter(w, event, order, index):
        assert await w.wait(event, 10) is True
        order.append(index)

    async def body(w):
        event = aiologic.CountdownEvent(2)
        order = []
        handles = []
        for index in range(5):
            handles.append(await w.spawn(waiter, event, order, index))
            await wait_until(w, lambda: event.waiting == index + 1)
        event.down()
        assert event.waiting == 5 and order == []
        event.down()
        event.up()  # the counter leaves zero at once: the wake-up stands
        assert event.waiting == 0 and event.value == 1
        for handle in handles:
            await handle.join()
        assert sorted(order) == list(range(5))
        if w.is_async and w.resumes_in_wake_order:
            assert order == list(range(5))
        assert await w.wait(event, 0) is False  # a new wait sees value 1

    world.run(body)


def test_clear_wakes_all(world):
    async def body(w):
        event = aiologic.CountdownEvent(3)
        handles = [await w.spawn(lambda w: w.wait(event, 10)) for _ in range(3)]
        await wait_until(w, lambda: event.waiting == 3)
        event.clear()
        assert event.value == 0 and event.waiting == 0
        assert [await handle.join() for handle in handles] == [True] * 3

    world.run(body)


def test_cancelled_waiter_leaves(world):
    if not world.can_cancel:
        pytest.skip("threads cannot be cancelled")

    async def body(w):
        event = aiologic.CountdownEvent(1)
        other = await w.spawn(lambda w: w.wait(event, 10))
        await wait_until(w, lambda: event.waiting == 1)
        async with w.cancel_after(0.02) as scope:
            await w.wait(event)
        assert scope.cancelled and event.waiting == 1
        event.down()
        assert await other.join() is True and event.waiting == 0

    world.run(body)


def test_await_directly():
    import asyncio

    async def main():
        event = aiologic.CountdownEvent(1)
        asyncio.get_running_loop().call_later(0.01, event.down)
        assert await event is True
        assert await event is True

    asyncio.run(main())


def test_timed_out_waiter_woken_in_the_window_returns_true():
    from aiologic_testing.races import pause_before_give_up

    event = aiologic.CountdownEvent(1)
    result = []
    with pause_before_give_up() as pause:
        thread = threading.Thread(target=lambda: result.append(event.wait(0.01)))
        thread.start()
        assert pause.paused.wait(10)
        event.down()
        event.up()
        pause.resume()
        thread.join(10)
    assert result == [True] and event.waiting == 0 and event.value == 1


def test_across_worlds(world_a, world_b):
    event = aiologic.CountdownEvent(3)

    async def waiters(w):
        handles = [await w.spawn(lambda w: w.wait(event, 10)) for _ in range(3)]
        return [await handle.join() for handle in handles]

    async def counter(w):
        await wait_until(w, lambda: event.waiting == 3)
        seen = event.statistics()
        for _ in range(3):
            event.down()
        return seen

    results, seen = run_in_threads((world_a, waiters), (world_b, counter))
    assert results == [True] * 3
    assert seen.is_set is False and seen.value == 3 and len(seen.waiting) == 3
    assert {info.library for info in seen.waiting} == {make_world(world_a).library}
    assert event.statistics() == CountdownEventStatistics(True, 0, ())


def test_concurrent_ups_and_downs_keep_count():
    """Threads raise and lower the counter at once: no update is lost, the
    counter reaches zero once, and that wakes the waiter."""
    threads_count, per_thread = 4, 500
    event = aiologic.CountdownEvent(1)
    woken = []
    waiter = threading.Thread(target=lambda: woken.append(event.wait(10)))
    waiter.start()

    def churn():
        for _ in range(per_thread):
            event.up(2)
            event.down()

    threads = [threading.Thread(target=churn) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert event.value == 1 + threads_count * per_thread and woken == []
    downers = [threading.Thread(target=lambda: [event.down() for _ in range(per_thread)]) for _ in range(threads_count)]
    for thread in downers:
        thread.start()
    for thread in downers:
        thread.join(10)
    assert event.value == 1
    event.down()
    waiter.join(10)
    assert woken == [True] and event.value == 0 and event
    with pytest.raises(RuntimeError):
        event.down()


class MyCountdown(aiologic.CountdownEvent):
    pass


def test_pickle_copy_repr_weakref_statistics():
    event = aiologic.CountdownEvent(2)
    assert repr(event) == f"<aiologic.CountdownEvent(2) at {id(event):#x} [value=2, waiting=0]>"
    assert event.statistics() == CountdownEventStatistics(False, 2, ())
    event.down()
    assert repr(event) == f"<aiologic.CountdownEvent(2) at {id(event):#x} [value=1, waiting=0]>"
    event.down()
    assert repr(event) == f"<aiologic.CountdownEvent(2) at {id(event):#x} [value=0]>"
    assert event.statistics() == CountdownEventStatistics(True, 0, ())
    for clone in (pickle.loads(pickle.dumps(event)), copy.copy(event)):
        assert type(clone) is aiologic.CountdownEvent
        assert clone.initial_value == clone.value == 2
    mine = MyCountdown(1)
    for clone in (pickle.loads(pickle.dumps(mine)), copy.copy(mine)):
        assert type(clone) is MyCountdown and clone.value == 1
    assert repr(MyCountdown()).startswith(f"<{__name__}.MyCountdown(0) at ")
    ref = weakref.ref(event)
    del event
    gc.collect()
    assert ref() is None


def test_checkpoints_under_trio():
    pytest.importorskip("trio")
    pytest.importorskip("aiologic_trio")
    import trio
    from test_trio import StepCounter, schedule_points

    counter = StepCounter()

    async def main():
        event = aiologic.CountdownEvent(1)
        assert await schedule_points(counter, lambda: event.with_(0)) == (1, False)
        event.down()
        assert await schedule_points(counter, event.with_) == (1, True)
        with trio.CancelScope() as scope:
            scope.cancel()
            await event  # set, but still a cancel point
        assert scope.cancelled_caught
        event.up()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(event.with_)
            while event.waiting != 1:
                await trio.sleep(0.001)
            event.down()  # a plain method: no checkpoint, from any task
        assert event.waiting == 0

    trio.run(main, instruments=[counter])


@pytest.fixture
def pressure():
    """Switch threads as often as CPython allows, to provoke races."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


@pytest.mark.stress
def test_stress_up_down_across_worlds(pressure):
    """Tasks of every world raise and lower the counter (each lowers only
    what it raised) while others wait with random timeouts and
    cancellations: no update is lost, `down()` never finds zero, and the
    last `down()` releases every waiter still blocked."""
    names = available_worlds()
    event = aiologic.CountdownEvent(1)
    bad = []

    async def counter(w, seed):
        rng = random.Random(seed)
        for _ in range(2000):
            count = rng.randint(1, 3)
            event.up(count)
            for _ in range(count):
                if rng.random() < 0.2:
                    await w.sleep(0)
                try:
                    event.down()
                except RuntimeError as exc:  # pragma: no cover
                    bad.append(exc)

    async def waiter(w, seed):
        rng = random.Random(seed)
        for _ in range(200):
            timeout = rng.choice([0, 0.0005, 0.002])
            if w.can_cancel and rng.random() < 0.2:
                async with w.cancel_after(rng.choice([0, 0.0005])):
                    await w.wait(event, timeout)
            else:
                await w.wait(event, timeout)
        return await w.wait(event, 30)  # released by the last down()

    async def world_tasks(w, seed):
        counters = [await w.spawn(counter, seed * 10 + i) for i in range(2)]
        waiters = [await w.spawn(waiter, seed * 10 + 5 + i) for i in range(2)]
        for handle in counters:
            await handle.join()
        return waiters

    async def last_down(w, done):
        # every counter has finished and every waiter blocks in its last wait
        await wait_until(w, lambda: len(done) == len(names) and event.waiting == 2 * len(names), 30)
        event.down()

    done = []

    async def world_body(w, seed):
        waiters = await world_tasks(w, seed)
        done.append(seed)
        return [await handle.join() for handle in waiters]

    jobs = [(name, world_body, seed) for seed, name in enumerate(names)]
    results = run_in_threads(*jobs, ("threading", last_down, done), timeout=60)
    assert bad == [] and event.value == 0 and event.waiting == 0
    assert results[:-1] == [[True, True]] * len(names)
