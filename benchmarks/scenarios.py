"""The benchmark scenarios: one scenario per process, started by run.py.

Usage (run.py does this for you): python benchmarks/scenarios.py NAME --runs N

The same file runs under the project's environment ("ours") and under the
throwaway upstream environment, so it imports nothing but the standard
library and whichever `aiologic` that interpreter finds. Inside a scenario
the implementations are measured in turns (A B A B ...) so that a slow
moment of the machine hits all of them alike. The process prints a short
header, then one line "RESULT <json>" that run.py parses.

Python 3.8-compatible on purpose: the smoke interpreters include 3.8.
"""

import argparse
import asyncio
import gc
import itertools
import json
import os
import platform
import sys
import threading
import time
import types

import aiologic

perf_counter = time.perf_counter
PYPY = platform.python_implementation() == "PyPy"

# How big the scenarios are: "default" (the set run.py runs by default, in
# well under 15 minutes with upstream and culsans), "full" (every size) or
# "smoke" (tiny sizes, for the test that keeps the benchmarks from rotting:
# the figures mean nothing). run.py passes it in the environment to every
# worker (and, for smoke, BENCH_SMOKE=1, the queue worker's own switch).
SCALE = os.environ.get("AIOLOGIC_BENCH_SCALE", "default")
if SCALE not in ("smoke", "default", "full"):
    raise SystemExit("AIOLOGIC_BENCH_SCALE must be smoke, default or full, not %r" % SCALE)

# Each throughput measurement aims at this much time for its slowest
# implementation: long enough to dwarf timer and loop setup noise, short
# enough for 2 x (7 + 2 warm-up) measurements to fit the budget of a scenario.
TARGET_SECONDS = {"smoke": 0.002, "default": 0.1, "full": 0.2}[SCALE]


def by_scale(smoke, default, full):
    """The value for the current scale."""
    return {"smoke": smoke, "default": default, "full": full}[SCALE]


def header(scenario):
    print("  measures:    %s" % SCENARIOS[scenario].description)
    print("  interpreter: %s %s" % (platform.python_implementation(), sys.version.replace("\n", " ")))
    print("  executable:  %s" % sys.executable)
    print("  aiologic:    %s (version %s)" % (aiologic.__file__, getattr(aiologic, "__version__", "?")))
    sys.stdout.flush()


# -- measuring ---------------------------------------------------------------


def interleave(measures, runs, warmup=2):
    """Call each measure in turn, `runs` rounds (after `warmup` unrecorded
    rounds, which let PyPy's JIT compile the loops and asyncio load the
    backend); return {name: [seconds, ...]}."""
    for _ in range(warmup):
        for measure in measures.values():
            measure()
    samples = {name: [] for name in measures}
    for _ in range(runs):
        for name, measure in measures.items():
            # Collect garbage left by the previous implementation so that its
            # collection is not charged to this one. The collector stays on
            # while timing: allocations on a fast path are a real cost.
            gc.collect()
            samples[name].append(measure())
    return samples


def calibrate(measure, guess_ns=200):
    """The iteration count that makes one `measure(n)` last about
    TARGET_SECONDS, from a first guess refined by a short timed run."""
    floor = 10 if SCALE == "smoke" else 1000
    n = max(floor, int(TARGET_SECONDS * 1e9 / guess_ns / 10))
    seconds = max(measure(n) for _ in range(2))  # the second run is JIT-warm
    return max(floor, int(n * TARGET_SECONDS / max(seconds, 1e-9)))


def fresh_loop(template, obj):
    """A loop function of its own for one implementation.

    PyPy's JIT traces per code object: one loop shared by several lock types
    would be measured as a polymorphic trace with guards for each. Compiling
    the template once per implementation gives each its own monomorphic loop
    (CPython does not care either way).

    The namespace is a real module's, as for a lock kept in a module-level
    global: PyPy treats a module's globals as near-constants, but a global
    looked up in a plain dict (what `exec` gets otherwise) is a real dict
    lookup on every iteration, which hid the cost of the code measured
    (`with lock:` 15-20 ns in a plain dict, 2 ns in a module, against
    threading.Lock's 62 ns either way)."""
    namespace = types.ModuleType("loop_%s" % type(obj).__name__).__dict__
    namespace.update(perf_counter=perf_counter, obj=obj)
    exec(compile(template, "<loop %s>" % type(obj).__name__, "exec"), namespace)
    return namespace["loop"]


