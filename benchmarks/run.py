"""Run the benchmark scenarios and report them.

    uv run --group bench python benchmarks/run.py            # the default set
    uv run --group bench python benchmarks/run.py --full     # every size, PyPy too
    python benchmarks/run.py --smoke --out DIR               # tiny sizes (the test)
    uv run python benchmarks/run.py [scenario ...] [--runs N] [--before REF] [--ours-only]

Each scenario runs in a fresh process (primitive_scenarios.py, which also
runs every scenario of scenarios.py; queue_scenarios.py for the queues) that
measures our `aiologic` and the standard-library baseline (and, where the
scenario has them, anyio's and trio's own primitives) in turns. A second
process per scenario runs the same file in the throwaway environment
benchmarks/.venv-upstream, which holds aiologic 0.17.1 from PyPI (created on
first use), and for the queues a third one measures culsans 0.11 there. With
--before REF, another process runs our code as it was at the git revision
REF (a worktree in benchmarks/.worktrees/, put first on PYTHONPATH), so a
change to a hot path shows its before and after in one run. The processes
alternate scenario by scenario within this one invocation.

Results go to benchmarks/results/ (or --out): latest.json (every sample,
with the machine, interpreter, commit and date), latest.md (the table) and,
when matplotlib is importable, ratios.png and fanout.png. A complete run of
the default set (or --full) also publishes them to docs/performance.md and
docs/_static/benchmarks/ (--no-publish to keep the docs as they are).

Ratios are throughput over the baseline's (> 1: we are faster) unless the
row says "time" (< 1: we are faster) or "size" (< 1: we are smaller); the
tables and plots give "ours' advantage", the other implementation's median
over ours (> 1: ours is faster or smaller, whatever the measure).
Nothing here fails on a ratio: benchmarks report, they do not gate.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.realpath(__file__))
REPO = os.path.dirname(HERE)
OUR_SOURCE = os.path.join(REPO, "aiologic-core", "src", "aiologic") + os.sep
WORKER = os.path.join(HERE, "primitive_scenarios.py")
UPSTREAM_VENV = os.path.join(HERE, ".venv-upstream")
UPSTREAM_REQUIREMENTS = ["aiologic==0.17.1", "anyio", "trio"]
PYPY_VENV = os.path.join(HERE, ".venv-pypy")
PYPY_UPSTREAM_VENV = os.path.join(HERE, ".venv-upstream-pypy")
RESULTS = os.path.join(HERE, "results")
DOCS = os.path.join(REPO, "docs")

SCENARIOS = [
    "lock-green",
    "lock-green-after-contention",
    "lock-green-pair",
    "lock-async",
    "lock-async-pair",
    "semaphore-green",
    "semaphore-async",
    "uncontended-green",
    "uncontended-async",
    "uncontended-trio",
    "event-fanout",
    "event-fanout-tasks",
    "event-fanout-async",
    "condition-fanout",
    "barrier-rounds",
    "lock-contended-loops",
    "lock-memory",
    "waiter-memory",
    "import-time",
    "first-use",
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
# Roles whose process imports another aiologic than ours, and the worker
# option each passes to the queue worker (None: none).
FOREIGN_ROLES = {"upstream": None, "culsans": "culsans", "upstream (PyPy)": None}


# -- environments --------------------------------------------------------------


def find_uv():
    uv = shutil.which("uv")
    if uv is None:
        sys.exit("uv is needed to create the throwaway environments (or pass --ours-only)")
    return uv


def ensure_environment(python, venv, requirements, interpreter=None, probe="import aiologic"):
    """Create the throwaway environment `venv` on first use, and install into
    it what `probe` finds missing. A separate venv, so that upstream aiologic
    never lands in the project's own .venv."""
    if not os.path.exists(python):
        if python != venv_python(venv):
            sys.exit("no interpreter at %s" % python)
        command = [find_uv(), "venv", venv]
        if interpreter:
            command += ["--python", interpreter]
        print("$ " + " ".join(command), flush=True)
        subprocess.run(command, check=True)
    if subprocess.run([python, "-c", probe], stderr=subprocess.DEVNULL).returncode != 0:
        command = [find_uv(), "pip", "install", "--python", python] + requirements
        print("$ " + " ".join(command), flush=True)
        subprocess.run(command, check=True)


def ensure_upstream(python, venv=UPSTREAM_VENV, interpreter=None):
    ensure_environment(python, venv, UPSTREAM_REQUIREMENTS, interpreter, "import aiologic, anyio, trio")


