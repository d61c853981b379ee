"""The queue scenarios: one scenario per process, started by run.py.

Usage (run.py does this for you):
    python benchmarks/queue_scenarios.py NAME --runs N [--impl aiologic|culsans] [--smoke]

Like scenarios.py, this file runs in the project's environment ("ours") and
in the throwaway upstream environment, where it measures either upstream
aiologic's queues or (with --impl culsans) culsans's, which has the same
green_*/async_* methods. Every scenario streams items from a producer in one
thread to a consumer in another (a plain thread, an asyncio loop, a trio run,
a gevent hub), one table per kind of queue; the baseline is the standard
library's way of doing the same, measured in the same process, in turns with
the queues. Where janus is installed (the project's `bench` dependency
group), the process also measures janus's queue in the scenarios it serves
(a plain thread and the asyncio loop). Figures are seconds per item (per
round trip for the ping-pong).

Size: each measurement of the slowest implementation lasts about
`--seconds` (default 0.1 s). `--smoke`, or BENCH_SMOKE=1 in the
environment, moves a fixed 200 items per measurement instead: each scenario
then takes about a second. `--clock cpu`, or BENCH_CLOCK=cpu, times the
process's CPU time instead of the wall clock.

Python 3.8-compatible on purpose.
"""

import argparse
import asyncio
import json
import os
import platform
import queue as stdlib_queue
import sys
import threading

import aiologic
from queue_parts import (
    BOUNDED_KINDS,
    CLOCKS,
    MAXSIZE,
    SETTINGS,
    SIDES,
    SMOKE_ITEMS,
    SMOKE_MAXSIZE,
    UNBOUNDED_KINDS,
    Kind,
    LoopThread,
    Skip,
    async_consumer,
    async_producer,
    check_side,
    executor_consumer,
    green_consumer,
    green_producer,
    implementations,
    in_thread,
    kinds,
    now,
    optional,
    stdlib_full_put,
    table,
)

SCENARIOS = {}


def scenario(name, description, target):
    def register(func):
        func.description = description
        func.target = target
        SCENARIOS[name] = func
        return func

    return register


def streaming(main_loop, start, producer_side):
    """`measure(make, close, producer, consumer)` for one direction: the
    measure `run(n)` moves n items through a fresh queue, the producer (or,
    with `producer_side` False, the consumer) started elsewhere by
    `start(func, n)`, the other side run in `main_loop`; returns seconds."""

    def measure(make, close, producer, consumer):
        def run(n):
            q = make()
            produce, consume = producer(q), consumer(q)
            elsewhere, here = (produce, consume) if producer_side else (consume, produce)
            t0 = now()
            join = start(elsewhere, n)
            main_loop.run_until_complete(here(n))
            join()
            seconds = now() - t0
            close(q)
            return seconds

        return run

    return measure


def into_asyncio(side, bounded, runs, impl):
    """One table per kind: a producer on `side` streams items into a
    consumer task of the main thread's asyncio loop."""
    check_side(side)
    start, is_async, _ = SIDES[side]
    main_loop = asyncio.new_event_loop()
    producer_loop = None
    if side == "loop":
        producer_loop = LoopThread()
        start = producer_loop.producer
    measure = streaming(main_loop, start, producer_side=True)
    tables = []
    for kind in kinds(bounded):
        measures = {}
        for queue_impl in implementations(impl, kind, main_loop, janus_too=side == "thread"):
            if is_async:
                producer = lambda q, i=queue_impl: async_producer(*i.async_put(q))  # noqa: E731
            else:
                producer = lambda q, i=queue_impl: green_producer(i.green_put(q))  # noqa: E731
            consumer = lambda q, i=queue_impl: async_consumer(i.async_get(q))  # noqa: E731
            measures[queue_impl.label] = measure(queue_impl.make, queue_impl.close, producer, consumer)
        if bounded:
            # queue.Queue of the same order, its waits in worker threads.
            base = "queue.%s+executor" % kind.general
            stdlib_cls = getattr(stdlib_queue, kind.general)
            measures[base] = measure(
                lambda: stdlib_cls(kind.maxsize),
                lambda q: None,
                lambda q: stdlib_full_put(side, q, producer_loop and producer_loop.loop),
                lambda q: executor_consumer(q, main_loop),
            )
        else:
            # asyncio's queue of the same order, fed through the loop.
            base = "call_soon_threadsafe"
            asyncio_cls = getattr(asyncio, kind.general)

            def base_producer(aq):
                call, put_nowait = main_loop.call_soon_threadsafe, aq.put_nowait
                if is_async:

                    async def produce(n):
                        for i in range(n):
                            call(put_nowait, i)

                    return produce

                def produce(n):
                    for i in range(n):
                        call(put_nowait, i)

                return produce

            measures[base] = measure(
                # made in the loop: asyncio.Queue binds its loop on 3.8 and 3.9
                lambda: main_loop.run_until_complete(made(asyncio_cls)),
                lambda q: None,
                base_producer,
                lambda aq: async_consumer(aq.get),
            )
        title = "%s -> asyncio, %s" % (side, kind.title)
        tables.append(table(title, kind, TARGET, measures, runs, base))
    return tables


