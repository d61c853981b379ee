"""The queue scenarios: one scenario per process, started by run.py.

Usage (run.py does this for you):
    python benchmarks/queue_scenarios.py NAME --runs N [--impl aiologic|culsans]

Like scenarios.py, this file runs in the project's environment ("ours") and
in the throwaway upstream environment, where it measures either upstream
aiologic's queues or (with --impl culsans) culsans's, which has the same
green_*/async_* methods. Every scenario moves items between two threads
(a plain thread and an asyncio loop, or two loops); the baseline is the
standard library's way of doing the same, measured in the same process, in
turns with the queue. Figures are seconds per item (per round trip for the
ping-pong).

Python 3.8-compatible on purpose.
"""

import argparse
import asyncio
import json
import platform
import queue as stdlib_queue
import sys
import threading

import aiologic
from scenarios import calibrate, interleave, perf_counter

SCENARIOS = {}
MAXSIZE = 1024


def scenario(name, description, target):
    def register(func):
        func.description = description
        func.target = target
        SCENARIOS[name] = func
        return func

    return register


def queue_factory(impl, bounded):
    """The queue class measured, and its label."""
    if impl == "culsans":
        import culsans

        return (lambda: culsans.Queue(MAXSIZE if bounded else 0)), "culsans.Queue"
    if bounded:
        return (lambda: aiologic.Queue(maxsize=MAXSIZE)), "aiologic.Queue"
    return aiologic.SimpleQueue, "aiologic.SimpleQueue"


