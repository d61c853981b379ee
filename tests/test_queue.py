"""Queues in every world: order, bounds, blocking, cancellation, and the
object protocol (construction, pickling, repr, statistics)."""

from __future__ import annotations

import asyncio
import copy
import gc
import math
import pickle
import threading
import time
import warnings
import weakref

import pytest

import aiologic
from aiologic import LifoQueue, PriorityQueue, Queue, QueueEmpty, QueueFull, SimpleLifoQueue, SimpleQueue

ALL = [SimpleQueue, SimpleLifoQueue, Queue, LifoQueue, PriorityQueue]
BOUNDED = [Queue, LifoQueue, PriorityQueue]


async def wait_until(w, predicate, seconds=10):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await w.sleep(0.001)


async def get(w, queue, **kwargs):
    if w.is_async:
        return await queue.async_get(**kwargs)
    return queue.green_get(**kwargs)


async def put(w, queue, item, **kwargs):
    if w.is_async:
        return await queue.async_put(item, **kwargs)
    return queue.green_put(item, **kwargs)


def serving_order(queue):
    out = []
    while True:
        try:
            out.append(queue.green_get(blocking=False))
        except QueueEmpty:
            return out


# -- construction and validation -----------------------------------------------


def test_initial_items_and_order():
    assert serving_order(SimpleQueue([1, 2, 3])) == [1, 2, 3]
    assert serving_order(SimpleLifoQueue([1, 2, 3])) == [3, 2, 1]
    assert serving_order(Queue(iter("abc"))) == ["a", "b", "c"]
    assert serving_order(LifoQueue([1, 2, 3], maxsize=5)) == [3, 2, 1]
    pq = PriorityQueue([(3, "c"), (1, "a")])
    pq.green_put((2, "b"))
    assert serving_order(pq) == [(1, "a"), (2, "b"), (3, "c")]
    lq = SimpleLifoQueue()
    for i in range(3):
        lq.put(i)
    assert serving_order(lq) == [2, 1, 0]


def test_maxsize_forms():
    assert Queue().maxsize == 0 and Queue(None).maxsize == 0 and Queue(maxsize=None).maxsize == 0
    assert Queue(5).maxsize == 5 and len(Queue(5)) == 0
    assert LifoQueue(3).maxsize == 3 and PriorityQueue(2).maxsize == 2
    assert Queue(["x"], maxsize=1).maxsize == 1 and len(Queue(["x"], 1)) == 1
    assert Queue(maxsize=True).maxsize == 1  # bool is an int
    for cls in BOUNDED:
        for bad in (0, -1):
            with pytest.raises(ValueError, match="maxsize"):
                cls(maxsize=bad)
            with pytest.raises(ValueError, match="maxsize"):
                cls(bad)
        with pytest.raises(TypeError, match="maxsize"):
            cls(maxsize=1.5)
        with pytest.raises(TypeError, match="maxsize"):
            cls([], maxsize="3")
    for cls in (SimpleQueue, SimpleLifoQueue):
        with pytest.raises(TypeError):
            cls(maxsize=3)
        with pytest.raises(TypeError):
            cls([], 3)
        with pytest.raises(TypeError):
            cls(items=[1])  # positional only


def test_more_initial_items_than_maxsize():
    q = Queue([1, 2, 3, 4], maxsize=2)
    assert len(q) == 4 and q.maxsize == 2
    with pytest.raises(QueueFull):
        q.green_put(5, blocking=False)
    assert q.green_get() == 1 and q.green_get() == 2
    with pytest.raises(QueueFull):  # 2 items left: still full
        q.green_put(5, blocking=False)
    assert q.green_get() == 3
    q.green_put(5)
    with pytest.raises(QueueFull):
        q.green_put(6, blocking=False)
    assert serving_order(q) == [4, 5]
    q.green_put(7)
    q.green_put(8)
    with pytest.raises(QueueFull):
        q.green_put(9, blocking=False)
    assert len(q) == 2


@pytest.mark.parametrize("cls", ALL)
def test_bad_timeouts_insert_nothing(cls):
    q = cls([1]) if cls in (SimpleQueue, SimpleLifoQueue) else cls([1], maxsize=1)
    for bad, error in ((-1, ValueError), (math.nan, ValueError), ("1", TypeError), (True, TypeError)):
        with pytest.raises(error):
            q.green_put(2, timeout=bad)
        with pytest.raises(error):
            q.green_put(2, blocking=False, timeout=bad)
        with pytest.raises(error):
            q.green_get(timeout=bad)
        with pytest.raises(error):
            asyncio.run(q.async_put(2, timeout=bad))
        with pytest.raises(error):
            asyncio.run(q.async_get(timeout=bad))
        assert len(q) == 1
    assert q.green_get() == 1 and q.waiting == 0