async def made(cls):
    return cls()



TARGET = ">= upstream and >= culsans in the same run"


def stream_scenarios(side, into):
    """Register the bounded and the unbounded scenario of one direction."""
    where = SIDES[side][2] if into == "asyncio" else "an asyncio task"
    to = "an asyncio task of another thread" if into == "asyncio" else "a plain thread"
    for bounded in (True, False):
        name = "queue-%s-to-%s%s" % (side, "loop" if side == "loop" else into, "" if bounded else "-unbounded")
        what = "%s(maxsize=%d; %d with --smoke) each" % ("/".join(BOUNDED_KINDS), MAXSIZE, SMOKE_MAXSIZE)
        what = what if bounded else "/".join(UNBOUNDED_KINDS)
        description = "%s: %s puts, %s gets" % (what, where, to)
        if into == "asyncio":
            func = lambda runs, impl, side=side, bounded=bounded: into_asyncio(side, bounded, runs, impl)  # noqa: E731
        else:
            func = lambda runs, impl, bounded=bounded: asyncio_to_thread(bounded, runs, impl)  # noqa: E731
        scenario(name, description, TARGET)(func)


# -- asyncio -> a plain thread ---------------------------------------------------------


def asyncio_to_thread(bounded, runs, impl):
    main_loop = asyncio.new_event_loop()
    measure = streaming(main_loop, in_thread, producer_side=False)
    tables = []
    for kind in kinds(bounded):
        measures = {}
        for queue_impl in implementations(impl, kind, main_loop, janus_too=True):
            measures[queue_impl.label] = measure(
                queue_impl.make,
                queue_impl.close,
                lambda q, i=queue_impl: async_producer(*i.async_put(q)),
                lambda q, i=queue_impl: green_consumer(i.green_get(q)),
            )
        if bounded:
            base = "queue.%s+executor" % kind.general
            stdlib_cls = getattr(stdlib_queue, kind.general)
            producer = lambda q: stdlib_full_put("loop", q, main_loop)  # noqa: E731
        else:
            # queue.SimpleQueue for a SimpleQueue (all in C), else the
            # queue.Queue of the same order; the task's put never blocks.
            stdlib_cls = stdlib_queue.SimpleQueue if kind.name == "SimpleQueue" else getattr(stdlib_queue, kind.general)
            base = "queue.%s" % stdlib_cls.__name__
            producer = lambda q: async_producer(q.put, False)  # noqa: E731
        args = (kind.maxsize,) if bounded else ()
        measures[base] = measure(lambda: stdlib_cls(*args), lambda q: None, producer, lambda q: green_consumer(q.get))
        tables.append(table("asyncio -> thread, %s" % kind.title, kind, TARGET, measures, runs, base))
    return tables



for _side in ("thread", "loop", "trio", "gevent"):
    stream_scenarios(_side, "asyncio")
stream_scenarios("asyncio", "thread")


