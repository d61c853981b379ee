#!/usr/bin/env python3
"""Developer commands for this checkout; needs only Python 3.8+ to start.

    python3 scripts/dev.py demo               # python -m aiologic in .venv/
    python3 scripts/dev.py test [ARGS...]     # the whole test suite (pytest ARGS)
    python3 scripts/dev.py smoke PYTHON [ARGS...]
        # the suite without stress and slow tests on another interpreter, in .venv-NAME/:
        # PYTHON is a version (3.8, 3.13: pyenv's build if there is one),
        # pypy3 (Debian: apt-get install -y pypy3 pypy3-venv) or a path
    python3 scripts/dev.py lint [ARGS...]     # mypy --strict over every distribution
    python3 scripts/dev.py bench [ARGS...]    # benchmarks/run.py ARGS (tables, plots, docs/performance.md)
    python3 scripts/dev.py docs [ARGS...]     # the documentation site, docs/_build/html
        # (Sphinx, warnings are errors; in .venv-docs/ on CPython 3.11+)
    python3 scripts/dev.py minversions [ARGS...]
        # the smoke suite on CPython 3.8 in .venv-min/ with every library at the
        # lowest version the metadata declares (trio, gevent, eventlet, ...)

Every command installs what it needs: uv (the one on PATH, or a pinned one
bootstrapped into .tools/ with pip) and the workspace with the `test`
dependency group, from uv.lock as it is (`uv sync --frozen`). uv never
downloads an interpreter here (UV_PYTHON_DOWNLOADS=never). Each stage prints
its wall time. Pytest's "no tests collected" (exit 5) is a failure.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".tools"
MAIN_ENV = ROOT / ".venv"
# The uv that .tools/ gets. A uv already on PATH is used if it is at least
# MIN_UV, the version that wrote uv.lock (older ones may not read it).
UV_PIN = "0.13.9"
MIN_UV = (0, 13, 9)
SYNC_ARGS = ["sync", "--all-packages", "--group", "test"]
# The wheels-and-venvs test (slow) runs once, in the full suite on 3.11.
SMOKE_ARGS = ["tests", "-m", "not stress and not slow"]
NO_TESTS = 5  # pytest.ExitCode.NO_TESTS_COLLECTED

_timings: List[Tuple[str, float, str]] = []


class Failed(Exception):
    """A stage failed; carries the exit code to leave with."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def say(message: str) -> None:
    print(f"[dev] {message}", flush=True)


