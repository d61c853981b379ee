"""More benchmark scenarios: every lock, semaphore and limiter uncontended
(threads, asyncio, trio), fan-outs inside one loop and through conditions,
barrier rounds, import time and first-use latency.

Usage (run.py does this for you): python benchmarks/primitive_scenarios.py NAME --runs N

It registers its scenarios next to those of scenarios.py, so this file runs
every scenario of both (same protocol: a header, then one line
"RESULT <json>"). Like scenarios.py it imports only the standard library,
whichever `aiologic` the interpreter finds, and, where a scenario asks for
them, anyio and trio (a scenario whose library is missing says "skipped").

Python 3.8-compatible on purpose.
"""

import asyncio
import gc
import itertools
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time

import aiologic
from scenarios import (
    ASYNC_LOOP,
    FANOUT_SIZES,
    GREEN_LOOP,
    SCALE,
    ConditionWaits,
    by_scale,
    fanout_tables,
    interleave,
    main,
    make_async_runner,
    perf_counter,
    run_green,
    scenario,
    throughput_table,
)

# -- every lock, semaphore and limiter, uncontended ---------------------------


@scenario("uncontended-green", "uncontended `with x: pass` in one thread: RLock, BoundedSemaphore, limiters")
def uncontended_green(runs):
    # (title, ours, label of the baseline, baseline); the capacity limiters
    # have no standard-library twin: a bounded semaphore is the nearest.
    cases = [
        ("RLock", aiologic.RLock(), "threading.RLock", threading.RLock()),
        ("BoundedSemaphore(1)", aiologic.BoundedSemaphore(1), "threading.BoundedSemaphore",
         threading.BoundedSemaphore(1)),
        ("CapacityLimiter(1)", aiologic.CapacityLimiter(1), "threading.BoundedSemaphore",
         threading.BoundedSemaphore(1)),
        ("RCapacityLimiter(1)", aiologic.RCapacityLimiter(1), "threading.BoundedSemaphore",
         threading.BoundedSemaphore(1)),
    ]
    tables = []
    for title, ours, label, base in cases:
        impls = {"aiologic." + title.split("(")[0]: ours, label: base}
        tables.append(throughput_table("with %s: pass" % title, "none set", impls, runs, GREEN_LOOP, run_green))
    return tables


def anyio_or_none():
    try:
        import anyio
    except ImportError:
        return None
    return anyio


@scenario("uncontended-async", "uncontended `async with x: pass` in one asyncio task: RLock, BoundedSemaphore, limiters")
def uncontended_async(runs):
    anyio = anyio_or_none()
    run_async = make_async_runner()
    loop = asyncio.get_event_loop()

    async def make(factory):
        return factory()  # inside the loop: anyio's primitives ask for it

    def in_loop(factory):
        return loop.run_until_complete(make(factory))

    cases = [
        ("RLock", aiologic.RLock, "asyncio.Lock", asyncio.Lock),
        ("BoundedSemaphore(1)", lambda: aiologic.BoundedSemaphore(1), "asyncio.BoundedSemaphore",
         lambda: asyncio.BoundedSemaphore(1)),
    ]
    if anyio is not None:
        cases += [
            ("CapacityLimiter(1)", lambda: aiologic.CapacityLimiter(1), "anyio.CapacityLimiter",
             lambda: anyio.CapacityLimiter(1)),
            ("RCapacityLimiter(1)", lambda: aiologic.RCapacityLimiter(1), "anyio.CapacityLimiter",
             lambda: anyio.CapacityLimiter(1)),
        ]
    tables = []
    for title, ours, label, base in cases:
        impls = {"aiologic." + title.split("(")[0]: in_loop(ours), label: in_loop(base)}
        tables.append(throughput_table("async with %s: pass" % title, "none set", impls, runs, ASYNC_LOOP, run_async))
    return tables