# -- ping-pong -------------------------------------------------------------------------


@scenario(
    "queue-ping-pong",
    "round trips plain thread <-> asyncio task through two SimpleQueues (culsans, janus: unbounded Queues)",
    ">= 1.0x the threading.Event + call_soon_threadsafe baseline; >= upstream, culsans",
)
def queue_ping_pong(runs, impl):
    main_loop = asyncio.new_event_loop()
    kind = Kind("SimpleQueue", False)

    def measure(queue_impl):
        def run(n):
            ping, pong = queue_impl.make(), queue_impl.make()
            send_ping, get_pong = queue_impl.green_put(ping), queue_impl.green_get(pong)
            get_ping, (send_pong, awaited) = queue_impl.async_get(ping), queue_impl.async_put(pong)
            assert not awaited  # a SimpleQueue's put, or put_nowait

            def player():
                for i in range(n):
                    send_ping(i)
                    get_pong()

            async def echo():
                for _ in range(n):
                    send_pong(await get_ping())

            t0 = now()
            join = in_thread(player)
            main_loop.run_until_complete(echo())
            join()
            seconds = now() - t0
            queue_impl.close(ping)
            queue_impl.close(pong)
            return seconds

        return run

    def baseline(n):
        there = main_loop.run_until_complete(made(asyncio.Event))
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

        t0 = now()
        join = in_thread(player)
        main_loop.run_until_complete(echo())
        join()
        return now() - t0

    measures = {i.label: measure(i) for i in implementations(impl, kind, main_loop, janus_too=True)}
    base = "Event+call_soon_threadsafe"
    measures[base] = baseline
    return [table("ping-pong round trip, thread <-> asyncio", kind, queue_ping_pong.target, measures, runs, base)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--impl", choices=("aiologic", "culsans"), default="aiologic")
    parser.add_argument(
        "--seconds", type=float, default=SETTINGS["seconds"], help="length of one measurement (default %(default)s)"
    )
    parser.add_argument(
        "--smoke", action="store_true", help="%d items per measurement (also BENCH_SMOKE=1)" % SMOKE_ITEMS
    )
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default=os.environ.get("BENCH_CLOCK", "wall"),
        help="wall time, or the process's CPU time (also BENCH_CLOCK=cpu)",
    )
    args = parser.parse_args()
    SETTINGS["seconds"] = args.seconds
    SETTINGS["clock"] = args.clock
    SETTINGS["smoke"] = args.smoke or os.environ.get("BENCH_SMOKE", "") not in ("", "0")
    if SETTINGS["smoke"]:
        SETTINGS["maxsize"] = SMOKE_MAXSIZE
    measured = "culsans" if args.impl == "culsans" else "aiologic"
    print("  measures:    %s (%s)" % (SCENARIOS[args.scenario].description, measured))
    print("  interpreter: %s %s" % (platform.python_implementation(), sys.version.replace("\n", " ")))
    print("  executable:  %s" % sys.executable)
    print("  aiologic:    %s (version %s)" % (aiologic.__file__, getattr(aiologic, "__version__", "?")))
    for name in ("culsans",) if args.impl == "culsans" else ("janus",):
        module = optional(name)
        if module is not None:
            print("  %-12s %s (version %s)" % (name + ":", module.__file__, getattr(module, "__version__", "?")))
    if args.clock != "wall":
        print("  clock:       %s time" % args.clock)
    if SETTINGS["smoke"]:
        print("  size:        smoke (%d items per measurement, maxsize %d)" % (SMOKE_ITEMS, SMOKE_MAXSIZE))
    sys.stdout.flush()
    result = {
        "implementation": platform.python_implementation(),
        "python": sys.version.split()[0],
        "aiologic_file": aiologic.__file__,
        "aiologic_version": getattr(aiologic, "__version__", "?"),
    }
    try:
        result["tables"] = SCENARIOS[args.scenario](args.runs, args.impl)
    except Skip as reason:
        print("  skipped:     %s" % reason)
        result["skipped"] = str(reason)
        result["tables"] = []
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