def ensure_culsans(python):
    """Install culsans into the upstream environment on first use."""
    ensure_environment(python, UPSTREAM_VENV, [CULSANS_REQUIREMENT], probe="import culsans")


def ensure_pypy():
    """Our sources (editable) and upstream, each in a PyPy environment of its
    own; None when no PyPy is installed."""
    pypy = shutil.which("pypy3")
    if pypy is None:
        return None
    ours = venv_python(PYPY_VENV)
    dists = ["-e", os.path.join(REPO, "aiologic-core"), "-e", os.path.join(REPO, "aiologic-asyncio"),
             "-e", os.path.join(REPO, "aiologic-trio")]
    ensure_environment(ours, PYPY_VENV, dists + ["anyio", "trio"], pypy, "import aiologic, anyio, trio")
    upstream = venv_python(PYPY_UPSTREAM_VENV)
    ensure_upstream(upstream, PYPY_UPSTREAM_VENV, pypy)
    return ours, upstream


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


def run_worker(role, python, scenario, runs, scale, pythonpath=None, source=OUR_SOURCE):
    """Run one scenario in a fresh process; echo its header, return its
    parsed result, or {"error": ...} when the process failed. `pythonpath`
    puts other sources of ours first."""
    env = dict(os.environ)
    env["AIOLOGIC_BENCH_SCALE"] = scale
    if scale == "smoke":
        env["BENCH_SMOKE"] = "1"  # the queue worker's own switch for tiny sizes
    if role in FOREIGN_ROLES or python != sys.executable:
        # `uv run` exports the project's environment; another interpreter
        # must see nothing of it.
        for name in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"):
            env.pop(name, None)
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(pythonpath + [env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    print("-- %s process" % role, flush=True)
    started = time.perf_counter()
    command = [python, WORKER, scenario, "--runs", str(runs)]
    if scenario in QUEUE_SCENARIOS:
        command = [python, QUEUE_WORKER, scenario, "--runs", str(runs)]
        if FOREIGN_ROLES.get(role):
            command += ["--impl", FOREIGN_ROLES[role]]
    try:
        # Only so that a hung process cannot stop the run for good.
        timeout = {"smoke": 120, "default": 900, "full": 1800}[scale]
        process = subprocess.run(command, env=env, stdout=subprocess.PIPE, universal_newlines=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        print("  %s process timed out on %s after %d s" % (role, scenario, timeout))
        return {"error": "timed out"}
    result = None
    for line in process.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
        else:
            print(line)
    print("  (%.1f s)" % (time.perf_counter() - started))
    if process.returncode != 0 or result is None:
        print("  %s process failed on %s (exit status %d)" % (role, scenario, process.returncode))
        return {"error": "exit status %d" % process.returncode}
    # Not a timing check: a wrong import would make every figure a lie.
    imported = os.path.realpath(result["aiologic_file"])
    # (A foreign process imports neither our sources nor a worktree of
    # them; its environment, .venv-upstream, does live under benchmarks/.)
    foreign = role in FOREIGN_ROLES
    if imported.startswith(source) == foreign or (foreign and imported.startswith(os.path.join(HERE, ".worktrees"))):
        sys.exit("%s process imported the wrong aiologic: %s" % (role, result["aiologic_file"]))
    result["role"] = role
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
    if value >= 1000:
        return "%.0f" % value
    return "%.1f" % value if value >= 10 else "%.2f" % value if value >= 0.1 else "%.3f" % value


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


def run_scenario(scenario, runs, scale, others):
    """Run one scenario in each process, print its tables; returns
    {role: result}. `others`: (role, interpreter, pythonpath, source) of the
    processes measured alongside ours."""
    print("\n== %s" % scenario, flush=True)
    by_role = {"ours": run_worker("ours", sys.executable, scenario, runs, scale)}
    for role, python, pythonpath, source in others:
        if role == "culsans" and scenario not in QUEUE_SCENARIOS:
            continue  # culsans has queues only
        result = run_worker(role, python, scenario, runs, scale, pythonpath, source)
        by_role[role] = result
    ours = by_role["ours"]
    if "skipped" in ours or "error" in ours:
        print("  ours: %s" % (ours.get("skipped") or ours.get("error")))
        return by_role
    for index, table in enumerate(ours["tables"]):
        rows = summarize(table)
        print("  %s -- target: %s" % (table["title"], table["target"]))
        print_table(table, rows, "ours process, " + describe(ours))
        for role, result in by_role.items():
            if role != "ours" and "tables" in result and index < len(result["tables"]):
                other_rows = summarize(result["tables"][index])
                print_table(result["tables"][index], other_rows, "%s process, %s" % (role, describe(result)))
                if (ours["implementation"], ours["python"]) != (result["implementation"], result["python"]):
                    print("   (different interpreters: compare the normalized ratios only)")
                compare(table, rows, other_rows, role)
    for role, result in by_role.items():
        if "tables" in result:
            print_growth(result["tables"], role)
    return by_role


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


def compare(table, rows, other_rows, other):
    """Ours against another process (upstream, culsans, or our code before a
    change) in one table: from the raw medians of the two processes, and
    normalized by the baseline each process measured alongside (which
    cancels a machine busier during one of them). Each process's first
    implementation is the one it is about."""
    mode = table["mode"]
    ours, theirs = next(iter(rows)), next(iter(other_rows))
    if ours == table["baseline"] or theirs == table["baseline"]:
        return
    raw = ratio(mode, rows[ours]["median"], other_rows[theirs]["median"])
    normalized = rows[ours]["ratio"] / other_rows[theirs]["ratio"]
    print("  ours/%s (%s): %s ratio %.2fx from the medians, %.2fx normalized by the baseline" % (
        other, theirs, RATIO_WORDS[mode], raw, normalized))


# -- results: records, markdown, plots -------------------------------------------

ALTERNATIVE_ORDER = ("baseline", "same process", "upstream", "culsans")


def med(samples):
    return statistics.median(samples)


def records_of(results):
    """One record per table of ours: our median, and each alternative's
    median with "ours' advantage" (its median over ours: > 1, ours is faster
    or smaller). Other processes: from the raw medians, and normalized by
    the baseline each process measured (the figure to trust on a busy
    machine)."""
    records = []
    for scenario, by_role in results["scenarios"].items():
        ours = by_role.get("ours", {})
        if "tables" not in ours:
            records.append({"scenario": scenario, "skipped": ours.get("skipped") or ours.get("error") or "no result"})
            continue
        for index, table in enumerate(ours["tables"]):
            samples, base = table["samples"], table["baseline"]
            first = next(iter(samples))
            record = {
                "scenario": scenario,
                "title": table["title"],
                "mode": table["mode"],
                "target": table["target"],
                "ours": {"label": first, "median": med(samples[first]), "min": min(samples[first]),
                         "max": max(samples[first])},
                "alternatives": [],
            }
            if "n" in table:
                record["n"] = table["n"]
            if "notes" in table:
                record["notes"] = table["notes"]
            ours_rel = med(samples[first]) / med(samples[base])
            for label, values in samples.items():
                if label == first:
                    continue
                paired = [b / a for a, b in zip(samples[first], values)]
                record["alternatives"].append({
                    "name": label,
                    "kind": "baseline" if label == base else "same process",
                    "median": med(values), "min": min(values), "max": max(values),
                    "advantage": med(values) / med(samples[first]),
                    "advantage_min": min(paired), "advantage_max": max(paired),
                })
            for role, result in by_role.items():
                if role == "ours" or "tables" not in result or index >= len(result["tables"]):
                    continue
                other = result["tables"][index]
                theirs = next(iter(other["samples"]))
                if theirs == other["baseline"] or other["baseline"] not in other["samples"]:
                    continue
                their_med = med(other["samples"][theirs])
                their_rel = their_med / med(other["samples"][other["baseline"]])
                alternative = {
                    "name": "%s (%s)" % (theirs, role),
                    "kind": role,
                    "median": their_med,
                    "min": min(other["samples"][theirs]),
                    "max": max(other["samples"][theirs]),
                    "baseline_median": med(other["samples"][other["baseline"]]),
                    "advantage_raw": their_med / record["ours"]["median"],
                    "advantage": their_rel / ours_rel,
                    "interpreter": "%s %s" % (result["implementation"], result["python"]),
                    "role": role,
                }
                if "PyPy" in role or result["implementation"] != ours["implementation"]:
                    # Ours on another interpreter: its ratio to the baseline
                    # it measured there is the figure; not an alternative.
                    alternative["advantage"] = 1 / their_rel
                    alternative["kind"] = "other interpreter"
                record["alternatives"].append(alternative)
            records.append(record)
    return records


def unit_of(record):
    return UNITS[record["mode"]][0]


def show(record, value):
    return "%s %s" % (fmt(value, record["mode"]), unit_of(record))


def markdown(results, records):
    """The results as Markdown: a header with where they come from, one row
    per table, and the tables where ours is behind upstream."""
    meta = results["meta"]
    lines = [
        "Measured %s on %s (%s logical CPUs), %s; commit %s; `%s`; scale %s, %d runs per implementation; "
        "load average %s at the start, %s at the end; %.0f s in all." % (
            meta["date"], meta["cpu"], meta["cpus"], meta["interpreter"], meta["commit"],
            meta["command"].strip() if meta["command"].strip() != "run.py" else "run.py (the default set)",
            meta["scale"], meta["runs"], meta["load_start"], meta.get("load_end", "?"), meta.get("seconds", 0)),
        "",
        "Ours' advantage: the other implementation's median over ours (> 1: ours is faster or smaller). "
        "Other processes (upstream aiologic 0.17.1, culsans 0.11) are compared through the baseline each "
        "process measured alongside (normalized), the raw ratio of the medians in brackets.",
        "",
        "| scenario | measure | ours | baseline | other libraries, same process | upstream 0.17.1 | culsans 0.11 |",
        "|---|---|---|---|---|---|---|",
    ]
    for record in records:
        if "skipped" in record:
            lines.append("| `%s` | skipped: %s | | | | | |" % (record["scenario"], record["skipped"]))
            continue
        cells = {"baseline": [], "same process": [], "upstream": [], "culsans": []}
        for alt in record["alternatives"]:
            if alt["kind"] in ("baseline", "same process"):
                cells[alt["kind"]].append("%s %s: **%.2f×**" % (alt["name"], show(record, alt["median"]),
                                                                   alt["advantage"]))
            elif alt["kind"] in ("upstream", "culsans"):
                cells[alt["kind"]].append("%s: **%.2f×** (%.2f×)" % (show(record, alt["median"]), alt["advantage"],
                                                                      alt["advantage_raw"]))
        ours = record["ours"]
        lines.append("| `%s` | %s | %s (%s..%s) | %s | %s | %s | %s |" % (
            record["scenario"], record["title"].replace("|", "\\|"), show(record, ours["median"]),
            fmt(ours["min"], record["mode"]), fmt(ours["max"], record["mode"]),
            "<br>".join(cells["baseline"]), "<br>".join(cells["same process"]),
            "<br>".join(cells["upstream"]), "<br>".join(cells["culsans"])))
    for record in records:
        notes = record.get("notes")
        if notes and "modules" in notes:
            lines += ["", "`import aiologic` loads %d modules (%d of them aiologic's own); packages outside the "
                      "standard library: %s." % (notes["modules"], notes["aiologic_modules"],
                                                 ", ".join(p for p in notes["non_stdlib_packages"] if p != "aiologic")
                                                 or "none")]
    others = [r for r in records if any(a["kind"] == "other interpreter" for a in r.get("alternatives", ()))]
    if others:
        lines += ["", "Ours on other interpreters, against the baseline measured there:", "",
                  "| scenario | measure | interpreter | ours | ours' advantage over the baseline |", "|---|---|---|---|---|"]
        for record in others:
            for alt in record["alternatives"]:
                if alt["kind"] == "other interpreter":
                    lines.append("| `%s` | %s | %s (%s) | %s | %.2f× |" % (
                        record["scenario"], record["title"], alt["interpreter"], alt["role"],
                        show(record, alt["median"]), alt["advantage"]))
    behind = [(r, a) for r in records for a in r.get("alternatives", ()) if a["kind"] == "upstream"]
    both = [(r, a) for r, a in behind if max(a["advantage"], a["advantage_raw"]) < 1.0]
    one = [(r, a) for r, a in behind if min(a["advantage"], a["advantage_raw"]) < 1.0 <= max(a["advantage"],
                                                                                              a["advantage_raw"])]
    lines += ["", "Where ours is behind upstream in this run by both measures (normalized, raw):", ""]
    lines += ["- `%s`, %s: %.2f×, %.2f×" % (r["scenario"], r["title"], a["advantage"], a["advantage_raw"])
              for r, a in both] or ["- nowhere"]
    lines += ["", "Behind by one of the two measures only (the other says ahead):", ""]
    lines += ["- `%s`, %s: %.2f×, %.2f×" % (r["scenario"], r["title"], a["advantage"], a["advantage_raw"])
              for r, a in one] or ["- nowhere"]
    return "\n".join(lines) + "\n"


def plot(records, folder):
    """ratios.png (ours' advantage over every alternative, log scale, a line
    at 1) and fanout.png (time against N, log-log); the paths written, none
    without matplotlib."""
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed: no plots (uv run --group bench ...)")
        return []
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"baseline": "tab:blue", "same process": "tab:green", "upstream": "tab:orange",
              "culsans": "tab:purple", "other interpreter": "tab:gray"}
    rows = [r for r in records if r.get("alternatives")]
    bars = []  # (y, advantage, kind)
    ticks = []
    y = 0.0
    for record in reversed(rows):
        alts = sorted(record["alternatives"], key=lambda a: list(colors).index(a["kind"]) if a["kind"] in colors else 9)
        height = 0.8 / max(1, len(alts))
        for i, alt in enumerate(alts):
            bars.append((y + (i - (len(alts) - 1) / 2) * height, alt["advantage"], alt["kind"], height))
        title = record["title"] if len(record["title"]) <= 48 else record["title"][:46] + "..."
        ticks.append((y, "%s: %s" % (record["scenario"], title)))
        y += 1
    written = []
    fig, ax = plt.subplots(figsize=(12, 1.5 + 0.32 * len(rows)))
    seen = set()
    for pos, value, kind, height in bars:
        ax.barh(pos, value, height=height * 0.95, color=colors.get(kind, "black"),
                label=None if kind in seen else kind)
        seen.add(kind)
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_yticks([t[0] for t in ticks])
    ax.set_yticklabels([t[1] for t in ticks], fontsize=7)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel("ours' advantage: the other's median over ours (> 1: ours faster or smaller; log scale)")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", which="both", alpha=0.3)
    ax.set_title("ours' advantage over each alternative, per scenario", fontsize=10)
    fig.subplots_adjust(left=0.42, right=0.98, top=1 - 0.5 / fig.get_figheight(), bottom=0.8 / fig.get_figheight())
    path = os.path.join(folder, "ratios.png")
    fig.savefig(path, dpi=90)
    plt.close(fig)
    written.append(path)

    sized = {}
    for record in records:
        if "n" in record:
            sized.setdefault(record["scenario"], []).append(record)
    if sized:
        fig, axes = plt.subplots(1, len(sized), figsize=(4.2 * len(sized), 3.8), squeeze=False)
        for ax, (scenario, group) in zip(axes[0], sized.items()):
            lines = {}
            for record in group:
                lines.setdefault(record["ours"]["label"] + " (ours)", []).append((record["n"], record["ours"]["median"]))
                for alt in record["alternatives"]:
                    if alt["kind"] != "other interpreter":
                        lines.setdefault(alt["name"], []).append((record["n"], alt["median"]))
            for label, points in lines.items():
                points.sort()
                ax.plot([p[0] for p in points], [p[1] * 1e3 for p in points], marker="o", label=label)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(scenario, fontsize=9)
            ax.set_xlabel("N waiters")
            ax.set_ylabel("ms until the last returned")
            ax.legend(fontsize=6)
            ax.grid(which="both", alpha=0.3)
        fig.tight_layout()
        path = os.path.join(folder, "fanout.png")
        fig.savefig(path, dpi=90)
        plt.close(fig)
        written.append(path)
    return written


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return cpu


def load():
    try:
        return "%.1f" % os.getloadavg()[0]
    except (AttributeError, OSError):
        return "?"

PAGE_HEAD = """# Performance

How aiologic's primitives compare, in one run of the benchmark suite, with
the standard library (threading, asyncio, queue), with trio's and anyio's own
primitives in their own world, with culsans 0.11 (queues) and with the
previous aiologic, 0.17.1 from PyPI, in a throwaway environment of its own.
The suite, its method and every scenario are described in
`benchmarks/README.md`; to regenerate this page:

```sh
python3 scripts/dev.py bench    # = uv run --group bench python benchmarks/run.py
```

Each scenario runs in fresh processes, the implementations interleaved
(A B A B ...) inside each, medians of several runs. The machine, its load
average at the start and the end of the run, the interpreter and the commit
are given below. Single figures move by up to ±30 % between runs on a
2-core machine, so compare the ratios of one run, not figures across pages
or machines.

"""


PAGE_NOTES = """
## Where ours is behind upstream, and what costs the time

The lists under the table name the rows of the latest run; these are the
causes found so far, measured on our code (upstream's is only timed).

- **Uncontended `BoundedSemaphore(1)`** (threads and asyncio). The bounded
  semaphores keep a second count, of the permits out, for the over-release
  check: an acquire and a release each move a permit between the two
  counts, and the release runs through two levels (`BoundedSemaphore`, then
  `Semaphore`). Profiled: 18 Python-level calls per `with sem: pass` against
  11 for the plain `Semaphore`, which is ahead of upstream.
- **`Condition.notify_all()` to N threads** (N = 1000 and 4000; at N = 100 it
  is even). `notify_all()` wakes every waiter at once, as an event does, and
  the N runnable threads then contend for the GIL and, one after the other,
  for the condition's lock. Without any lock (`Condition(None)`,
  `benchmarks/condition_fanout.py`) the time is the same, so the lock is not
  the cost: waking them all at once is. Upstream's condition wakes N threads
  several times faster than its own event does; passing the wake-up along
  from one woken waiter to the next would keep one thread runnable at a time.
- **Event fan-out to asyncio tasks at N = 4000 and barrier rounds of 100
  asyncio tasks.** The waker pays for each waiter (take its entry, settle
  the race with a timeout or a cancellation, the backend's wake-up), and
  each woken task resumes through two coroutine frames (the public `await`
  and the park beneath it) where asyncio's primitives have one.
- **Contended lock, 8 threads each running a loop.** The lock is fair: a
  release hands it to the oldest waiter, which is usually a task of another
  thread's loop, so nearly every acquisition is a cross-thread wake-up
  through that loop's self-pipe. This row moves the most between runs (it
  has been ahead of upstream by both measures in another run the same day).
- **Memory per instance.** `Semaphore` and `BoundedSemaphore` hold their
  permits in count objects (one, and two for the bounded ones), `Event` a
  generation object, `Barrier` a phase object and a thread lock; `Queue` and
  `SimpleQueue` cache three bound methods of their deque and keep a list per
  role of waiter. `Lock`, `RLock`, the limiters and `Condition` are smaller
  than upstream's.
- **Memory per blocked thread.** Besides the `Thread` object both sides
  count, our wait path allocates about 1.3 kB per blocked thread
  (tracemalloc by file, 200 threads: the lock's slow path about 700 B, the
  wait-queue entry about 240 B, the threading backend's waiter about 140 B,
  the rest in the token and the caller's identity).
- **First contended use in a fresh process** (about 1 ms; the target is
  5 ms). The asyncio backend is a plugin of its own distribution
  (`aiologic-asyncio`): the first wait finds it and imports its two modules.
- **Queues loop to loop, and the ping-pong.** See the queue notes in
  `benchmarks/README.md`.
"""


def publish(results, md, plots, folder):
    """docs/performance.md and docs/_static/benchmarks/: the latest figures."""
    static = os.path.join(DOCS, "_static", "benchmarks")
    os.makedirs(static, exist_ok=True)
    shutil.copy(os.path.join(folder, "latest.json"), os.path.join(static, "latest.json"))
    images = []
    for path in plots:
        shutil.copy(path, os.path.join(static, os.path.basename(path)))
        images.append(os.path.basename(path))
    page = PAGE_HEAD + "## Latest figures\n\n" + md
    if "ratios.png" in images:
        page += "\n## Ours' advantage per scenario\n\n![ours' advantage over each alternative](_static/benchmarks/ratios.png)\n"
    if "fanout.png" in images:
        page += "\n## Fan-out: time against N\n\n![fan-out time against N, log-log](_static/benchmarks/fanout.png)\n"
    page += PAGE_NOTES
    page += "\nEvery sample, with the machine and interpreters: [`_static/benchmarks/latest.json`](_static/benchmarks/latest.json).\n"
    with open(os.path.join(DOCS, "performance.md"), "w") as file:
        file.write(page)
    print("published docs/performance.md and docs/_static/benchmarks/")


def report(results, folder, publishing):
    """latest.json, latest.md and the plots in `folder`; the docs page too
    when `publishing`."""
    records = records_of(results)
    results["records"] = records
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "latest.json")
    with open(path, "w") as file:
        json.dump(results, file, indent=1)
    md = markdown(results, records)
    with open(os.path.join(folder, "latest.md"), "w") as file:
        file.write(md)
    print("\n" + md)
    plots = plot(records, folder)
    print("wrote %s" % ", ".join([path, os.path.join(folder, "latest.md")] + plots))
    if publishing:
        publish(results, md, plots, folder)


def main():
    parser = argparse.ArgumentParser(description="Run aiologic's benchmark scenarios.")
    parser.add_argument("scenarios", nargs="*", metavar="scenario", help="any of: " + ", ".join(SCENARIOS))
    parser.add_argument("--runs", type=int, help="measurements per implementation (at least 7; default 7, smoke 1)")
    parser.add_argument("--full", action="store_true", help="every size, and PyPy where installed (longer)")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes, ours only, any number of runs: checks that everything runs")
    parser.add_argument("--ours-only", action="store_true", help="neither upstream nor culsans")
    parser.add_argument("--upstream", action="store_true", help="(the default) also measure aiologic 0.17.1 from PyPI")
    parser.add_argument("--culsans", action="store_true", help="(the default) also measure culsans 0.11's queues")
    parser.add_argument(
        "--upstream-python",
        default=venv_python(UPSTREAM_VENV),
        help="interpreter of the upstream environment (default: %(default)s)",
    )
    parser.add_argument("--before", metavar="REF", help="also measure our code at git revision REF")
    parser.add_argument("--out", default=RESULTS, help="folder for latest.json, latest.md and plots (%(default)s)")
    parser.add_argument("--no-publish", action="store_true", help="do not copy the results into docs/")
    parser.add_argument("--report", metavar="JSON",
                        help="measure nothing: write the table, plots and docs page again from a results file")
    args = parser.parse_args()
    if args.report:
        with open(args.report) as file:
            results = json.load(file)
        report(results, args.out, publishing=not args.no_publish)
        return
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown:
        parser.error("unknown scenario(s): %s (choose from %s)" % (", ".join(unknown), ", ".join(SCENARIOS)))
    scale = "smoke" if args.smoke else "full" if args.full else "default"
    runs = args.runs or (1 if args.smoke else 7)
    if runs < 7 and not args.smoke:
        parser.error("--runs must be at least 7: a median of fewer is too easily moved (--smoke excepted)")
    foreign = not (args.smoke or args.ours_only)
    others = []
    if args.before:
        pythonpath, source = ensure_worktree(args.before)
        others.append(("before %s" % args.before, sys.executable, pythonpath, source))
    if foreign:
        ensure_upstream(args.upstream_python)
        ensure_culsans(args.upstream_python)
        others.append(("upstream", args.upstream_python, None, OUR_SOURCE))
        others.append(("culsans", args.upstream_python, None, OUR_SOURCE))
    if args.full:  # with --smoke: tiny sizes, but PyPy too
        pypy = ensure_pypy()
        if pypy is None:
            print("no pypy3 on the PATH: PyPy skipped")
        else:
            others.append(("ours (PyPy)", pypy[0], None, OUR_SOURCE))
            if foreign:
                others.append(("upstream (PyPy)", pypy[1], None, OUR_SOURCE))

    started = time.perf_counter()
    results = {
        "meta": {
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "cpu": machine(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "interpreter": "%s %s" % (platform.python_implementation(), sys.version.split()[0]),
            "interpreter_version": sys.version.replace("\n", " "),
            "commit": source_revision(),
            "command": " ".join(["run.py"] + sys.argv[1:]),
            "scale": scale,
            "runs": runs,
            "roles": ["ours"] + [other[0] for other in others],
            "load_start": load(),
        },
        "scenarios": {},
    }
    print("driver: %s" % sys.version.replace("\n", " "))
    print("source: %s" % results["meta"]["commit"])
    for scenario in args.scenarios or SCENARIOS:
        results["scenarios"][scenario] = run_scenario(scenario, runs, scale, others)
    results["meta"]["seconds"] = round(time.perf_counter() - started, 1)
    results["meta"]["load_end"] = load()
    report(results, args.out, publishing=not (args.smoke or args.scenarios or args.no_publish or args.before))
    print("total time: %.0f s" % results["meta"]["seconds"])
    failed = [name for name, by_role in results["scenarios"].items()
              if any("error" in result for result in by_role.values())]
    if failed:
        sys.exit("failed: %s" % ", ".join(failed))


if __name__ == "__main__":
    main()
