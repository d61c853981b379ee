"""Event fan-out under gevent and eventlet: the time from `set()` until the
last of N greenlets waiting on the event has resumed.

    python benchmarks/greenlet_fanout.py [--runs N] [--greenlets N]

Each library's hub runs in a thread of its own (no monkey-patching). Three
rows per library, measured in turns (A B C A B C ...), medians of the runs
with the spread:

* the library's own event, set by a greenlet of the hub (the baseline);
* `aiologic.Event`, set by a greenlet of the same hub (local wake-ups: one
  scheduled drain of the hub's wake-up queue);
* `aiologic.Event`, set by a plain thread (one system call per batch).

Nothing here fails on a ratio: it reports, it does not gate.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import threading
import time
import warnings
from typing import Any, Callable, Dict, List, Tuple

import aiologic

ROWS = ("own event, same hub", "aiologic.Event, same hub", "aiologic.Event, from a thread")


def _library(name: str) -> Tuple[Callable[[], Any], Callable[..., Any], Callable[[float], None], Callable[[], Any], Callable[[Any], None]]:
    """get_hub, spawn, sleep, own Event class, finish(hub)."""
    if name == "gevent":
        import gevent
        import gevent.event

        return gevent.get_hub, gevent.spawn, gevent.sleep, gevent.event.Event, lambda hub: hub.destroy(destroy_loop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # eventlet announces its deprecation
        import eventlet
        import eventlet.event
        import eventlet.hubs

    class OwnEvent:  # eventlet's Event is one-shot with send()/wait()
        def __init__(self) -> None:
            self._event = eventlet.event.Event()

        def wait(self) -> Any:
            return self._event.wait()

        def set(self) -> None:
            self._event.send(True)

    def finish(hub: Any) -> None:
        if hub.running:
            hub.abort(wait=True)

    return eventlet.hubs.get_hub, eventlet.spawn, eventlet.sleep, OwnEvent, finish


def measure(name: str, row: str, count: int) -> float:
    """Milliseconds from set() until the last of `count` waiters resumed."""
    get_hub, spawn, sleep, own_event, finish = _library(name)
    times: Dict[str, float] = {}

    def hub_thread() -> None:
        hub = get_hub()
        event = own_event() if row == ROWS[0] else aiologic.Event()
        resumed = [0]

        def waiter() -> None:
            event.wait()
            resumed[0] += 1
            if resumed[0] == count:
                times["end"] = time.perf_counter()

        greenlets = [spawn(waiter) for _ in range(count)]
        sleep(0.01)  # every waiter waits
        if row == ROWS[2]:

            def setter() -> None:
                times["start"] = time.perf_counter()
                event.set()

            thread = threading.Thread(target=setter)
            thread.start()
        else:
            times["start"] = time.perf_counter()
            event.set()
        while resumed[0] < count:
            sleep(0.001)
        if row == ROWS[2]:
            thread.join()
        del greenlets
        finish(hub)

    thread = threading.Thread(target=hub_thread)
    thread.start()
    thread.join()
    return (times["end"] - times["start"]) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="measurements per row (at least 7)")
    parser.add_argument("--greenlets", type=int, default=1000)
    args = parser.parse_args()
    libraries = [name for name in ("gevent", "eventlet") if importlib.util.find_spec(name)]
    if not libraries:
        raise SystemExit("neither gevent nor eventlet is installed here")
    if "eventlet" in libraries:
        _library("eventlet")  # imported in the main thread (see docs/greenlet.md)
    print(f"aiologic from {aiologic.__file__}")
    for name in libraries:
        results: Dict[str, List[float]] = {row: [] for row in ROWS}
        for row in ROWS:
            measure(name, row, args.greenlets)  # warm-up
        for _ in range(max(args.runs, 7)):
            for row in ROWS:
                results[row].append(measure(name, row, args.greenlets))
        print(f"{name}: {args.greenlets} greenlets, median (min-max) ms from set() to the last resumed")
        base = statistics.median(results[ROWS[0]])
        for row in ROWS:
            found = results[row]
            median = statistics.median(found)
            print(f"  {row:<30} {median:7.2f} ({min(found):.2f}-{max(found):.2f})  {median / base:.2f}x time")


if __name__ == "__main__":
    main()