GREEN_LOOP = """
def loop(n):
    t0 = perf_counter()
    for _ in range(n):
        with obj:
            pass
    return perf_counter() - t0
"""

ASYNC_LOOP = """
async def loop(n):
    t0 = perf_counter()
    for _ in range(n):
        async with obj:
            pass
    return perf_counter() - t0
"""


GREEN_PAIR_LOOPS = {
    "ours": GREEN_LOOP.replace("with obj:\n            pass", "obj.green_acquire()\n        obj.green_release()"),
    "stdlib": GREEN_LOOP.replace("with obj:\n            pass", "obj.acquire()\n        obj.release()"),
}

ASYNC_PAIR_LOOPS = {
    "ours": ASYNC_LOOP.replace("async with obj:\n            pass", "await obj.async_acquire()\n        obj.async_release()"),
    "stdlib": ASYNC_LOOP.replace("async with obj:\n            pass", "await obj.acquire()\n        obj.release()"),
}


def throughput_table(title, target, impls, runs, template, run_loop):
    """Time `n` uncontended enter/exit pairs per measurement on each
    implementation ({label: object}); the first label is ours, the last
    is the baseline. Figures are seconds per operation. `template` is one
    loop for all, or {"ours": ..., "stdlib": ...} (the baseline gets the
    second)."""
    if isinstance(template, dict):
        baseline = list(impls)[-1]
        templates = {label: template["stdlib" if label == baseline else "ours"] for label in impls}
    else:
        templates = dict.fromkeys(impls, template)
    loops = {label: fresh_loop(templates[label], obj) for label, obj in impls.items()}
    # One iteration count for all, from the slowest: no measurement runs long.
    n = min(calibrate(lambda k, loop=loop: run_loop(loop, k)) for loop in loops.values())
    samples = interleave({label: (lambda loop=loop: run_loop(loop, n)) for label, loop in loops.items()}, runs)
    return {
        "title": title,
        "mode": "throughput",
        "target": target,
        "baseline": list(impls)[-1],
        "iterations": n,
        "samples": {label: [s / n for s in values] for label, values in samples.items()},
    }


# -- scenarios ---------------------------------------------------------------

SCENARIOS = {}


def scenario(name, description):
    def register(func):
        func.description = description
        SCENARIOS[name] = func
        return func

    return register


def run_green(loop, n):
    return loop(n)


@scenario("lock-green", "uncontended `with lock: pass` in one thread")
def lock_green(runs):
    target = "ours >= 0.7x on CPython 3.11/3.13, >= 8x on PyPy"
    impls = {"aiologic.Lock": aiologic.Lock(), "threading.Lock": threading.Lock()}
    return [throughput_table("with lock: pass", target, impls, runs, GREEN_LOOP, run_green)]


def contended_once(lock):
    """`lock` after one thread has waited for it once (its wait queue
    exists from then on)."""
    lock.green_acquire()
    waiter = threading.Thread(target=lambda: (lock.green_acquire(), lock.green_release()))
    waiter.start()
    while lock.waiting < 1:
        time.sleep(0.001)
    lock.green_release()
    waiter.join()
    return lock


@scenario("lock-green-after-contention", "uncontended `with lock: pass` on a Lock that was contended once")
def lock_green_after_contention(runs):
    target = "as lock-green"
    impls = {"aiologic.Lock": contended_once(aiologic.Lock()), "threading.Lock": threading.Lock()}
    return [throughput_table("with lock: pass, after one contention", target, impls, runs, GREEN_LOOP, run_green)]


@scenario("lock-green-pair", "uncontended `green_acquire()` + `green_release()` in one thread")
def lock_green_pair(runs):
    target = "ours >= 0.5x on CPython 3.11, >= 5x on PyPy"
    impls = {"aiologic.Lock": aiologic.Lock(), "threading.Lock": threading.Lock()}
    return [throughput_table("green_acquire() + green_release()", target, impls, runs, GREEN_PAIR_LOOPS, run_green)]


@scenario("semaphore-green", "uncontended `with sem: pass` in one thread (value 1)")
def semaphore_green(runs):
    impls = {"aiologic.Semaphore": aiologic.Semaphore(1), "threading.Semaphore": threading.Semaphore(1)}
    return [throughput_table("with sem: pass", "none set", impls, runs, GREEN_LOOP, run_green)]


