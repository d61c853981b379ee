#!/usr/bin/env python3
"""Run culsans's own test suite, unmodified, against this checkout's aiologic.

    python3 scripts/culsans_compat.py [--skip-if-missing] [--python PYTHON] [pytest args...]

culsans (a sync/async queue library built on aiologic) pins the existing
aiologic series, so it is installed exactly as our README tells its users:
with ``--no-deps``, on top of our distributions, plus what its tests need
(pytest, pytest-asyncio, and typing-extensions below Python 3.13). Its
source distribution, which ships the tests, comes from PyPI and must match
the pinned hash.

Steps, in a fresh environment ``.venv-culsans`` made by uv:
  1. our distributions from this checkout (aiologic-core, the backends and the
     `aiologic` meta-package), then culsans --no-deps from its sdist;
  2. a check that `import aiologic` is ours (version and location);
  3. a probe that imports culsans and lists every name it asks of
     `aiologic`, `aiologic.lowlevel` and `aiologic.meta` that we lack;
  4. pytest over the sdist's tests/ folder.

With ``--skip-if-missing``, step 3 finding missing names ends the run with
exit 0 and a SKIPPED line naming them (for CI while primitives that culsans
imports are still being built); without it, that is a failure.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import List

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dev  # noqa: E402  (this folder's developer commands: uv, stages, runs)
from dev import ROOT, Failed, bin_dir, exe, run, say, stage  # noqa: E402

CULSANS = "culsans==0.11.0"
SDIST = "culsans-0.11.0.tar.gz"
SDIST_SHA256 = "0b43d0d05dce6106293d114c86e3fb4bfc63088cfe8ff08ed3fe36891447fe33"
ENV = ROOT / ".venv-culsans"
# What culsans's tests use without declaring it (the README's safe install
# adds the same to culsans's own needs).
TEST_NEEDS = ["pytest>=7", "pytest-asyncio", "pytest-timeout", "typing-extensions>=4.10; python_version < '3.13'"]
# Every distribution of the meta-package, then the meta-package itself.
OUR_DISTRIBUTIONS = ["aiologic-core", "aiologic-asyncio", "aiologic-trio", "aiologic-curio", "aiologic-greenlet", "."]

# Collects every name culsans imports from aiologic that is missing, in one
# pass: the three modules get a `__getattr__` that records the name and hands
# out a stand-in, so the import goes on past the first missing name.
PROBE = r"""
import sys, aiologic, aiologic.lowlevel, aiologic.meta
missing = set()
class Stub:
    def __init__(self, *args, **kwargs): pass
    def __call__(self, *args, **kwargs): return Stub()
    def __getattr__(self, name): return Stub()
    def __getitem__(self, item): return Stub()
    def __mro_entries__(self, bases): return (object,)
def recorder(module, previous):
    def __getattr__(name):
        if not name.startswith("__"):
            try:
                if previous is not None:
                    return previous(name)
            except AttributeError:
                pass
            missing.add(module.__name__ + "." + name)
            return Stub()
        raise AttributeError(name)
    return __getattr__
for module in (aiologic, aiologic.lowlevel, aiologic.meta):
    module.__getattr__ = recorder(module, getattr(module, "__getattr__", None))
try:
    import culsans
except Exception as exc:
    print("culsans does not import even with stand-ins:", repr(exc))
    sys.exit(2)
print(" ".join(sorted(missing)))
"""


def python_of_env() -> str:
    return str(bin_dir(ENV) / exe("python"))


def fetch_sdist(uv: str, where: Path) -> Path:
    """culsans's sdist from PyPI, checked against the pinned hash."""
    run([uv, "pip", "install", "--python", python_of_env(), "-q", "pip"])
    run([python_of_env(), "-m", "pip", "download", "--disable-pip-version-check", "-q",
         "--no-deps", "--no-binary", ":all:", CULSANS, "-d", str(where)])
    sdist = where / SDIST
    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    if digest != SDIST_SHA256:
        raise Failed(f"{SDIST} has sha256 {digest}, expected {SDIST_SHA256}")
    return sdist


def main(argv: List[str]) -> int:
    skip_if_missing = "--skip-if-missing" in argv
    argv = [arg for arg in argv if arg != "--skip-if-missing"]
    python = sys.executable
    if argv[:1] == ["--python"]:
        python, argv = dev.resolve_interpreter(argv[1])[0], argv[2:]
    uv = dev.find_uv()
    env = dev.uv_env(ENV)
    with tempfile.TemporaryDirectory(prefix="culsans-") as tmp:
        work = Path(tmp)
        with stage("environment .venv-culsans: our distributions, then culsans --no-deps"):
            run([uv, "venv", "-q", "--clear", "--python", python, str(ENV)], env=env)
            ours = [str(ROOT / dist) for dist in OUR_DISTRIBUTIONS]
            # --no-sources: wheels built from these folders, as a user gets them,
            # not the workspace's editable members.
            run([uv, "pip", "install", "-q", "--no-sources", "--python", python_of_env(), *ours, *TEST_NEEDS], env=env)
            sdist = fetch_sdist(uv, work)
            run([uv, "pip", "install", "-q", "--python", python_of_env(), "--no-deps", str(sdist)], env=env)
            with tarfile.open(sdist) as archive:
                archive.extractall(work)  # noqa: S202 (a pinned, hash-checked archive)
        source = work / SDIST[: -len(".tar.gz")]
        check = "import aiologic, culsans; print('aiologic', aiologic.__version__, 'from', aiologic.__file__)"
        run([python_of_env(), "-c", check.replace("import aiologic, culsans", "import aiologic")])
        probe = dev.subprocess.run([python_of_env(), "-c", PROBE], capture_output=True, text=True, cwd=str(work))
        if probe.returncode != 0:
            raise Failed(f"probing culsans's imports failed: {probe.stdout}{probe.stderr}")
        missing = probe.stdout.split()
        if missing:
            message = f"culsans imports names our aiologic does not have yet: {', '.join(missing)}"
            if skip_if_missing:
                say(f"SKIPPED: {message}")
                return 0
            raise Failed(message)
        run([python_of_env(), "-c", check])
        with stage("culsans's own tests"):
            # From the unpacked sdist, so that its tests import the installed
            # culsans (no src/ on the path) and our aiologic.
            code = dev.subprocess.call(
                [python_of_env(), "-m", "pytest", "-p", "no:cacheprovider", "--timeout=120", "tests", *argv],
                cwd=str(source),
                env={key: value for key, value in os.environ.items() if key != "PYTHONPATH"},
            )
            if code:
                raise Failed("culsans's tests failed on our aiologic", dev.pytest_result(code))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Failed as exc:
        say(f"FAILED: {exc}")
        sys.exit(exc.code or 1)
