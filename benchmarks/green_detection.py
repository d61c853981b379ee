"""What importing greenlet (or gevent, or eventlet) costs an uncontended
`with lock:` in a plain thread.

    python benchmarks/green_detection.py [--runs N] [--loops N]

Libraries such as SQLAlchemy import `greenlet` without running any hub. The
green hot path must then stay nearly as cheap as without it (the target is
at most 1.2x). Each run is a fresh process, so that nothing the other case
imported or cached leaks into it; the two cases alternate (A B A B ...) so
that a machine busy for a while slows both alike. Reported: the median
nanoseconds per `with lock:` of each case, with the spread, the ratio of the
medians and the median ratio of the pairs.
Nothing here fails on a ratio: it reports, it does not gate.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
from typing import Dict, List, Tuple

CASES = ("without greenlet", "greenlet imported", "gevent imported", "eventlet imported")


def worker(case: str, loops: int) -> None:
    """Print the best of a few timings of `loops` uncontended `with lock:`."""
    if case == CASES[1]:
        import greenlet  # noqa: F401  # imported, as SQLAlchemy does; no hub
    elif case == CASES[2]:
        import gevent  # noqa: F401  # imported; no hub in this thread
    elif case == CASES[3]:
        import warnings

        warnings.simplefilter("ignore")  # eventlet announces its deprecation
        import eventlet  # noqa: F401

    import time

    import aiologic

    lock = aiologic.Lock()

    def measure() -> float:
        start = time.perf_counter_ns()
        for _ in range(loops):
            with lock:
                pass
        return (time.perf_counter_ns() - start) / loops

    measure()  # warm-up: the first green call may load and cache things
    # The best of many short timings: the least disturbed by other processes.
    print(min(measure() for _ in range(15)), aiologic.__file__)


def run(case: str, loops: int) -> Tuple[float, str]:
    """ns per `with lock:` in a fresh process, and the aiologic it imported."""
    result = subprocess.run(
        [sys.executable, __file__, "--worker", case, "--loops", str(loops)],
        capture_output=True,
        text=True,
        check=True,
    )
    value, _, source = result.stdout.strip().partition(" ")
    return float(value), source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="processes per case (at least 9)")
    parser.add_argument("--loops", type=int, default=50_000, help="`with lock:` per timing")
    parser.add_argument("--worker", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.loops)
        return
    if importlib.util.find_spec("greenlet") is None:
        sys.exit("greenlet is not installed here (uv sync --all-packages --group test)")
    runs = max(args.runs, 9)
    times: Dict[str, List[float]] = {case: [] for case in CASES}
    # gevent and eventlet run only where they are installed (not on PyPy).
    cases = [case for case in CASES if case.split()[0] in ("without", "greenlet") or importlib.util.find_spec(case.split()[0])]
    for _ in range(runs):
        for case in cases:
            value, source = run(case, args.loops)
            times[case].append(value)
    print(f"aiologic from {source}")
    print(f"{sys.implementation.name} {sys.version.split()[0]}, {runs} runs per case, median (min-max)")
    for case in cases:
        found = times[case]
        print(f"  {case:<18} {statistics.median(found):6.1f} ns per `with lock:` ({min(found):.1f}-{max(found):.1f})")
    for case in CASES[1:]:
        if not times[case]:
            continue
        ratio = statistics.median(times[case]) / statistics.median(times[CASES[0]])
        # Each pair ran back to back: its ratio is less disturbed by a machine
        # whose load drifts during the runs.
        paired = statistics.median(b / a for a, b in zip(times[CASES[0]], times[case]))
        print(f"  ratio ({case} / without): {ratio:.2f}x of the medians, {paired:.2f}x the median pair")
    print("  target: at most 1.20x")


if __name__ == "__main__":
    main()