def test_api_shape():
    assert aiologic.SimpleLifoQueue.__mro__[1] is SimpleQueue
    assert issubclass(LifoQueue, Queue) and issubclass(PriorityQueue, Queue)
    assert not issubclass(Queue, SimpleQueue) and not issubclass(SimpleQueue, Queue)
    assert QueueEmpty.__mro__[1] is Exception and QueueFull.__mro__[1] is Exception
    import queue as stdlib_queue

    assert not issubclass(QueueEmpty, stdlib_queue.Empty) and not issubclass(QueueFull, QueueEmpty)
    assert not hasattr(Queue, "put") and hasattr(SimpleQueue, "put")
    for cls in ALL:
        assert cls.__module__ == "aiologic"
        assert cls.green_get.__qualname__.endswith(".green_get")
        assert cls.__qualname__ in (cls.green_get.__qualname__.split(".")[0], "SimpleLifoQueue", "LifoQueue", "PriorityQueue")
        assert asyncio.iscoroutinefunction(cls.async_get) and asyncio.iscoroutinefunction(cls.async_put)
        alias = cls[int]
        assert type(alias()) is cls
    assert Queue.green_get.__qualname__ == "Queue.green_get"
    assert SimpleQueue.green_get.__qualname__ == "SimpleQueue.green_get"
    for exc in (QueueEmpty("x"), QueueFull("y")):
        clone = pickle.loads(pickle.dumps(exc))
        assert type(clone) is type(exc) and clone.args == exc.args


# -- the object protocol ---------------------------------------------------------


@pytest.mark.parametrize("cls", ALL)
def test_pickle_copy(cls):
    bounded = cls in BOUNDED
    q = cls([3, 1, 2], maxsize=5) if bounded else cls([3, 1, 2])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clones = [pickle.loads(pickle.dumps(q)), copy.copy(q), q.copy()]
    assert len(caught) == 3 and all(issubclass(w.category, DeprecationWarning) for w in caught)
    orders = [serving_order(clone) for clone in clones]
    expected = serving_order(q)
    assert all(order == expected for order in orders)
    assert all(type(clone) is cls for clone in clones)
    if bounded:
        assert all(clone.maxsize == 5 for clone in clones)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        empty = pickle.loads(pickle.dumps(q))  # empty now: no warning
        copy.copy(q)
    assert len(empty) == 0 and type(empty) is cls


def test_pickle_while_waited_and_subclass():
    class Mine(Queue):
        __slots__ = ()

    q = Mine(maxsize=2)
    q.green_put("a")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        clone = pickle.loads(pickle.dumps(Queue(["z"], maxsize=1)))
        mine = copy.copy(q)
    assert type(mine) is Mine and mine.maxsize == 2 and serving_order(mine) == ["a"]
    assert serving_order(clone) == ["z"] and clone.maxsize == 1
    assert repr(q).startswith(f"<{Mine.__module__}.{Mine.__qualname__}(['a'], maxsize=2) at ")


def test_repr_and_truth():
    q = Queue([1], maxsize=3)
    assert repr(q) == f"<aiologic.Queue([1], maxsize=3) at {id(q):#x} [length=1]>"
    assert q and len(q) == 1
    q.green_get()
    assert not q
    assert repr(q) == f"<aiologic.Queue([], maxsize=3) at {id(q):#x} [length=0, getting=0]>"
    for i in range(3):
        q.green_put(i)
    assert repr(q) == f"<aiologic.Queue([0, 1, 2], maxsize=3) at {id(q):#x} [length=3, putting=0]>"
    s = SimpleQueue()
    assert repr(s) == f"<aiologic.SimpleQueue([]) at {id(s):#x} [length=0, getting=0]>"
    lq = SimpleLifoQueue([1, 2])
    assert repr(lq) == f"<aiologic.SimpleLifoQueue([1, 2]) at {id(lq):#x} [length=2]>"
    u = Queue([5])
    assert repr(u) == f"<aiologic.Queue([5]) at {id(u):#x} [length=1]>"


@pytest.mark.parametrize("cls", ALL)
def test_weakref_and_collection(cls):
    q = cls()
    q.green_put(1)
    ref = weakref.ref(q)
    finalized = []
    weakref.finalize(q, finalized.append, True)
    del q
    gc.collect()
    assert ref() is None and finalized == [True]