class stage:
    """Times a stage and records it for the summary."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> "stage":
        say(f"--- {self.name}")
        self.start = time.monotonic()
        return self

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        elapsed = time.monotonic() - self.start
        outcome = "ok" if kind is None else "FAILED"
        _timings.append((self.name, elapsed, outcome))
        say(f"--- {self.name}: {outcome} in {elapsed:.1f} s")


def bin_dir(env: Path) -> Path:
    return env / ("Scripts" if os.name == "nt" else "bin")


def exe(name: str) -> str:
    return name + (".exe" if os.name == "nt" else "")


def run(cmd: Sequence[str], env: Optional[Dict[str, str]] = None, check: bool = True) -> int:
    say("$ " + " ".join(_quote(part) for part in cmd))
    try:
        code = subprocess.call(list(cmd), cwd=str(ROOT), env=env)
    except OSError as exc:
        raise Failed(f"cannot run {cmd[0]}: {exc}") from exc
    if check and code != 0:
        raise Failed(f"{Path(cmd[0]).name} exited with {code}", code)
    return code


def _quote(part: str) -> str:
    return part if re.fullmatch(r"[\w@%+=:,./-]+", part) else repr(part)


# -- uv -----------------------------------------------------------------------


def _uv_version(uv: str) -> Optional[Tuple[int, ...]]:
    try:
        out = subprocess.run([uv, "--version"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"(\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(part) for part in found.groups()) if found else None


def _usable(uv: Optional[str]) -> bool:
    if not uv:
        return False
    version = _uv_version(uv)
    if version is None:
        return False
    if version < MIN_UV:
        say(f"{uv} is uv {'.'.join(map(str, version))}, older than {'.'.join(map(str, MIN_UV))}: not used")
        return False
    return True


def find_uv() -> str:
    """The uv in .tools/, else the one on PATH, else one installed into .tools/."""
    for candidate in (bin_dir(TOOLS) / exe("uv"), TOOLS / "pip-target" / "bin" / exe("uv")):
        if candidate.exists() and _usable(str(candidate)):
            return str(candidate)
    on_path = shutil.which("uv")
    if _usable(on_path):
        return str(on_path)
    with stage(f"bootstrap uv {UV_PIN} into .tools/"):
        return _bootstrap_uv()


def _bootstrap_uv() -> str:
    pip_quiet = ["--disable-pip-version-check", "--no-input", "-q"]
    try:
        run([sys.executable, "-m", "venv", "--clear", str(TOOLS)])
        python = bin_dir(TOOLS) / exe("python")
        run([str(python), "-m", "pip", "install", *pip_quiet, f"uv=={UV_PIN}"])
        uv = bin_dir(TOOLS) / exe("uv")
    except Failed as exc:
        # A Python without a working venv/ensurepip (Debian without
        # python3-venv): install the wheel into a plain folder instead.
        say(f"venv route failed ({exc}); trying pip install --target")
        target = TOOLS / "pip-target"
        run([sys.executable, "-m", "pip", "install", *pip_quiet, "--upgrade", "--target", str(target), f"uv=={UV_PIN}"])
        uv = target / "bin" / exe("uv")
    if not _usable(str(uv)):
        raise Failed(f"bootstrapping uv failed: {uv} does not run")
    return str(uv)


def uv_env(project_env: Path) -> Dict[str, str]:
    env = dict(os.environ)
    env["UV_PROJECT_ENVIRONMENT"] = str(project_env)
    env.setdefault("UV_PYTHON_DOWNLOADS", "never")
    env.pop("VIRTUAL_ENV", None)  # an activated venv must not be mistaken for ours
    return env


def sync(uv: str, project_env: Path, python: str) -> None:
    frozen = ["--frozen"] if (ROOT / "uv.lock").exists() else []
    run([uv, *SYNC_ARGS, *frozen, "--python", python], env=uv_env(project_env))


def pytest_result(code: int) -> int:
    if code == NO_TESTS:
        say("pytest collected no tests: that is a failure here")
    elif code != 0:
        say(f"pytest exited with {code}")
    return code


# -- commands -------------------------------------------------------------------


def cmd_demo(args: List[str]) -> int:
    uv = find_uv()
    with stage("sync .venv"):
        sync(uv, MAIN_ENV, sys.executable)
    with stage("python -m aiologic"):
        run([uv, "run", "--no-sync", "python", "-m", "aiologic", *args], env=uv_env(MAIN_ENV))
    return 0


def cmd_test(args: List[str]) -> int:
    uv = find_uv()
    with stage("sync .venv"):
        sync(uv, MAIN_ENV, sys.executable)
    with stage("pytest"):
        code = run([uv, "run", "--no-sync", "python", "-m", "pytest", *args], env=uv_env(MAIN_ENV), check=False)
        if code:
            raise Failed("the test suite failed", pytest_result(code))
    return 0


def cmd_lint(args: List[str]) -> int:
    """mypy --strict over every distribution (settings in pyproject.toml)."""
    uv = find_uv()
    with stage("sync .venv (with the lint group)"):
        run([uv, *SYNC_ARGS, "--group", "lint", "--frozen", "--python", sys.executable], env=uv_env(MAIN_ENV))
    with stage("mypy"):
        code = run([uv, "run", "--no-sync", "mypy", *args], env=uv_env(MAIN_ENV), check=False)
        if code:
            raise Failed("mypy found problems", code)
    return 0


def cmd_bench(args: List[str]) -> int:
    """benchmarks/run.py ARGS in .venv with the bench group (matplotlib,
    anyio, janus); uv on PATH for the throwaway upstream environment."""
    uv = find_uv()
    with stage("sync .venv (with the bench group)"):
        run([uv, *SYNC_ARGS, "--group", "bench", "--frozen", "--python", sys.executable], env=uv_env(MAIN_ENV))
    env = uv_env(MAIN_ENV)
    env["PATH"] = os.pathsep.join([str(Path(uv).resolve().parent), env.get("PATH", "")])
    with stage("benchmarks/run.py"):
        code = run([uv, "run", "--no-sync", "python", str(ROOT / "benchmarks" / "run.py"), *args], env=env, check=False)
        if code:
            raise Failed("the benchmark run failed", code)
    return 0


# -- docs (the documentation site) -----------------------------------------------

DOCS_ENV = ROOT / ".venv-docs"
DOCS_OUT = ROOT / "docs" / "_build" / "html"


def _docs_python() -> str:
    """An interpreter new enough for the `docs` group (Sphinx 9: 3.11+)."""
    if sys.version_info >= (3, 11):
        return sys.executable
    for version in ("3.13", "3.12", "3.11"):
        found = _pyenv_python(version) or shutil.which(f"python{version}")
        if found:
            return found
    raise Failed("building the docs needs Python 3.11 or newer (none found: not this one, not pyenv's)")


def cmd_docs(args: List[str]) -> int:
    """The documentation site: every distribution and the `docs` group in
    .venv-docs/, then sphinx-build with warnings as errors (extra ARGS go to
    sphinx-build, e.g. -E to rebuild everything)."""
    uv = find_uv()
    python = _docs_python()
    frozen = ["--frozen"] if (ROOT / "uv.lock").exists() else []
    with stage("sync .venv-docs (with the docs group)"):
        run([uv, "sync", "--all-packages", "--group", "docs", *frozen, "--python", python], env=uv_env(DOCS_ENV))
    env_python = str(bin_dir(DOCS_ENV) / exe("python"))
    with stage("sphinx-build"):
        code = run(
            [env_python, "-m", "sphinx", "-W", "--keep-going", "-b", "html", *args, "docs", str(DOCS_OUT)],
            env=uv_env(DOCS_ENV),
            check=False,
        )
        if code:
            raise Failed("the documentation did not build cleanly", code)
    say(f"the site: {DOCS_OUT / 'index.html'}")
    return 0


def _pyenv_python(version: str) -> Optional[str]:
    """pyenv's newest build of CPython `version` (3.8 or 3.8.18), if any."""
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    major_minor = ".".join(version.split(".")[:2])
    pattern = version if version.count(".") >= 2 else f"{version}.*"
    found = []
    for path in glob.glob(str(root / "versions" / pattern / "bin" / f"python{major_minor}")):
        release = Path(path).parent.parent.name
        if re.fullmatch(r"\d+\.\d+\.\d+", release):  # not 3.8.18t, 3.13-dev...
            found.append((tuple(int(part) for part in release.split(".")), path))
    return max(found)[1] if found else None