@scenario("uncontended-trio", "uncontended `async with x: pass` in a trio task: ours, anyio's and trio's own")
def uncontended_trio(runs):
    anyio = anyio_or_none()
    try:
        import trio
    except ImportError:
        return {"skipped": "trio is not installed"}

    def run_trio(loop, n):
        return trio.run(loop, n)

    async def make(factories):
        return {label: factory() for label, factory in factories.items()}

    cases = [
        ("Lock", {"aiologic.Lock": aiologic.Lock, "anyio.Lock": lambda: anyio.Lock(), "trio.Lock": trio.Lock}),
        ("Semaphore(1)", {
            "aiologic.Semaphore": lambda: aiologic.Semaphore(1),
            "anyio.Semaphore": lambda: anyio.Semaphore(1),
            "trio.Semaphore": lambda: trio.Semaphore(1),
        }),
        ("CapacityLimiter(1)", {
            "aiologic.CapacityLimiter": lambda: aiologic.CapacityLimiter(1),
            "anyio.CapacityLimiter": lambda: anyio.CapacityLimiter(1),
            "trio.CapacityLimiter": lambda: trio.CapacityLimiter(1),
        }),
    ]
    tables = []
    for title, factories in cases:
        if anyio is None:
            factories = {label: f for label, f in factories.items() if not label.startswith("anyio.")}
        impls = trio.run(make, factories)
        tables.append(throughput_table("async with %s: pass (trio)" % title, "none set", impls, runs, ASYNC_LOOP,
                                       run_trio))
    return tables


# -- fan-outs -----------------------------------------------------------------


def local_fanout_round(loop, label, n):
    """Block `n` tasks of `loop` on a fresh event, set it from a task of the
    same loop, return the seconds until the last waiter has returned."""

    async def one_round():
        if label == "aiologic.Event":
            event = aiologic.Event()
            waiting = lambda: event.waiting  # noqa: E731

            async def wait():
                await event

        else:
            event = asyncio.Event()
            waiting = lambda: len(event._waiters)  # noqa: E731  (a stdlib internal)
            wait = event.wait
        arrivals = itertools.count()
        finished = asyncio.get_running_loop().create_future()
        end = [0.0]

        async def waiter():
            await wait()
            if next(arrivals) == n - 1:
                end[0] = perf_counter()
                finished.set_result(None)

        tasks = [asyncio.ensure_future(waiter()) for _ in range(n)]
        while waiting() < n:
            await asyncio.sleep(0)
        gc.collect()
        t0 = perf_counter()
        event.set()
        await asyncio.wait_for(finished, 300)
        await asyncio.gather(*tasks)
        return end[0] - t0

    return loop.run_until_complete(one_round())


@scenario("event-fanout-tasks", "time from Event.set() in a task until the last of N tasks of the same loop returned")
def event_fanout_tasks(runs):
    loop = asyncio.new_event_loop()
    labels = ("aiologic.Event", "asyncio.Event")
    tables = []
    try:
        for n in by_scale((10, 20), (100, 1000, 4000), (100, 1000, 4000, 10000)):
            samples = interleave({label: (lambda label=label: local_fanout_round(loop, label, n)) for label in labels},
                                 runs, warmup=1)
            tables.append({
                "title": "set() in a task -> last of N=%d tasks of the same loop returned" % n,
                "n": n,
                "mode": "time",
                "target": "none set",
                "baseline": "asyncio.Event",
                "samples": samples,
            })
    finally:
        loop.close()
    return tables


@scenario("condition-fanout", "time from Condition.notify_all() until the last of N blocked threads returned")
def condition_fanout(runs):
    # Both with their default lock, a reentrant one; each woken thread
    # re-takes it in turn, which is part of the time.
    impls = {"aiologic.Condition": aiologic.Condition, "threading.Condition": threading.Condition}
    return fanout_tables(impls, runs, FANOUT_SIZES[SCALE], "notify_all() -> last of N=%d thread waiters returned",
                         "linear in N", "threading.Condition", ConditionWaits)


