"""Run the benchmark scenarios and report them.

    uv run python benchmarks/run.py [scenario ...] [--runs N] [--upstream] [--before REF]

Each scenario runs in a fresh process (scenarios.py) that measures our
`aiologic` and the standard-library baseline in turns. With --upstream, a
second process per scenario runs the same file in the throwaway environment
benchmarks/.venv-upstream, which holds aiologic 0.17.1 from PyPI. With
--before REF, another process runs our code as it was at the git revision
REF (a worktree in benchmarks/.worktrees/, put first on PYTHONPATH), so a
change to a hot path shows its before and after in one run. The processes
alternate scenario by scenario within this one invocation.

Ratios are throughput over the baseline's (> 1: we are faster) unless the
row says "time" (< 1: we are faster) or "size" (< 1: we are smaller).
Nothing here fails on a ratio: benchmarks report, they do not gate.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.realpath(__file__))
REPO = os.path.dirname(HERE)
OUR_SOURCE = os.path.join(REPO, "aiologic-core", "src", "aiologic") + os.sep
WORKER = os.path.join(HERE, "scenarios.py")
UPSTREAM_VENV = os.path.join(HERE, ".venv-upstream")
UPSTREAM_REQUIREMENTS = ["aiologic==0.17.1", "anyio"]

SCENARIOS = [
    "lock-green",
    "lock-green-after-contention",
    "lock-green-pair",
    "lock-async",
    "lock-async-pair",
    "semaphore-green",
    "semaphore-async",
    "event-fanout",
    "event-fanout-async",
    "lock-contended-loops",
    "lock-memory",
    "waiter-memory",
]

# -- queues: their scenarios run in a worker of their own, queue_scenarios.py.
# With --culsans, one more process per queue scenario measures culsans's
# queue; it runs in the upstream environment, where culsans installs along
# with the upstream aiologic it depends on.
QUEUE_WORKER = os.path.join(HERE, "queue_scenarios.py")
QUEUE_SCENARIOS = [
    "queue-thread-to-asyncio",
    "queue-thread-to-asyncio-unbounded",
    "queue-asyncio-to-thread",
    "queue-asyncio-to-thread-unbounded",
    "queue-loop-to-loop",
    "queue-loop-to-loop-unbounded",
    "queue-trio-to-asyncio",
    "queue-trio-to-asyncio-unbounded",
    "queue-gevent-to-asyncio",
    "queue-gevent-to-asyncio-unbounded",
    "queue-ping-pong",
]
SCENARIOS = SCENARIOS + QUEUE_SCENARIOS
CULSANS_REQUIREMENT = "culsans==0.11.0"
FOREIGN_ROLES = ("upstream", "culsans")


def ensure_culsans(python):
    """Install culsans into the upstream environment on first use."""
    probe = subprocess.run([python, "-c", "import culsans"], stderr=subprocess.DEVNULL)
    if probe.returncode == 0:
        return
    uv = shutil.which("uv")
    if uv is None:
        sys.exit("uv is needed to install culsans into %s" % UPSTREAM_VENV)
    command = [uv, "pip", "install", "--python", python, CULSANS_REQUIREMENT]
    print("$ " + " ".join(command), flush=True)
    subprocess.run(command, check=True)


# -- processes ---------------------------------------------------------------


def ensure_upstream(python):
    """Create the upstream environment on first use. It is a separate venv
    so that upstream aiologic never lands in the project's own .venv."""
    if os.path.exists(python):
        return
    if python != venv_python(UPSTREAM_VENV):
        sys.exit("no interpreter at %s" % python)
    uv = shutil.which("uv")
    if uv is None:
        sys.exit("uv is needed to create %s" % UPSTREAM_VENV)
    for command in (
        [uv, "venv", UPSTREAM_VENV],
        [uv, "pip", "install", "--python", UPSTREAM_VENV] + UPSTREAM_REQUIREMENTS,
    ):
        print("$ " + " ".join(command), flush=True)
        subprocess.run(command, check=True)


