"""The cost of the first contended use of a primitive in a process.

    python benchmarks/first_use.py [--runs N] [--dists N] [--source FOLDER ...]

The first time a primitive must wait, aiologic finds the caller's library and
loads its backend. This script measures that moment: in a fresh process, two
asyncio tasks contend for one `aiologic.Lock`, and the time from the start of
the first task's `async with lock` until the second task holds the lock is
taken (the first use detects the library, even uncontended, to record the
owner). The imports of asyncio and aiologic happen before and are not
counted.

Each run is a fresh process, with `--dists` extra dummy distributions (a
`*.dist-info` folder each, with METADATA and entry_points.txt, in a temporary
folder put on the path through PYTHONPATH), as a real environment has: a
registry that reads every distribution's entry points pays for them. The
median of `--runs` runs (at least 7) is printed with the spread, next to the
same measurement without the dummies, and whether the measured processes
imported `importlib.metadata` (a full scan of the entry points). The target
is 5 ms or less.

Modules are imported from bytecode cached in a temporary folder
(``PYTHONPYCACHEPREFIX``; the warm-up runs fill it), as from an installed
wheel, even where the environment says not to write bytecode: compiling
every module from source would be most of what is measured. ``--source`` times another copy of the code, such as an
older checkout: ``--source old/aiologic-core/src --source
old/aiologic-asyncio/src``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from typing import Dict, List

REPO = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))

CHILD = """
import asyncio, time
import aiologic

async def main():
    lock = aiologic.Lock()
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

import sys
print(asyncio.run(main()), "importlib.metadata" in sys.modules, aiologic.__file__)
"""


def make_distributions(folder: str, count: int) -> None:
    """`count` dummy distributions, each with an entry point in a group of
    its own and one in ``console_scripts``: metadata to read, nothing to
    import."""
    for i in range(count):
        info = os.path.join(folder, f"dummy_dist_{i}-1.0.dist-info")
        os.makedirs(info)
        with open(os.path.join(info, "METADATA"), "w") as file:
            file.write(f"Metadata-Version: 2.1\nName: dummy-dist-{i}\nVersion: 1.0\n")
        with open(os.path.join(info, "entry_points.txt"), "w") as file:
            file.write(f"[console_scripts]\ndummy-{i} = dummy_{i}:main\n\n[dummy.group{i}]\nx = dummy_{i}:x\n")


def one_run(env: Dict[str, str], source: str, scans: List[bool]) -> float:
    """One fresh process: the time of its first contended use (and whether it
    read the metadata, appended to `scans`)."""
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"the measured process failed:\n{out.stderr}")
    took, scanned, imported = out.stdout.split()
    if not os.path.realpath(imported).startswith(os.path.realpath(source)):
        sys.exit(f"the measured process imported {imported}, not aiologic from {source}")
    scans.append(scanned == "True")
    return float(took)


def environment(pycache: str, *paths: str) -> Dict[str, str]:
    """This environment, with `paths` first on the module search path and
    bytecode cached in `pycache`."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [*paths, env.get("PYTHONPATH", "")]))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = pycache
    return env


def report(label: str, times: List[float]) -> None:
    ms = [t * 1000 for t in times]
    print(f"{label:<34} median {statistics.median(ms):7.2f} ms  (min {min(ms):.2f} .. max {max(ms):.2f}, {len(ms)} runs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="fresh processes per figure (at least 7)")
    parser.add_argument("--dists", type=int, default=100, help="extra dummy distributions")
    parser.add_argument(
        "--source",
        action="append",
        default=[],
        help="a folder to import packages from before the installed ones (repeatable), to time another copy of"
        " aiologic-core/src and aiologic-asyncio/src",
    )
    args = parser.parse_args()
    runs = max(7, args.runs)
    print(f"Python {sys.version.split()[0]}; first contended `async with lock` (two asyncio tasks)")
    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryDirectory() as pycache:
        make_distributions(folder, args.dists)
        without, with_dummies = environment(pycache, *args.source), environment(pycache, *args.source, folder)
        source = args.source[0] if args.source else os.path.join(REPO, "aiologic-core", "src")
        scans: List[bool] = []
        one_run(without, source, [])  # warm the file-system and bytecode caches
        one_run(with_dummies, source, [])
        # Interleave the two configurations so that a slow moment of the
        # machine hits both alike.
        plain: List[float] = []
        dummies: List[float] = []
        for _ in range(runs):
            plain.append(one_run(without, source, scans))
            dummies.append(one_run(with_dummies, source, scans))
    report("installed distributions only", plain)
    report(f"with {args.dists} extra distributions", dummies)
    print(f"importlib.metadata imported in {sum(scans)} of {len(scans)} processes")
    print("target: <= 5 ms with 100 extra distributions")


if __name__ == "__main__":
    main()