def test_statistics_and_counts():
    def blocked_getter():
        try:
            q.green_get(timeout=10)
        except QueueEmpty:
            pass

    q = Queue(maxsize=1)
    stats = q.statistics()
    assert stats == aiologic.statistics.QueueStatistics(0, 1, (), (), ())
    threads = [threading.Thread(target=blocked_getter) for _ in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while q.getting < 2:
        assert time.monotonic() < deadline
        time.sleep(0.001)
    assert (q.getting, q.putting, q.waiting) == (2, 0, 2)
    stats = q.statistics()
    assert [info.thread for info in stats.getters] == [t.ident for t in threads]
    assert stats.getters[0] == aiologic.statistics.WaiterInfo("threading", ("threading", threads[0].ident), threads[0].ident)
    assert stats.waiting == stats.getters and stats.putters == ()
    q.green_put("a")
    q.green_put("b")
    for thread in threads:
        thread.join(10)
    assert q.statistics() == aiologic.statistics.QueueStatistics(0, 1, (), (), ())
    s = SimpleQueue([1, 2])
    assert s.statistics().size == 2 and s.statistics().maxsize == 0 and s.putting == 0


# -- blocking, in every world ------------------------------------------------------


@pytest.mark.parametrize("cls", ALL)
def test_basic(world, cls):
    async def body(w):
        q = cls() if cls not in BOUNDED else cls(maxsize=2)
        with pytest.raises(QueueEmpty):
            await get(w, q, blocking=False)
        start = time.monotonic()
        with pytest.raises(QueueEmpty):
            await get(w, q, timeout=0.05)
        assert time.monotonic() - start >= 0.05
        assert q.waiting == 0
        await put(w, q, 2)
        await put(w, q, 1, timeout=0)
        if cls in BOUNDED:
            with pytest.raises(QueueFull):
                await put(w, q, 3, blocking=False)
            start = time.monotonic()
            with pytest.raises(QueueFull):
                await put(w, q, 3, timeout=0.05)
            assert time.monotonic() - start >= 0.05
            assert q.putting == 0 and len(q) == 2
        else:
            await put(w, q, 3, blocking=False)
            await put(w, q, 4, timeout=0)
        got = [await get(w, q), await get(w, q, timeout=0)]
        expected = {SimpleQueue: [2, 1], Queue: [2, 1], SimpleLifoQueue: [4, 3], LifoQueue: [1, 2], PriorityQueue: [1, 2]}
        assert got == expected[cls]

    world.run(body)


@pytest.mark.parametrize("cls", ALL)
def test_getters_served_in_order(world, cls):
    """The k-th item put while getters wait goes to the k-th blocked getter."""

    async def getter(w, q):
        return await get(w, q, timeout=10)

    async def body(w):
        q = cls() if cls not in BOUNDED else cls(maxsize=1)
        handles = []
        for index in range(3):
            handles.append(await w.spawn(getter, q))
            await wait_until(w, lambda: q.getting == index + 1)
        for item in ("a", "b", "c"):
            await put(w, q, item)
        # No barging: every item is already promised to a getter.
        with pytest.raises(QueueEmpty):
            await get(w, q, blocking=False)
        assert [await handle.join() for handle in handles] == ["a", "b", "c"]
        assert q.getting == 0 and len(q) == 0

    world.run(body)


@pytest.mark.parametrize("cls", BOUNDED)
def test_blocked_putters(world, cls):
    async def putter(w, q, item):
        await put(w, q, item, timeout=10)
        return item

    async def body(w):
        q = cls([0], maxsize=1)
        handles = []
        for index in range(1, 4):
            handles.append(await w.spawn(putter, q, index))
            await wait_until(w, lambda: q.putting == index)
        assert len(q) == 1 and q.waiting == 3
        got = []
        for _ in range(4):
            got.append(await get(w, q, timeout=10))
            assert len(q) <= 1
        assert got == [0, 1, 2, 3]  # putters served first-in, first-out
        for handle in handles:
            await handle.join()
        assert q.waiting == 0 and len(q) == 0
        await put(w, q, 9, blocking=False)
        with pytest.raises(QueueFull):
            await put(w, q, 10, blocking=False)

    world.run(body)


@pytest.mark.parametrize("cls", ALL)
def test_cancelled_getter_loses_nothing(world, cls):
    if not world.can_cancel:
        pytest.skip("threads cannot be cancelled")

    async def body(w):
        q = cls() if cls not in BOUNDED else cls(maxsize=1)
        async with w.cancel_after(0.02) as scope:
            await get(w, q)
        assert scope.cancelled and q.getting == 0
        await put(w, q, "x")
        assert await get(w, q, blocking=False) == "x"

    world.run(body)


@pytest.mark.parametrize("cls", BOUNDED)
def test_cancelled_putter_inserts_nothing(world, cls):
    if not world.can_cancel:
        pytest.skip("threads cannot be cancelled")

    async def body(w):
        q = cls(["a"], maxsize=1)
        async with w.cancel_after(0.02) as scope:
            await put(w, q, "b")
        assert scope.cancelled and q.putting == 0 and len(q) == 1
        assert await get(w, q) == "a"
        await put(w, q, "c", blocking=False)  # the place was not leaked
        assert serving_order(q) == ["c"]

    world.run(body)


def test_put_from_plain_code_wakes_a_loop():
    q = SimpleQueue()

    async def main():
        loop = asyncio.get_running_loop()
        loop.call_later(0.01, threading.Thread(target=q.put, args=("x",)).start)
        return await q.async_get(timeout=10)

    assert asyncio.run(main()) == "x"


# -- the hand-off versus give-up race, forced --------------------------------------


@pytest.mark.parametrize("cls", ALL)
def test_getter_timing_out_when_handed_an_item(cls):
    """A thread's get times out; paused before it gives up, it is handed an
    item: it returns the item (a timeout that lost the race succeeds)."""
    from aiologic_testing.races import pause_before_give_up

    q = cls() if cls not in BOUNDED else cls(maxsize=1)
    result = []
    with pause_before_give_up() as pause:
        thread = threading.Thread(target=lambda: result.append(q.green_get(timeout=0.01)))
        thread.start()
        assert pause.paused.wait(10)
        q.green_put("x")
        assert pause.event.is_set()
        pause.resume()
        thread.join(10)
    assert result == ["x"] and len(q) == 0 and q.waiting == 0
    q.green_put("y")
    assert q.green_get(blocking=False) == "y"  # and the place came back


@pytest.mark.parametrize("cls", ALL)
def test_cancelled_getter_handed_an_item_gives_it_back(cls):
    """An asyncio getter is cancelled; while it is paused before giving up,
    a thread puts two items: the first is handed to it and must come back
    to the head (or top, or heap), to the second getter."""
    from aiologic_testing.races import pause_before_give_up

    q = cls() if cls not in BOUNDED else cls(maxsize=2)
    state = {}
    ready = threading.Event()

    def loop_thread():
        async def main():
            state["loop"] = asyncio.get_running_loop()
            first = asyncio.ensure_future(q.async_get())
            second = asyncio.ensure_future(q.async_get())
            state["first"] = first
            while q.getting < 2:
                await asyncio.sleep(0.001)
            ready.set()
            try:
                await first
            except asyncio.CancelledError:
                state["first_result"] = "cancelled"
            state["second_result"] = await asyncio.wait_for(second, 10)
            state["third_result"] = await asyncio.wait_for(q.async_get(), 10)

        asyncio.run(main())

    with pause_before_give_up() as pause:
        thread = threading.Thread(target=loop_thread)
        thread.start()
        assert ready.wait(10)
        state["loop"].call_soon_threadsafe(state["first"].cancel)
        assert pause.paused.wait(10)
        q.green_put(1)  # handed to the cancelled getter
        assert pause.event.is_set()
        q.green_put(2)  # handed to the second getter
        pause.resume()
        thread.join(10)
    assert state["first_result"] == "cancelled"
    # The second getter got 2; the item given back (1) stayed for the next get.
    assert (state["second_result"], state["third_result"]) == (2, 1)
    assert len(q) == 0 and q.waiting == 0


@pytest.mark.parametrize("cls", BOUNDED)
def test_cancelled_putter_handed_a_place_passes_it_on(cls):
    from aiologic_testing.races import pause_before_give_up

    q = cls(["a"], maxsize=1)
    state = {}
    ready = threading.Event()

    def loop_thread():
        async def main():
            state["loop"] = asyncio.get_running_loop()
            first = asyncio.ensure_future(q.async_put("first"))
            second = asyncio.ensure_future(q.async_put("second"))
            state["first"] = first
            while q.putting < 2:
                await asyncio.sleep(0.001)
            ready.set()
            try:
                await first
            except asyncio.CancelledError:
                state["first_result"] = "cancelled"
            await asyncio.wait_for(second, 10)

        asyncio.run(main())

    with pause_before_give_up() as pause:
        thread = threading.Thread(target=loop_thread)
        thread.start()
        assert ready.wait(10)
        state["loop"].call_soon_threadsafe(state["first"].cancel)
        assert pause.paused.wait(10)
        assert q.green_get() == "a"  # the place goes to the cancelled putter
        assert pause.event.is_set()
        pause.resume()
        thread.join(10)
    assert state["first_result"] == "cancelled"
    assert serving_order(q) == ["second"] and q.waiting == 0
    q.green_put("c", blocking=False)  # no place leaked, none created
    with pytest.raises(QueueFull):
        q.green_put("d", blocking=False)


# -- threads ----------------------------------------------------------------------


@pytest.mark.parametrize("cls", ALL)
def test_many_threads_exactly_once(cls):
    producers, consumers, per = 4, 4, 2000
    q = cls() if cls not in BOUNDED else cls(maxsize=8)
    got = [[] for _ in range(consumers)]
    peak = [0]

    def producer(index):
        for i in range(per):
            q.green_put((index, i), timeout=10)

    def consumer(index):
        for _ in range(per):
            got[index].append(q.green_get(timeout=10))
            if cls in BOUNDED:
                peak[0] = max(peak[0], len(q))

    threads = [threading.Thread(target=producer, args=(i,)) for i in range(producers)]
    threads += [threading.Thread(target=consumer, args=(i,)) for i in range(consumers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads)
    items = sorted(item for chunk in got for item in chunk)
    assert items == sorted((p, i) for p in range(producers) for i in range(per))
    assert peak[0] <= 8 and len(q) == 0 and q.waiting == 0
    if cls in (SimpleQueue, Queue):
        for chunk in got:  # each producer's items in its order, per consumer
            for p in range(producers):
                mine = [i for (src, i) in chunk if src == p]
                assert mine == sorted(mine)


@pytest.mark.parametrize("maxsize", [40, 1024, 1500])
@pytest.mark.parametrize("cls", BOUNDED)
def test_places_conserved_by_a_stream(cls, maxsize):
    """A thread streams items to an asyncio task of another thread through a
    bounded queue, the two filling and draining it in turns: afterwards it
    holds exactly `maxsize` free places, however they were cached, pooled
    or handed to parked putters (maxsize below and above the number of
    places a get may leave cached)."""
    q = cls(maxsize=maxsize)
    count = 4 * maxsize + 123
    received = []

    def producer():
        for i in range(count):
            q.green_put(i, timeout=10)

    async def consumer():
        for _ in range(count):
            received.append(await q.async_get(timeout=10))

    thread = threading.Thread(target=producer)
    thread.start()
    asyncio.run(consumer())
    thread.join(30)
    assert not thread.is_alive()
    assert sorted(received) == list(range(count))
    assert len(q) == 0 and q.waiting == 0
    for i in range(maxsize):
        q.green_put(i, blocking=False)
    with pytest.raises(QueueFull):
        q.green_put(-1, blocking=False)
    assert sorted(serving_order(q)) == list(range(maxsize))


# -- checkpoints ---------------------------------------------------------------------


@pytest.mark.parametrize("cls", ALL)
def test_cancelled_checkpoint_has_no_effect(cls):
    """With checkpoints on, a get or put is a cancel point first: a task
    that is being cancelled takes no item and inserts none."""
    from aiologic.lowlevel import enable_checkpoints

    async def main():
        q = cls([1]) if cls not in BOUNDED else cls([1], maxsize=2)
        task = asyncio.current_task()
        async with enable_checkpoints():
            for call in (q.async_get, lambda: q.async_put(2)):
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await call()
                if hasattr(task, "uncancel"):
                    task.uncancel()
            # blocking=False never checkpoints
            task.cancel()
            assert await q.async_get(blocking=False) == 1
            await q.async_put(3, blocking=False)
            with pytest.raises(asyncio.CancelledError):
                await asyncio.sleep(0)
            if hasattr(task, "uncancel"):
                task.uncancel()
        assert serving_order(q) == [3]

    asyncio.run(main())


@pytest.mark.parametrize("cls", ALL)
def test_trio_checkpoints_by_default(cls):
    trio = pytest.importorskip("trio")
    pytest.importorskip("aiologic_trio")

    async def main():
        q = cls([1]) if cls not in BOUNDED else cls([1], maxsize=2)
        with trio.CancelScope() as scope:
            scope.cancel()
            await q.async_get()
        assert scope.cancelled_caught and len(q) == 1
        with trio.CancelScope() as scope:
            scope.cancel()
            await q.async_put(2)
        assert scope.cancelled_caught and serving_order(q) == [1]
        # An uncancelled call makes a checkpoint even when it need not wait.
        from trio.testing import assert_checkpoints, assert_no_checkpoints

        with assert_checkpoints():
            await q.async_put(5)
        with assert_checkpoints():
            assert await q.async_get() == 5
        with assert_no_checkpoints():
            with pytest.raises(QueueEmpty):
                await q.async_get(blocking=False)

    trio.run(main)