class LoopThread:
    """An asyncio loop running in a thread of its own, for the whole process."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop)


def timed(producer, consume, run_consumer):
    """Start `producer` in a thread, run the consumer where `run_consumer`
    runs it; seconds until both are done."""
    thread = threading.Thread(target=producer)
    t0 = perf_counter()
    thread.start()
    run_consumer(consume)
    thread.join()
    return perf_counter() - t0


def table(title, target, measures, runs, baseline):
    n = min(calibrate(measure, guess_ns=2000) for measure in measures.values())
    samples = interleave({label: (lambda m=measure: m(n)) for label, measure in measures.items()}, runs)
    return {
        "title": title,
        "mode": "throughput",
        "target": target,
        "baseline": baseline,
        "iterations": n,
        "samples": {label: [s / n for s in values] for label, values in samples.items()},
    }


# -- a plain thread puts, an asyncio task gets -----------------------------------


def thread_to_asyncio(impl, bounded, runs, title, target):
    main_loop = asyncio.new_event_loop()
    make, label = queue_factory(impl, bounded)

    def ours(n):
        q = make()
        put = q.put if hasattr(q, "put") and not bounded and impl != "culsans" else q.green_put

        def producer():
            for i in range(n):
                put(i)

        async def consume():
            get = q.async_get
            for _ in range(n):
                await get()

        return timed(producer, consume, lambda c: main_loop.run_until_complete(c()))

    def baseline(n):
        aq = asyncio.Queue()
        call = main_loop.call_soon_threadsafe
        put_nowait = aq.put_nowait

        def producer():
            for i in range(n):
                call(put_nowait, i)

        async def consume():
            get = aq.get
            for _ in range(n):
                await get()

        return timed(producer, consume, lambda c: main_loop.run_until_complete(c()))

    base = "call_soon_threadsafe"
    return [table(title, target, {label: ours, base: baseline}, runs, base)]


@scenario(
    "queue-thread-to-asyncio",
    "Queue(maxsize=1024): a plain thread puts, an asyncio task gets",
    ">= culsans in the same run (culsans ~2.5-3.6x, upstream ~0.15x)",
)
def queue_thread_to_asyncio(runs, impl):
    return thread_to_asyncio(impl, True, runs, "thread -> asyncio, bounded", queue_thread_to_asyncio.target)


@scenario(
    "simplequeue-thread-to-asyncio",
    "SimpleQueue (culsans: unbounded Queue): a plain thread puts, an asyncio task gets",
    ">= 7x (upstream ~7.05x)",
)
def simplequeue_thread_to_asyncio(runs, impl):
    return thread_to_asyncio(impl, False, runs, "thread -> asyncio, simple", simplequeue_thread_to_asyncio.target)


# -- an asyncio task puts, a plain thread gets -------------------------------------


@scenario(
    "queue-asyncio-to-thread",
    "Queue(maxsize=1024): an asyncio task puts, a plain thread gets",
    ">= culsans in the same run (culsans ~1.15x, upstream ~0.04x)",
)
def queue_asyncio_to_thread(runs, impl):
    main_loop = asyncio.new_event_loop()
    make, label = queue_factory(impl, True)

    def measure(make_queue, put_async, get_green):
        def run(n):
            q = make_queue()
            def consumer():
                get = get_green(q)
                for _ in range(n):
                    get()

            async def produce():
                put = put_async(q)
                for i in range(n):
                    await put(i)

            thread = threading.Thread(target=consumer)
            t0 = perf_counter()
            thread.start()
            main_loop.run_until_complete(produce())
            thread.join()
            return perf_counter() - t0

        return run

    def stdlib_put(q):
        # queue.Queue's put, made awaitable: the task calls it directly (it
        # never blocks, the queue being unbounded).
        put = q.put

        async def aput(item):
            put(item)

        return aput

    ours = measure(make, lambda q: q.async_put, lambda q: q.green_get)
    baseline = measure(stdlib_queue.Queue, stdlib_put, lambda q: q.get)
    base = "queue.Queue"
    return [table("asyncio -> thread, bounded", queue_asyncio_to_thread.target, {label: ours, base: baseline}, runs, base)]


# -- loop to loop ------------------------------------------------------------------


@scenario(
    "queue-loop-to-loop",
    "Queue(maxsize=1024): an asyncio task in one thread puts, an asyncio task in another thread gets",
    ">= culsans in the same run (culsans ~3.4x, upstream ~0.12x)",
)
def queue_loop_to_loop(runs, impl):
    main_loop = asyncio.new_event_loop()
    producer_loop = LoopThread()
    make, label = queue_factory(impl, True)

    def ours(n):
        q = make()

        async def produce():
            put = q.async_put
            for i in range(n):
                await put(i)

        async def consume():
            get = q.async_get
            for _ in range(n):
                await get()

        t0 = perf_counter()
        done = producer_loop.run(produce())
        main_loop.run_until_complete(consume())
        done.result()
        return perf_counter() - t0

    def baseline(n):
        aq = asyncio.Queue()
        call = main_loop.call_soon_threadsafe
        put_nowait = aq.put_nowait

        async def produce():
            for i in range(n):
                call(put_nowait, i)

        async def consume():
            get = aq.get
            for _ in range(n):
                await get()

        t0 = perf_counter()
        done = producer_loop.run(produce())
        main_loop.run_until_complete(consume())
        done.result()
        return perf_counter() - t0

    base = "call_soon_threadsafe"
    return [table("loop -> loop, bounded", queue_loop_to_loop.target, {label: ours, base: baseline}, runs, base)]


# -- ping-pong ---------------------------------------------------------------------


@scenario(
    "queue-ping-pong",
    "round trips thread <-> asyncio task through two SimpleQueues (culsans: unbounded Queues)",
    ">= 1.0x the threading.Event + call_soon_threadsafe baseline",
)
def queue_ping_pong(runs, impl):
    main_loop = asyncio.new_event_loop()
    make, label = queue_factory(impl, False)

    def ours(n):
        ping, pong = make(), make()
        if impl == "culsans":
            send_ping, send_pong = ping.green_put, pong.put_nowait
        else:
            send_ping, send_pong = ping.put, pong.put

        def player():
            get = pong.green_get
            for i in range(n):
                send_ping(i)
                get()

        async def echo():
            get = ping.async_get
            for _ in range(n):
                send_pong(await get())

        return timed(player, echo, lambda c: main_loop.run_until_complete(c()))

    def baseline(n):
        there = asyncio.Event()
        back = threading.Event()
        call = main_loop.call_soon_threadsafe

        def player():
            for _ in range(n):
                call(there.set)
                back.wait()
                back.clear()

        async def echo():
            for _ in range(n):
                await there.wait()
                there.clear()
                back.set()

        return timed(player, echo, lambda c: main_loop.run_until_complete(c()))

    base = "Event+call_soon_threadsafe"
    return [table("ping-pong round trip", queue_ping_pong.target, {label: ours, base: baseline}, runs, base)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--impl", choices=("aiologic", "culsans"), default="aiologic")
    args = parser.parse_args()
    measured = "culsans" if args.impl == "culsans" else "aiologic"
    print("  measures:    %s (%s)" % (SCENARIOS[args.scenario].description, measured))
    print("  interpreter: %s %s" % (platform.python_implementation(), sys.version.replace("\n", " ")))
    print("  executable:  %s" % sys.executable)
    print("  aiologic:    %s (version %s)" % (aiologic.__file__, getattr(aiologic, "__version__", "?")))
    if args.impl == "culsans":
        import culsans

        print("  culsans:     %s (version %s)" % (culsans.__file__, getattr(culsans, "__version__", "?")))
    sys.stdout.flush()
    tables = SCENARIOS[args.scenario](args.runs, args.impl)
    result = {
        "tables": tables,
        "implementation": platform.python_implementation(),
        "python": sys.version.split()[0],
        "aiologic_file": aiologic.__file__,
        "aiologic_version": getattr(aiologic, "__version__", "?"),
    }
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
