"""What the queue scenarios (queue_scenarios.py) are made of: the
measuring, the kinds of queue, each implementation's way of making and using
them, and the producers and consumers of every side (a plain thread, an
asyncio loop, a trio run, a gevent hub). Imports the standard library and
`aiologic` only; trio, gevent, culsans and janus when asked for.

Python 3.8-compatible on purpose.
"""

import asyncio
import gc
import platform
import queue as stdlib_queue
import threading
import time

import aiologic
from scenarios import perf_counter

MAXSIZE = 1024
SMOKE_ITEMS = 200
SMOKE_MAXSIZE = 16  # so that the smoke run's puts wait for room too
BOUNDED_KINDS = ("Queue", "LifoQueue", "PriorityQueue")
UNBOUNDED_KINDS = ("SimpleQueue", "SimpleLifoQueue", "Queue", "LifoQueue", "PriorityQueue")
SETTINGS = {"seconds": 0.1, "smoke": False, "maxsize": MAXSIZE, "clock": "wall"}
# --clock cpu (or BENCH_CLOCK=cpu): the process's CPU time, all threads, in
# place of the wall clock. It moves much less when other work loads the
# machine; it does not count time a side spends blocked.
CLOCKS = {"wall": perf_counter, "cpu": time.process_time}


def now():
    return CLOCKS[SETTINGS["clock"]]()


def optional(name):
    """An optional module, or None."""
    try:
        return __import__(name)
    except ImportError:
        return None


class Skip(Exception):
    """The scenario cannot run here (a library is missing)."""


# -- measuring ---------------------------------------------------------------


def interleave(measures, n, runs, warmup):
    samples = {label: [] for label in measures}
    for round_ in range(warmup + runs):
        for label, measure in measures.items():
            gc.collect()
            seconds = measure(n)
            if round_ >= warmup:
                samples[label].append(seconds)
    return samples


def calibrate(measure):
    """Items per measurement that make `measure` last about SETTINGS["seconds"]."""
    n = 2000
    seconds = max(measure(n) for _ in range(2))
    return max(1000, int(n * SETTINGS["seconds"] / max(seconds, 1e-9)))


def table(title, kind, target, measures, runs, baseline):
    """Measure {label: measure(n) -> seconds} in turns; one result table."""
    if SETTINGS["smoke"]:
        n, warmup = SMOKE_ITEMS, 1
    else:
        n, warmup = min(calibrate(measure) for measure in measures.values()), 1
    samples = interleave(measures, n, runs, warmup)
    return {
        "title": title,
        "clock": SETTINGS["clock"],
        "kind": kind.name,
        "bounded": kind.bounded,
        "mode": "throughput",
        "target": target,
        "baseline": baseline,
        "iterations": n,
        "samples": {label: [s / n for s in values] for label, values in samples.items()},
    }


# -- the kinds of queue, and how each implementation makes and uses them -------


class Kind:
    """One kind of queue: SimpleQueue, SimpleLifoQueue, or Queue, LifoQueue,
    PriorityQueue, bounded (maxsize=MAXSIZE) or not."""

    def __init__(self, name, bounded):
        self.name = name
        self.bounded = bounded
        self.simple = name.startswith("Simple")
        self.maxsize = SETTINGS["maxsize"] if bounded else 0
        # The class of the same order in libraries that have no SimpleQueue.
        self.general = {"SimpleQueue": "Queue", "SimpleLifoQueue": "LifoQueue"}.get(name, name)
        self.title = "%s(maxsize=%d)" % (name, self.maxsize) if bounded else "%s()" % name


class Aiologic:
    """aiologic's queues (ours or upstream): `put` for a SimpleQueue, which
    never blocks, `green_put`/`async_put` for the others."""

    def __init__(self, kind):
        self.kind = kind
        self.label = "aiologic.%s" % kind.name
        cls = getattr(aiologic, kind.name)
        self.make = (lambda: cls(maxsize=kind.maxsize)) if kind.bounded else cls

    def close(self, q):
        pass

    def green_put(self, q):
        return q.put if self.kind.simple else q.green_put

    def async_put(self, q):
        """(put, whether its result must be awaited)"""
        return (q.put, False) if self.kind.simple else (q.async_put, True)

    def green_get(self, q):
        return q.green_get

    def async_get(self, q):
        return q.async_get


class Culsans(Aiologic):
    """culsans's queues (no SimpleQueue: the unbounded queue of the same
    order, its `put_nowait` where ours is a SimpleQueue's `put`)."""

    def __init__(self, kind):
        import culsans

        self.kind = kind
        self.label = "culsans.%s" % kind.general
        cls = getattr(culsans, kind.general)
        self.make = lambda: cls(kind.maxsize)

    def green_put(self, q):
        return q.green_put

    def async_put(self, q):
        return (q.put_nowait, False) if self.kind.simple else (q.async_put, True)