# -- barriers -----------------------------------------------------------------


def thread_barrier_rounds(make, parties, rounds):
    """`parties` threads pass one barrier `rounds` times: seconds for all."""
    barrier = make(parties)
    start = threading.Barrier(parties + 1)

    def party():
        start.wait()
        for _ in range(rounds):
            barrier.wait()

    threads = [threading.Thread(target=party) for _ in range(parties)]
    for thread in threads:
        thread.start()
    start.wait()
    t0 = perf_counter()
    for thread in threads:
        thread.join()
    return perf_counter() - t0


def task_barrier_rounds(loop, label, parties, rounds):
    """`parties` tasks of one loop pass one barrier `rounds` times."""

    async def main():
        if label == "aiologic.Barrier":
            barrier = aiologic.Barrier(parties)

            async def wait():
                await barrier

        else:
            wait = asyncio.Barrier(parties).wait

        async def party():
            for _ in range(rounds):
                await wait()

        t0 = perf_counter()
        await asyncio.gather(*(party() for _ in range(parties)))
        return perf_counter() - t0

    return loop.run_until_complete(main())


@scenario("barrier-rounds", "rounds of a cyclic barrier: 4 threads, and 100 tasks of one asyncio loop")
def barrier_rounds(runs):
    parties, rounds = 4, by_scale(5, 300, 1000)
    impls = {"aiologic.Barrier": aiologic.Barrier, "threading.Barrier": threading.Barrier}
    samples = interleave(
        {label: (lambda make=make: thread_barrier_rounds(make, parties, rounds)) for label, make in impls.items()},
        runs,
        warmup=1,
    )
    tables = [{
        "title": "barrier round, %d threads" % parties,
        "mode": "throughput",
        "target": "none set",
        "baseline": "threading.Barrier",
        "iterations": rounds,
        "samples": {label: [s / rounds for s in values] for label, values in samples.items()},
    }]
    if sys.version_info >= (3, 11):  # asyncio.Barrier is new in 3.11
        tasks, rounds = by_scale(5, 100, 100), by_scale(3, 50, 200)
        loop = asyncio.new_event_loop()
        labels = ("aiologic.Barrier", "asyncio.Barrier")
        try:
            samples = interleave(
                {label: (lambda label=label: task_barrier_rounds(loop, label, tasks, rounds)) for label in labels},
                runs,
                warmup=1,
            )
        finally:
            loop.close()
        tables.append({
            "title": "barrier round, %d asyncio tasks" % tasks,
            "mode": "throughput",
            "target": "none set",
            "baseline": "asyncio.Barrier",
            "iterations": rounds,
            "samples": {label: [s / rounds for s in values] for label, values in samples.items()},
        })
    return tables


# -- fresh processes: import time, first use ----------------------------------