def make_async_runner():
    # One event loop for the whole process: each measurement is one task
    # running the loop function, as in an application that holds the lock
    # many times from the same task.
    event_loop = asyncio.new_event_loop()
    asyncio.set_event_loop(event_loop)
    return lambda loop, n: event_loop.run_until_complete(loop(n))


@scenario("lock-async", "uncontended `async with lock: pass` in one asyncio task")
def lock_async(runs):
    target = "ours >= 0.6x on CPython 3.11, >= 0.7x on 3.12+"
    run_async = make_async_runner()
    impls = {"aiologic.Lock": aiologic.Lock(), "asyncio.Lock": asyncio.Lock()}
    return [throughput_table("async with lock: pass", target, impls, runs, ASYNC_LOOP, run_async)]


@scenario("lock-async-pair", "uncontended `await async_acquire()` + `async_release()` in one asyncio task")
def lock_async_pair(runs):
    target = "ours >= 0.45x on CPython 3.11"
    run_async = make_async_runner()
    impls = {"aiologic.Lock": aiologic.Lock(), "asyncio.Lock": asyncio.Lock()}
    return [throughput_table("await async_acquire() + async_release()", target, impls, runs, ASYNC_PAIR_LOOPS, run_async)]


@scenario("semaphore-async", "uncontended `async with sem: pass` in one asyncio task (value 1)")
def semaphore_async(runs):
    run_async = make_async_runner()
    impls = {"aiologic.Semaphore": aiologic.Semaphore(1), "asyncio.Semaphore": asyncio.Semaphore(1)}
    return [throughput_table("async with sem: pass", "none set", impls, runs, ASYNC_LOOP, run_async)]


class EventWaits:
    """How a fan-out round waits on, counts and fires an event."""

    @staticmethod
    def wait(event):
        event.wait()

    @staticmethod
    def blocked(event):
        """How many threads are blocked in `event.wait()`: aiologic says so
        publicly; for threading.Event we read its condition's waiter list (a
        stdlib internal, good enough for a benchmark)."""
        if isinstance(event, threading.Event):
            return len(event._cond._waiters)
        return event.waiting

    @staticmethod
    def fire(event):
        event.set()


class ConditionWaits:
    """The same for a condition: `with cv: cv.wait()`, `with cv: cv.notify_all()`."""

    @staticmethod
    def wait(cv):
        with cv:
            cv.wait()

    @staticmethod
    def blocked(cv):
        if isinstance(cv, threading.Condition):
            return len(cv._waiters)  # a stdlib internal, as above
        return cv.waiting

    @staticmethod
    def fire(cv):
        with cv:
            cv.notify_all()


def fanout(schedule, n, waits=EventWaits):
    """For each factory in `schedule`, in order: block `n` threads in
    `waits.wait()` on a fresh object, then time from `waits.fire()` until the
    last of them has returned. Returns the seconds of each round.

    The same `n` threads serve every round: starting 3000 threads costs
    about a second here, which would blow the time budget, and their exit
    (bookkeeping under the GIL) would run inside the timed window. Between
    rounds each thread parks on a raw lock instead, a C-level wait that costs
    the same whichever implementation is measured.
    """
    rounds = len(schedule)
    events = [make() for make in schedule]
    # One counter per round: next() on itertools.count is a single built-in
    # call, atomic under the GIL (CPython's and PyPy's), so exactly one thread draws n - 1 and knows it is
    # the last to return. No lock that the waiters would contend for.
    arrivals = [itertools.count() for _ in range(rounds)]
    ends = [0.0] * rounds
    finished = [_locked() for _ in range(rounds)]  # released by the last one
    gates = [_locked() for _ in range(rounds)]  # released by the main thread
    wait, blocked, fire = waits.wait, waits.blocked, waits.fire

    def waiter():
        for k in range(rounds):
            wait(events[k])
            if next(arrivals[k]) == n - 1:
                ends[k] = perf_counter()
                finished[k].release()
            # Pass the gate in a chain: each thread lets the next one through.
            gates[k].acquire()
            gates[k].release()

    threads = [threading.Thread(target=waiter, daemon=True) for _ in range(n)]
    for thread in threads:
        thread.start()
    seconds = []
    opened = 0  # gates released so far
    try:
        for k in range(rounds):
            # Firing before every thread is blocked would time fewer
            # wake-ups than claimed.
            deadline = perf_counter() + 60
            while blocked(events[k]) < n:
                if perf_counter() > deadline:
                    raise RuntimeError("%d of %d threads blocked" % (blocked(events[k]), n))
                time.sleep(0.001)
            # A waiter is counted just before it blocks: give the last ones
            # time to get there, so none is still running when we start.
            time.sleep(0.01)
            gc.collect()
            t0 = perf_counter()
            fire(events[k])
            # A generous bound, only so that a broken waiter cannot hang us.
            if not finished[k].acquire(timeout=300):
                raise RuntimeError("the waiters of round %d did not all return" % k)
            seconds.append(ends[k] - t0)
            gates[k].release()
            opened += 1
    finally:
        # On an error, free every thread so that it exits. Only the gates of
        # rounds not run are still ours to open: the others may be held for
        # an instant by a thread passing through.
        for event in events[opened:]:
            fire(event)
        for gate in gates[opened:]:
            gate.release()
        for thread in threads:
            thread.join()
    return seconds