class Janus(Aiologic):
    """janus's queues: a sync side for threads and an async side bound to
    one asyncio loop, where it is made (janus 1.0 needs a running loop)."""

    def __init__(self, kind, janus, loop):
        self.kind = kind
        self.loop = loop
        self.label = "janus.%s" % kind.general
        self.cls = getattr(janus, kind.general)

    def make(self):
        async def make():
            return self.cls(self.kind.maxsize)

        return self.loop.run_until_complete(make())

    def close(self, q):
        q.close()
        self.loop.run_until_complete(q.wait_closed())

    def green_put(self, q):
        return q.sync_q.put

    def async_put(self, q):
        return (q.async_q.put_nowait, False) if self.kind.simple else (q.async_q.put, True)

    def green_get(self, q):
        return q.sync_q.get

    def async_get(self, q):
        return q.async_q.get


def implementations(impl, kind, loop, janus_too):
    """The queue implementations this process measures for `kind`."""
    impls = [Culsans(kind) if impl == "culsans" else Aiologic(kind)]
    janus = optional("janus") if janus_too and impl == "aiologic" else None
    if janus is not None:
        impls.append(Janus(kind, janus, loop))
    return impls


# -- producers: a plain thread, an asyncio loop in a thread, trio, gevent ----------

# Each runs `produce(n)` (a function for the green sides, a coroutine function
# for the async ones) in a thread of its own and returns a join().


def in_thread(target, *args):
    thread = threading.Thread(target=target, args=args)
    thread.start()
    return thread.join


def thread_producer(produce, n):
    return in_thread(produce, n)


def gevent_producer(produce, n):
    """A gevent hub in a fresh thread, no monkey-patching: the producer is a
    greenlet there."""
    import gevent

    def run():
        gevent.spawn(produce, n).get()
        gevent.get_hub().destroy(destroy_loop=True)

    return in_thread(run)


def trio_producer(produce, n):
    import trio

    return in_thread(trio.run, produce, n)


class LoopThread:
    """An asyncio loop running in a thread of its own, for the whole process."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def producer(self, produce, n):
        return asyncio.run_coroutine_threadsafe(produce(n), self.loop).result


def green_producer(put):
    def produce(n):
        for i in range(n):
            put(i)

    return produce


def async_producer(put, awaited):
    if awaited:

        async def produce(n):
            for i in range(n):
                await put(i)

    else:

        async def produce(n):
            for i in range(n):
                put(i)

    return produce


def async_consumer(get):
    async def consume(n):
        for _ in range(n):
            await get()

    return consume


def executor_consumer(sq, loop):
    """The stdlib's asyncio side of a bounded queue.Queue: `get_nowait`, and
    when the queue is empty, the blocking `get` in the loop's executor."""
    get_nowait, get, empty = sq.get_nowait, sq.get, stdlib_queue.Empty

    async def consume(n):
        for _ in range(n):
            try:
                get_nowait()
            except empty:
                await loop.run_in_executor(None, get)

    return consume


# -- streams into an asyncio loop: thread, loop, trio or gevent -> asyncio ----------

SIDES = {
    # side: (how its producer runs, whether it is async, name)
    "thread": (thread_producer, False, "a plain thread"),
    "loop": (None, True, "an asyncio task in another thread"),
    "trio": (trio_producer, True, "a trio task in another thread"),
    "gevent": (gevent_producer, False, "a greenlet of a gevent hub in another thread (no monkey-patching)"),
}


def stdlib_full_put(side, sq, producer_loop):
    """The stdlib's producer side of a bounded queue.Queue: `put_nowait`, and
    when the queue is full, the blocking `put` in a worker thread (the
    loop's executor, trio.to_thread, gevent's threadpool); a plain thread
    just calls `put`."""
    put_nowait, put, full = sq.put_nowait, sq.put, stdlib_queue.Full
    if side == "thread":
        return green_producer(put)
    if side == "gevent":
        import gevent

        def produce(n):
            pool = gevent.get_hub().threadpool
            for i in range(n):
                try:
                    put_nowait(i)
                except full:
                    pool.apply(put, (i,))

        return produce
    if side == "trio":
        import trio

        run_sync = trio.to_thread.run_sync

        async def produce(n):
            for i in range(n):
                try:
                    put_nowait(i)
                except full:
                    await run_sync(put, i)

        return produce

    async def produce(n):
        for i in range(n):
            try:
                put_nowait(i)
            except full:
                await producer_loop.run_in_executor(None, put, i)

    return produce


def check_side(side):
    if side == "trio" and optional("trio") is None:
        raise Skip("trio is not installed here")
    if side == "gevent":
        if platform.python_implementation() != "CPython":
            raise Skip("gevent: CPython only")
        if optional("gevent") is None:
            raise Skip("gevent is not installed here")


def kinds(bounded):
    return [Kind(name, bounded) for name in (BOUNDED_KINDS if bounded else UNBOUNDED_KINDS)]



def green_consumer(get):
    def consume(n):
        for _ in range(n):
            get()

    return consume
