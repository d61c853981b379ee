"""`Condition.notify_all()` waking N thread waiters: is it O(N)?

    python benchmarks/condition_fanout.py [--runs N] [--sizes 1000,4000]

N threads wait on one condition; the time runs from `notify_all()` until
the last of them has returned from its wait (with a lock, each has then
re-taken and released it in turn). Each run is a fresh process; the sizes
alternate (A B A B ...) so that a machine busy for a while slows them alike.
Reported: the median time per size with the spread, and the ratio of each
size's median to the smallest size's (linear growth gives the size ratio,
4.0 for 1000 -> 4000). Nothing here fails on a ratio: it reports.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from typing import Dict, List

CHILD = """
import sys, threading, time
import aiologic

n, kind = int(sys.argv[1]), sys.argv[2]
cv = aiologic.Condition(None if kind == "none" else aiologic.Lock())
done = []
finished = threading.Event()

def waiter():
    with cv:
        cv.wait()
    done.append(time.perf_counter())
    if len(done) == n:
        finished.set()

threads = [threading.Thread(target=waiter) for _ in range(n)]
for thread in threads:
    thread.start()
while cv.waiting < n:
    time.sleep(0.001)
start = time.perf_counter()
with cv:
    woken = cv.notify_all()
finished.wait(60)
assert woken == n and len(done) == n
print(max(done) - start)
for thread in threads:
    thread.join()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sizes", default="1000,4000")
    parser.add_argument("--kinds", default="none,lock")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    for kind in args.kinds.split(","):
        times: Dict[int, List[float]] = {size: [] for size in sizes}
        for _ in range(max(args.runs, 7)):
            for size in sizes:
                out = subprocess.run(
                    [sys.executable, "-c", CHILD, str(size), kind], check=True, capture_output=True, text=True
                )
                times[size].append(float(out.stdout.strip()))
        base = statistics.median(times[sizes[0]])
        for size in sizes:
            median = statistics.median(times[size])
            spread = max(times[size]) - min(times[size])
            print(
                f"Condition({'None' if kind == 'none' else 'Lock()'}).notify_all, {size:5d} thread waiters:"
                f" {median * 1e3:8.2f} ms (spread {spread * 1e3:.2f} ms), {median / base:.2f}x the {sizes[0]}"
            )


if __name__ == "__main__":
    main()