def fanout_tables(impls, runs, sizes, title, target, baseline, waits=EventWaits):
    """One table per N in `sizes`: `fanout` over the factories `impls`
    ({label: factory}), one unrecorded round of each first, then A B A B ..."""
    # Thousands of threads with the default stack reserve (8 MiB) would
    # reserve tens of GiB of address space; a waiter needs a few KiB.
    threading.stack_size(256 * 1024)
    before = threading.active_count()
    tables = []
    for n in sizes:
        order = list(impls) * (1 + runs)
        seconds = fanout([impls[label] for label in order], n, waits)
        samples = {label: [] for label in impls}
        for label, value in list(zip(order, seconds))[len(impls):]:
            samples[label].append(value)
        tables.append({
            "title": title % n,
            "n": n,
            "mode": "time",
            "target": target,
            "baseline": baseline,
            "samples": samples,
        })
        # Not a timing check: a leaked thread would skew every later run.
        if threading.active_count() != before:
            raise RuntimeError("threads leaked: %d alive" % threading.active_count())
    return tables


# Thread fan-outs stop at 4000 threads, also in --full; the asyncio fan-outs
# go on to 10 000 tasks there.
FANOUT_SIZES = {"smoke": (10, 20), "default": (100, 1000, 4000), "full": (100, 1000, 4000)}


def _locked():
    lock = threading.Lock()
    lock.acquire()
    return lock


@scenario("event-fanout", "time from Event.set() until the last of N blocked threads returned")
def event_fanout(runs):
    impls = {"aiologic.Event": aiologic.Event, "threading.Event": threading.Event}
    return fanout_tables(impls, runs, FANOUT_SIZES[SCALE], "set() -> last of N=%d thread waiters returned",
                         "ours <= 1.0x threading.Event, linear in N", "threading.Event")