def source_revision():
    """The commit our figures belong to, and whether the library sources
    differ from it (edits under benchmarks/ do not count)."""

    def git(*args):
        return subprocess.run(
            ["git", "-C", REPO] + list(args),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            universal_newlines=True,
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        edited = git("status", "--porcelain", "--", "aiologic-core", "aiologic-asyncio")
    except OSError:  # no git
        return "unknown"
    return "%s%s" % (commit or "unknown", " with uncommitted library edits" if edited else "")


def venv_python(venv):
    return os.path.join(venv, "Scripts" if os.name == "nt" else "bin", "python")


def ensure_worktree(ref):
    """A worktree of our sources at `ref`; returns (its library source
    directories, the aiologic package folder there)."""
    commit = subprocess.run(
        ["git", "-C", REPO, "rev-parse", "--short", ref], stdout=subprocess.PIPE, universal_newlines=True, check=True
    ).stdout.strip()
    tree = os.path.join(HERE, ".worktrees", commit)
    if not os.path.exists(tree):
        subprocess.run(["git", "-C", REPO, "worktree", "add", "--detach", tree, commit], check=True)
    sources = [os.path.join(tree, dist, "src") for dist in ("aiologic-core", "aiologic-asyncio", "aiologic-trio")]
    return [path for path in sources if os.path.isdir(path)], os.path.join(sources[0], "aiologic") + os.sep


def run_worker(role, python, scenario, runs, pythonpath=None, source=OUR_SOURCE):
    """Run one scenario in a fresh process; echo its header, return its
    parsed result. `pythonpath` puts other sources of ours first."""
    env = dict(os.environ)
    if role in FOREIGN_ROLES:
        # `uv run` exports the project's environment; the upstream
        # interpreter must see nothing of it.
        for name in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"):
            env.pop(name, None)
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(pythonpath + [env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    print("-- %s process" % role, flush=True)
    started = time.perf_counter()
    command = [python, WORKER, scenario, "--runs", str(runs)]
    if scenario in QUEUE_SCENARIOS:
        command = [python, QUEUE_WORKER, scenario, "--runs", str(runs)]
        if role == "culsans":
            command += ["--impl", "culsans"]
    process = subprocess.run(
        command,
        env=env,
        stdout=subprocess.PIPE,
        universal_newlines=True,
        timeout=600,
    )
    result = None
    for line in process.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
        else:
            print(line)
    print("  (%.1f s)" % (time.perf_counter() - started))
    if process.returncode != 0 or result is None:
        sys.exit("%s process failed on %s (exit status %d)" % (role, scenario, process.returncode))
    # Not a timing check: a wrong import would make every figure a lie.
    imported = os.path.realpath(result["aiologic_file"])
    # (A foreign process imports neither our sources nor a worktree of
    # them; its environment, .venv-upstream, does live under benchmarks/.)
    foreign = role in FOREIGN_ROLES
    if imported.startswith(source) == foreign or (foreign and imported.startswith(os.path.join(HERE, ".worktrees"))):
        sys.exit("%s process imported the wrong aiologic: %s" % (role, result["aiologic_file"]))
    return result


# -- figures -----------------------------------------------------------------

# How each mode shows its samples, and which way its ratio points.
UNITS = {"throughput": ("ns/op", 1e9), "time": ("ms", 1e3), "memory": ("B", 1)}
RATIO_WORDS = {"throughput": "throughput", "time": "time", "memory": "size"}


def ratio(mode, ours, base):
    """Throughput ratio (higher is better) or time/size ratio (lower is)."""
    return base / ours if mode == "throughput" else ours / base


def fmt(value, mode):
    unit, scale = UNITS[mode]
    value *= scale
    return "%.1f" % value if value < 1000 else "%.0f" % value


def summarize(table):
    """Per implementation: median, min, max, and the ratio over the
    baseline from the medians with its spread over paired rounds."""
    mode, base = table["mode"], table["baseline"]
    base_samples = table["samples"][base]
    rows = {}
    for label, samples in table["samples"].items():
        row = {"median": statistics.median(samples), "min": min(samples), "max": max(samples)}
        if label != base:
            paired = [ratio(mode, a, b) for a, b in zip(samples, base_samples)]
            row["ratio"] = ratio(mode, row["median"], statistics.median(base_samples))
            row["ratio_min"], row["ratio_max"] = min(paired), max(paired)
        rows[label] = row
    return rows


def print_table(table, rows, where):
    mode = table["mode"]
    unit = UNITS[mode][0]
    if "iterations" in table:
        where += ", %d iterations per measurement" % table["iterations"]
    print("    [%s, %s]" % (unit, where))
    for label, row in rows.items():
        line = "    %-22s median %9s   min..max %s..%s" % (
            label,
            fmt(row["median"], mode),
            fmt(row["min"], mode),
            fmt(row["max"], mode),
        )
        if "ratio" in row:
            line += "   %s ratio %.2fx (rounds %.2f..%.2f)" % (
                RATIO_WORDS[mode],
                row["ratio"],
                row["ratio_min"],
                row["ratio_max"],
            )
        print(line)


def describe(result):
    return "%s %s, aiologic %s" % (result["implementation"], result["python"], result["aiologic_version"])


def compare(table, rows, other_rows, other):
    """Ours against another process (upstream, or our code before a change)
    in one table: from the raw medians of the two processes, and
    normalized by the baseline each process measured alongside (which
    cancels a machine busier during one of them)."""
    mode = table["mode"]
    for label, row in rows.items():
        if label == table["baseline"] or label not in other_rows:
            continue
        them = other_rows[label]
        raw = ratio(mode, row["median"], them["median"])
        # Both stdlib ratios point the same way, so their quotient does too.
        normalized = row["ratio"] / them["ratio"]
        print("  ours/%s, %s: %s ratio %.2fx from the medians, %.2fx normalized by the baseline" % (
            other, label, RATIO_WORDS[mode], raw, normalized))


def run_scenario(scenario, runs, others, summary):
    """`others`: (role, interpreter, pythonpath, source) of the processes
    measured alongside ours."""
    print("\n== %s" % scenario, flush=True)
    ours = run_worker("ours", sys.executable, scenario, runs)
    results = []
    for role, python, pythonpath, source in others:
        if role == "culsans" and scenario not in QUEUE_SCENARIOS:
            continue  # culsans has queues only
        result = run_worker(role, python, scenario, runs, pythonpath, source)
        if (ours["implementation"], ours["python"]) != (result["implementation"], result["python"]):
            print("   (different interpreters: compare the normalized ratios only)")
        results.append((role, result))
    if "skipped" in ours:
        print("  skipped: %s" % ours["skipped"])
        return
    for index, table in enumerate(ours["tables"]):
        table["scenario"] = scenario
        rows = summarize(table)
        print("  %s -- target: %s" % (table["title"], table["target"]))
        print_table(table, rows, "ours process, " + describe(ours))
        twins = []
        for role, result in results:
            if "tables" in result and index < len(result["tables"]):
                other_rows = summarize(result["tables"][index])
                print_table(result["tables"][index], other_rows, "%s process, %s" % (role, describe(result)))
                compare(table, rows, other_rows, role)
                twins.append((role, other_rows))
        # Closing table order: each of ours, its twins, the baseline.
        for label, row in rows.items():
            if label != table["baseline"]:
                summary.append((table, label + " (ours)", row))
                for role, other_rows in twins:
                    if label in other_rows:
                        summary.append((table, "%s (%s)" % (label, role), other_rows[label]))
        # Implementations only another process measures (culsans's queue).
        for role, other_rows in twins:
            for label, row in other_rows.items():
                if label != table["baseline"] and label not in rows:
                    summary.append((table, "%s (%s)" % (label, role), row))
        summary.append((table, table["baseline"], rows[table["baseline"]]))
    print_growth(ours["tables"], "ours")
    for role, result in results:
        if "tables" in result:
            print_growth(result["tables"], role)


def print_growth(tables, role):
    """For tables measured at several sizes N: how the median grows from the
    smallest N to the largest, against the growth of N itself."""
    sized = [table for table in tables if "n" in table]
    if len(sized) < 2:
        return
    small, large = sized[0], sized[-1]
    growth = ", ".join(
        "%s %.2fx" % (label, statistics.median(large["samples"][label]) / statistics.median(samples))
        for label, samples in small["samples"].items()
    )
    print("  growth from N=%d to N=%d (%s process): %s; linear would be %.2fx" % (
        small["n"], large["n"], role, growth, large["n"] / small["n"]))


def main():
    parser = argparse.ArgumentParser(description="Run aiologic's benchmark scenarios.")
    parser.add_argument("scenarios", nargs="*", metavar="scenario", help="any of: " + ", ".join(SCENARIOS))
    parser.add_argument("--runs", type=int, default=9, help="measurements per implementation (at least 7)")
    parser.add_argument("--upstream", action="store_true", help="also measure aiologic 0.17.1 from PyPI")
    parser.add_argument(
        "--upstream-python",
        default=venv_python(UPSTREAM_VENV),
        help="interpreter of the upstream environment (default: %(default)s)",
    )
    parser.add_argument(
        "--culsans", action="store_true", help="also measure culsans 0.11 (queue scenarios; upstream environment)"
    )
    parser.add_argument("--before", metavar="REF", help="also measure our code at git revision REF")
    args = parser.parse_args()
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown:
        parser.error("unknown scenario(s): %s (choose from %s)" % (", ".join(unknown), ", ".join(SCENARIOS)))
    if args.runs < 7:
        parser.error("--runs must be at least 7: a median of fewer is too easily moved")
    others = []
    if args.before:
        pythonpath, source = ensure_worktree(args.before)
        others.append(("before %s" % args.before, sys.executable, pythonpath, source))
    if args.upstream:
        ensure_upstream(args.upstream_python)
        others.append(("upstream", args.upstream_python, None, OUR_SOURCE))
    if args.culsans:
        ensure_upstream(args.upstream_python)
        ensure_culsans(args.upstream_python)
        others.append(("culsans", args.upstream_python, None, OUR_SOURCE))

    print("driver: %s" % sys.version.replace("\n", " "))
    print("source: %s" % source_revision())
    summary = []  # (table, row label, row) for the closing table
    for scenario in args.scenarios or SCENARIOS:
        run_scenario(scenario, args.runs, others, summary)
    print_summary(summary)


def print_summary(summary):
    """All figures once more, as a Markdown table for benchmarks/README.md
    (the targets are printed with each scenario above)."""
    print("\n| scenario | measure | implementation | median | min..max | ratio vs baseline |")
    print("|---|---|---|---|---|---|")
    for table, label, row in summary:
        mode = table["mode"]
        unit = UNITS[mode][0]
        rel = "%.2fx %s" % (row["ratio"], RATIO_WORDS[mode]) if "ratio" in row else "baseline"
        print("| %s | %s | %s | %s %s | %s..%s | %s |" % (
            table["scenario"], table["title"], label, fmt(row["median"], mode), unit,
            fmt(row["min"], mode), fmt(row["max"], mode), rel))


if __name__ == "__main__":
    main()