def child_environment(pycache):
    """This environment, with bytecode cached in `pycache` (as from an
    installed wheel, even where the environment says not to write any)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = pycache
    return env


TIMED_IMPORT = """
import sys, time
t0 = time.perf_counter()
__import__(sys.argv[1])
print(time.perf_counter() - t0)
"""


def import_seconds(module, env):
    """`python -X importtime -c "import <module>"` in a fresh process: the
    cumulative import time of `module` itself, in seconds. (PyPy has no
    -X importtime: there, the clock around the import statement.)"""
    if platform.python_implementation() == "PyPy":
        out = subprocess.run([sys.executable, "-c", TIMED_IMPORT, module], env=env, stdout=subprocess.PIPE,
                             universal_newlines=True, check=True).stdout
        return float(out.split()[-1])
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import " + module], env=env,
                         stderr=subprocess.PIPE, universal_newlines=True, check=True).stderr
    for line in out.splitlines():
        match = re.match(r"import time:\s*(\d+)\s*\|\s*(\d+)\s*\|(\s*)(\S+)", line)
        if match and match.group(4) == module and len(match.group(3)) <= 1:
            return int(match.group(2)) / 1e6
    raise RuntimeError("no import time for %s in:\n%s" % (module, out[-2000:]))


IMPORTED = """
import sys
before = set(sys.modules)
import aiologic
print(" ".join(sorted(set(sys.modules) - before)))
"""


@scenario("import-time", "`python -X importtime -c 'import aiologic'` in fresh processes, against asyncio's")
def import_time(runs):
    with tempfile.TemporaryDirectory() as pycache:
        env = child_environment(pycache)
        modules = subprocess.run([sys.executable, "-c", IMPORTED], env=env, stdout=subprocess.PIPE,
                                 universal_newlines=True, check=True).stdout.split()
        samples = interleave({
            "import aiologic": lambda: import_seconds("aiologic", env),
            "import threading": lambda: import_seconds("threading", env),
            "import asyncio": lambda: import_seconds("asyncio", env),
        }, runs, warmup=1)
    stdlib = getattr(sys, "stdlib_module_names", None)
    top = sorted({name.split(".")[0] for name in modules})
    foreign = [name for name in top if stdlib is not None and name not in stdlib and not name.startswith("_")]
    print("  import aiologic loads %d modules; top-level packages: %s" % (len(modules), ", ".join(top)))
    return [{
        "title": "import time (%s)" % ("clock around the import" if platform.python_implementation() == "PyPy"
                                       else "cumulative, -X importtime"),
        "mode": "time",
        "target": "none set",
        "baseline": "import asyncio",
        "samples": samples,
        "notes": {
            "modules": len(modules),
            "packages": top,
            "non_stdlib_packages": foreign,
            "aiologic_modules": len([name for name in modules if name.split(".")[0] == "aiologic"]),
        },
    }]


FIRST_USE = """
import asyncio, sys, time
import aiologic

async def main():
    lock = aiologic.Lock() if sys.argv[1] == "ours" else asyncio.Lock()
    took = []

    async def holder():
        async with lock:
            await asyncio.sleep(0)  # let the contender queue up

    async def contender():
        async with lock:
            took.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(holder(), contender())
    return took[0]

print(asyncio.run(main()))
"""

FIRST_USE_GREEN = """
import sys, threading, time
import aiologic

lock = aiologic.Lock() if sys.argv[1] == "ours" else threading.Lock()
acquire, release = (lock.green_acquire, lock.green_release) if sys.argv[1] == "ours" else (lock.acquire, lock.release)
start = time.perf_counter()
acquire()
release()
print(time.perf_counter() - start)
"""


def first_use_seconds(child, which, env):
    out = subprocess.run([sys.executable, "-c", child, which], env=env, stdout=subprocess.PIPE,
                         universal_newlines=True, check=True).stdout
    return float(out.split()[-1])


@scenario("first-use", "first use of a Lock in a fresh process (library detection and backend loading included)")
def first_use(runs):
    tables = []
    with tempfile.TemporaryDirectory() as pycache:
        env = child_environment(pycache)
        for title, child, labels in (
            ("first contended `async with lock` (two asyncio tasks)", FIRST_USE, ("aiologic.Lock", "asyncio.Lock")),
            ("first `with lock` in a plain thread", FIRST_USE_GREEN, ("aiologic.Lock", "threading.Lock")),
        ):
            samples = interleave({
                labels[0]: lambda child=child: first_use_seconds(child, "ours", env),
                labels[1]: lambda child=child: first_use_seconds(child, "stdlib", env),
            }, runs, warmup=1)
            tables.append({
                "title": title,
                "mode": "time",
                "target": "ours <= 5 ms" if child is FIRST_USE else "none set",
                "baseline": labels[1],
                "samples": samples,
            })
    return tables


if __name__ == "__main__":
    main()