def resolve_interpreter(spec: str) -> Tuple[str, str]:
    """(what to pass to --python, the environment's name suffix)."""
    if re.fullmatch(r"\d+\.\d+(\.\d+)?", spec):
        return _pyenv_python(spec) or spec, spec
    if os.sep in spec or (os.altsep and os.altsep in spec):
        path = Path(spec).resolve()
        if not path.exists():
            raise Failed(f"no interpreter at {path}")
        return str(path), re.sub(r"[^\w.-]", "_", path.name)
    found = shutil.which(spec)
    if found is None:
        hint = " (Debian: apt-get install -y pypy3 pypy3-venv)" if spec.startswith("pypy") else ""
        raise Failed(f"{spec} is not on PATH{hint}")
    return found, spec


def _pip_fallback(uv: str, project_env: Path, python: str) -> None:
    """The environment made without uv sync: `python -m venv`, then pip
    installs what uv.lock pins (exported by uv), the workspace editable."""
    run([python, "-m", "venv", "--clear", str(project_env)])
    requirements = project_env / "requirements-from-uv-lock.txt"
    frozen = ["--frozen"] if (ROOT / "uv.lock").exists() else []
    run(
        [uv, "export", *frozen, "--all-packages", "--group", "test", "--no-hashes", "-o", str(requirements)],
        env=uv_env(project_env),
    )
    env_python = str(bin_dir(project_env) / exe("python"))
    run([env_python, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", str(requirements)])


def cmd_smoke(args: List[str]) -> int:
    force_pip = args[:1] == ["--pip"]  # skip uv sync: test the fallback itself
    if force_pip:
        args = args[1:]
    if not args:
        raise Failed("usage: dev.py smoke [--pip] PYTHON [pytest args...]", 2)
    spec, extra = args[0], args[1:]
    python, name = resolve_interpreter(spec)
    project_env = ROOT / f".venv-{name}"
    uv = find_uv()
    with stage(f"environment .venv-{name} for {python}"):
        made = False
        if not force_pip:
            try:
                sync(uv, project_env, python)
                made = True
            except Failed as exc:
                say(f"uv could not make the environment ({exc}); falling back to venv + pip")
        if not made:
            _pip_fallback(uv, project_env, python)
    env_python = str(bin_dir(project_env) / exe("python"))
    run([env_python, "-c", "import sys, aiologic; print(sys.version); print('aiologic from', aiologic.__file__)"])
    with stage(f"pytest on {name}"):
        code = run([env_python, "-m", "pytest", *SMOKE_ARGS, *extra], env=uv_env(project_env), check=False)
        if code:
            raise Failed(f"the smoke run on {name} failed", pytest_result(code))
    return 0


# -- minversions ----------------------------------------------------------------

# The libraries whose declared floors `minversions` installs: the lowest
# version every pyproject.toml allows is the version tested. Everything else
# (pytest and the other test tools) resolves as usual.
FLOOR_NAMES = ("trio", "anyio", "gevent", "eventlet", "curio", "curio-compat", "sniffio", "greenlet", "importlib-metadata")
LIBRARY_PYPROJECTS = ("aiologic-core", "aiologic-asyncio", "aiologic-trio", "aiologic-curio", "aiologic-greenlet")
# Editable installs: every library distribution with its extras, the test
# harness and the example plugin.
MIN_EDITABLES = (
    "aiologic-core",
    "aiologic-asyncio",
    "aiologic-trio",
    "aiologic-curio",
    "aiologic-greenlet[gevent,eventlet]",
    "tests/aiologic-testing",
    "examples/exampleloop[testing]",
)
MIN_PYTHON = "3.8"
_REQUIREMENT = re.compile(r'"([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*([^";]*?)\s*(;[^"]*)?"')


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _quoted_requirements(text: str, section: str) -> List[Tuple[str, str, str]]:
    """(name, version specifier, marker) of the quoted requirements in the
    TOML array `section = [ ... ]` (tomllib is 3.11+; this reads our files)."""
    found = re.search(r"^" + re.escape(section) + r"\s*=\s*\[(.*?\]\s*$|.*?^\])", text, re.M | re.S)
    if not found:
        return []
    body = "\n".join(line.split("#", 1)[0] for line in found.group(1).splitlines())
    return [(m.group(1), m.group(3), (m.group(4) or "").lstrip(";").strip()) for m in _REQUIREMENT.finditer(body)]


def declared_floors() -> List[str]:
    """`name>=floor; marker` for every FLOOR_NAMES requirement of the library
    distributions (dependencies and extras) and of the root test group."""
    floors: Dict[Tuple[str, str], str] = {}
    sources = [(ROOT / d / "pyproject.toml", ("dependencies", "gevent", "eventlet")) for d in LIBRARY_PYPROJECTS]
    sources.append((ROOT / "pyproject.toml", ("test",)))
    for path, sections in sources:
        text = path.read_text(encoding="utf-8")
        for section in sections:
            for name, spec, marker in _quoted_requirements(text, section):
                if _norm(name) not in FLOOR_NAMES:
                    continue
                if path.parent == ROOT and _norm(name) in ("gevent", "eventlet"):
                    continue  # the test group's newer pins: the libraries' own floors win here
                floor = re.search(r"(>=|==|~=)\s*([\w.]+)", spec)
                if not floor:
                    raise Failed(f"{path.relative_to(ROOT)}: {name} declares no floor ({spec or 'any version'})")
                operator = "==" if floor.group(1) == "==" else ">="
                floors[(_norm(name), marker)] = f"{_norm(name)}{operator}{floor.group(2)}" + (f"; {marker}" if marker else "")
    return sorted(floors.values())


def lowest_pins(uv: str, python: str, floors: List[str], env: Dict[str, str]) -> List[str]:
    """The oldest installable release that each floor admits, as
    `name==version; marker` (`eventlet>=0.17` gives eventlet 0.17.4)."""
    found = subprocess.run(
        [uv, "pip", "compile", "--python", python, "--resolution", "lowest-direct", "--no-header", "--no-annotate", "-"],
        input="\n".join(floors) + "\n", capture_output=True, text=True, cwd=str(ROOT), env=env, timeout=300,
    )
    if found.returncode != 0:
        sys.stderr.write(found.stderr)
        raise Failed("uv could not resolve the declared floors")
    versions = dict(
        (_norm(m.group(1)), m.group(2)) for m in re.finditer(r"^([A-Za-z0-9._-]+)==(\S+)", found.stdout, re.M)
    )
    pins = []
    for floor in floors:
        requirement, _, marker = floor.partition(";")
        name = _norm(re.split(r"[<>=~]", requirement)[0])
        if name in versions:  # absent: its marker excludes this interpreter
            pins.append(f"{name}=={versions[name]}" + (f";{marker}" if marker else ""))
    return pins


def test_tools() -> List[str]:
    """The root test group without the floored libraries and the workspace's
    own distributions: pytest and friends at their usual versions."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    tools = []
    for name, spec, marker in _quoted_requirements(text, "test"):
        if _norm(name) in FLOOR_NAMES or _norm(name).startswith("aiologic"):
            continue
        tools.append(f"{name}{spec}" + (f"; {marker}" if marker else ""))
    return tools


def cmd_minversions(args: List[str]) -> int:
    """The smoke suite against the lowest declared versions of the libraries."""
    python, _ = resolve_interpreter(MIN_PYTHON)
    project_env = ROOT / ".venv-min"
    uv = find_uv()
    env = uv_env(project_env)
    env_python = str(bin_dir(project_env) / exe("python"))
    with stage(f"environment .venv-min for {python}, libraries at their floors"):
        floors = declared_floors()
        say("declared floors: " + ", ".join(floors))
        pins = lowest_pins(uv, python, floors, env)
        say("installing: " + ", ".join(pins))
        run([uv, "venv", "--clear", "--python", python, str(project_env)], env=env)
        editables = [arg for path in MIN_EDITABLES for arg in ("-e", str(ROOT / path))]
        run([uv, "pip", "install", "--python", env_python, *editables, *pins, *test_tools()], env=env)
    with stage("check the installed versions"):
        probe = (
            "import sys\n"
            "from importlib.metadata import version, PackageNotFoundError\n"
            "bad = []\n"
            "for pin in sys.argv[1:]:\n"
            "    name, wanted = pin.split(';')[0].strip().split('==')\n"
            "    try:\n"
            "        got = version(name)\n"
            "    except PackageNotFoundError:\n"
            "        continue  # its marker excludes this interpreter\n"
            "    print(f'{name:20} {got}')\n"
            "    if got != wanted:\n"
            "        bad.append(f'{name} {got} (wanted {wanted})')\n"
            "sys.exit('not at the floor: ' + ', '.join(bad) if bad else 0)\n"
        )
        run([env_python, "-c", probe, *pins])
    with stage("pytest on the floors"):
        code = run([env_python, "-m", "pytest", *SMOKE_ARGS, *args], env=env, check=False)
        if code:
            raise Failed("the smoke run on the declared floors failed", pytest_result(code))
    return 0


COMMANDS = {
    "demo": cmd_demo,
    "test": cmd_test,
    "smoke": cmd_smoke,
    "lint": cmd_lint,
    "minversions": cmd_minversions,
    "docs": cmd_docs,
    "bench": cmd_bench,
}


def main(argv: List[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__.strip())
        return 0 if argv[:1] in (["-h"], ["--help"]) else 2
    start = time.monotonic()
    code = 0
    try:
        code = COMMANDS[argv[0]](argv[1:])
    except Failed as exc:
        say(f"FAILED: {exc}")
        code = exc.code or 1
    except KeyboardInterrupt:
        code = 130
    total = time.monotonic() - start
    summary = ", ".join(f"{name} {seconds:.1f} s{'' if outcome == 'ok' else ' (' + outcome + ')'}"
                        for name, seconds, outcome in _timings)
    say(f"{argv[0]}: {'ok' if code == 0 else 'FAILED (exit ' + str(code) + ')'} in {total:.1f} s [{summary}]")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