class LoopThread:
    """An asyncio event loop running in a thread of its own."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call(self, coro, timeout=300):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


ASYNC_EVENTS = {
    # label: (factory, wait, waiting, set from another thread)
    "aiologic.Event": (
        aiologic.Event,
        lambda event: event,
        lambda event: event.waiting,
        lambda loop, event: event.set(),
    ),
    "asyncio.Event": (
        asyncio.Event,
        lambda event: event.wait(),
        lambda event: len(event._waiters),  # a stdlib internal, good enough here
        lambda loop, event: loop.call_soon_threadsafe(event.set),
    ),
}


def async_fanout_round(runner, label, n):
    """Block `n` tasks of the loop on a fresh event, set it from this
    thread, and return the seconds until the last task has returned."""
    make, wait, waiting, fire = ASYNC_EVENTS[label]
    arrivals = itertools.count()
    finished = _locked()
    end = [0.0]

    async def waiter(event):
        await wait(event)
        if next(arrivals) == n - 1:
            end[0] = perf_counter()
            finished.release()

    async def start():
        event = make()  # inside the loop: asyncio.Event binds a loop on 3.8/3.9
        return event, [asyncio.ensure_future(waiter(event)) for _ in range(n)]

    event, tasks = runner.call(start())
    deadline = perf_counter() + 60
    while waiting(event) < n:
        if perf_counter() > deadline:
            raise RuntimeError("%d of %d tasks blocked" % (waiting(event), n))
        time.sleep(0.001)
    gc.collect()
    t0 = perf_counter()
    fire(runner.loop, event)
    if not finished.acquire(timeout=300):
        raise RuntimeError("the waiters did not all return")
    runner.call(asyncio.wait(tasks))
    return end[0] - t0


@scenario("event-fanout-async", "time from Event.set() in another thread until the last of N asyncio tasks returned")
def event_fanout_async(runs):
    runner = LoopThread()
    tables = []
    try:
        for n in by_scale((10, 20), (100, 1000, 4000), (100, 1000, 4000, 10000)):
            order = list(ASYNC_EVENTS) * (1 + runs)
            seconds = [async_fanout_round(runner, label, n) for label in order]
            samples = {label: [] for label in ASYNC_EVENTS}
            for label, value in list(zip(order, seconds))[len(ASYNC_EVENTS):]:
                samples[label].append(value)
            tables.append({
                "title": "set() in a thread -> last of N=%d asyncio tasks returned" % n,
                "n": n,
                "mode": "time",
                "target": "ours <= 1.5x asyncio (set through call_soon_threadsafe)",
                "baseline": "asyncio.Event",
                "samples": samples,
            })
    finally:
        runner.close()
    return tables


def contended_round(impl, threads_count, tasks, iterations):
    """`threads_count` threads, each running an event loop with `tasks` tasks
    that each take the lock `iterations` times: seconds for all of it."""
    if impl == "aiologic.Lock":
        lock = aiologic.Lock()

        async def body():
            for _ in range(iterations):
                async with lock:
                    await asyncio.sleep(0)

    else:
        lock = threading.Lock()

        async def body():
            loop = asyncio.get_running_loop()
            for _ in range(iterations):
                await loop.run_in_executor(None, lock.acquire)
                try:
                    await asyncio.sleep(0)
                finally:
                    lock.release()

    async def main():
        await asyncio.gather(*(body() for _ in range(tasks)))

    start = threading.Barrier(threads_count + 1)
    threads = [threading.Thread(target=lambda: (start.wait(), asyncio.run(main()))) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    start.wait()
    t0 = perf_counter()
    for thread in threads:
        thread.join()
    return perf_counter() - t0


@scenario("lock-contended-loops", "a Lock shared by 2 and by 8 threads, each running an asyncio loop of 4 tasks")
def lock_contended_loops(runs):
    tasks = 4
    impls = ("aiologic.Lock", "threading.Lock via run_in_executor")
    tables = []
    for threads_count in (2, 8):
        iterations = by_scale(3, 500 // threads_count, 1000 // threads_count)
        samples = interleave(
            {impl: (lambda impl=impl: contended_round(impl, threads_count, tasks, iterations)) for impl in impls},
            runs,
            warmup=1,
        )
        acquisitions = threads_count * tasks * iterations
        tables.append({
            "title": "contended lock, %d threads x 1 loop x %d tasks" % (threads_count, tasks),
            "mode": "throughput",
            "target": "ours >= upstream in the same run",
            "baseline": impls[-1],
            "iterations": acquisitions,
            "samples": {label: [s / acquisitions for s in values] for label, values in samples.items()},
        })
    return tables


def bytes_per_blocked_waiter(make_lock, acquire, count=None):
    """tracemalloc growth per task blocked on a held lock (task included)."""
    import tracemalloc

    count = count or by_scale(20, 1000, 1000)

    async def main():
        lock = make_lock()
        await acquire(lock)

        async def waiter():
            await acquire(lock)

        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            tasks = [asyncio.ensure_future(waiter()) for _ in range(count)]
            for _ in range(3):
                await asyncio.sleep(0)  # every task runs up to its wait
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return grown / count

    return asyncio.run(main())


def bytes_per_blocked_thread(make_lock, acquire, release, count=None):
    """tracemalloc growth per thread blocked on a held lock, its Thread object
    included (thread stacks are not Python allocations and are not traced)."""
    import tracemalloc

    count = count or by_scale(5, 200, 500)
    threading.stack_size(256 * 1024)
    lock = make_lock()
    acquire(lock)
    waiting = [0]
    counter = threading.Lock()

    def waiter():
        with counter:
            waiting[0] += 1
        acquire(lock)
        release(lock)

    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        threads = [threading.Thread(target=waiter, daemon=True) for _ in range(count)]
        for thread in threads:
            thread.start()
        deadline = perf_counter() + 60
        while waiting[0] < count and perf_counter() < deadline:
            time.sleep(0.001)
        time.sleep(0.02)  # the last ones get from the count to their wait
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        release(lock)
        for thread in threads:
            thread.join()
    return grown / count


@scenario("waiter-memory", "tracemalloc growth per task or thread blocked on a held lock, itself included (CPython only)")
def waiter_memory(runs):
    if PYPY:
        return {"skipped": "tracemalloc does not trace allocations on PyPy"}
    measures = {
        "aiologic.Lock": lambda: bytes_per_blocked_waiter(aiologic.Lock, lambda lock: lock.async_acquire()),
        "asyncio.Lock": lambda: bytes_per_blocked_waiter(asyncio.Lock, lambda lock: lock.acquire()),
    }
    threads = {
        "aiologic.Lock": lambda: bytes_per_blocked_thread(
            aiologic.Lock, lambda lock: lock.green_acquire(), lambda lock: lock.green_release()),
        "threading.Lock": lambda: bytes_per_blocked_thread(
            threading.Lock, lambda lock: lock.acquire(), lambda lock: lock.release()),
    }
    return [{
        "title": "bytes per blocked async lock waiter",
        "mode": "memory",
        "target": "ours <= 2000 B",
        "baseline": "asyncio.Lock",
        "samples": interleave(measures, runs, warmup=0),
    }, {
        "title": "bytes per blocked thread lock waiter",
        "mode": "memory",
        "target": "none set",
        "baseline": "threading.Lock",
        "samples": interleave(threads, runs, warmup=0),
    }]


def bytes_per_object(factory, count=None):
    """tracemalloc growth over `count` fresh instances, per instance."""
    import tracemalloc

    count = count or by_scale(100, 10000, 10000)

    objects = [None] * count  # allocated before the baseline: not counted
    factory()  # a first instance may fill one-time caches
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(count):
            objects[i] = factory()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return grown / count


@scenario("lock-memory", "tracemalloc growth per instance over 10 000 fresh instances of every primitive (CPython only)")
def lock_memory(runs):
    if PYPY:
        return {"skipped": "tracemalloc does not trace allocations on PyPy"}
    import queue

    # (title, ours, label of the twin, twin, target); the capacity limiters
    # have no standard-library twin: a bounded semaphore is the nearest.
    pairs = [
        ("Lock", aiologic.Lock, "threading.Lock", threading.Lock, "ours <= 200 B per lock"),
        ("RLock", aiologic.RLock, "threading.RLock", threading.RLock, "none set"),
        ("Semaphore(1)", lambda: aiologic.Semaphore(1), "threading.Semaphore", lambda: threading.Semaphore(1), "none set"),
        ("BoundedSemaphore(2)", lambda: aiologic.BoundedSemaphore(2), "threading.BoundedSemaphore",
         lambda: threading.BoundedSemaphore(2), "none set"),
        ("CapacityLimiter(2)", lambda: aiologic.CapacityLimiter(2), "threading.BoundedSemaphore",
         lambda: threading.BoundedSemaphore(2), "none set"),
        ("RCapacityLimiter(2)", lambda: aiologic.RCapacityLimiter(2), "threading.BoundedSemaphore",
         lambda: threading.BoundedSemaphore(2), "none set"),
        ("Event", aiologic.Event, "threading.Event", threading.Event, "none set"),
        ("Condition", aiologic.Condition, "threading.Condition", threading.Condition, "none set"),
        ("Barrier(2)", lambda: aiologic.Barrier(2), "threading.Barrier", lambda: threading.Barrier(2), "none set"),
        ("Queue(16)", lambda: aiologic.Queue(16), "queue.Queue", lambda: queue.Queue(16), "none set"),
        ("SimpleQueue", aiologic.SimpleQueue, "queue.SimpleQueue", queue.SimpleQueue, "none set"),
    ]
    tables = []
    for name, ours, twin_label, twin, target in pairs:
        measures = {
            "aiologic." + name.split("(")[0]: lambda f=ours: bytes_per_object(f),
            twin_label: lambda f=twin: bytes_per_object(f),
        }
        tables.append({
            "title": "bytes per %s" % name,
            "mode": "memory",
            "target": target,
            "baseline": twin_label,
            "samples": interleave(measures, runs, warmup=0),
        })
    return tables


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    header(args.scenario)
    result = SCENARIOS[args.scenario](args.runs)
    if isinstance(result, list):
        result = {"tables": result}
    result.update(
        implementation=platform.python_implementation(),
        python=sys.version.split()[0],
        aiologic_file=aiologic.__file__,
        aiologic_version=getattr(aiologic, "__version__", "?"),
    )
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
