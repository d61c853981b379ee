"""Installing next to a dependent pinned to the existing aiologic series.

pip puts the existing `aiologic` (0.17) and our `aiologic-core` in the same
``aiologic/`` folder: whichever comes second overwrites the other's files,
and the existing library's own files stay (its ``aiologic/meta/`` package
shadows our ``aiologic/meta.py``; its ``.pyi`` stubs mislead type
checkers). `python -m aiologic` must notice, and the commands it prints must
repair the install. Each test builds the broken state in a fresh virtual
environment, with the existing library from the package index (a throwaway
environment: never the project's own), runs the printed advice and checks
the result. Slow, and needs the index.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

import aiologic

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
OLD = "aiologic==0.17.1"


def find_uv() -> str:
    uv = os.environ.get("UV") or shutil.which("uv")
    if not uv:
        pytest.skip("uv is needed to build wheels and environments")
    return uv


def run(cmd: List[str], check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.setdefault("UV_PYTHON_DOWNLOADS", "never")
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    result = subprocess.run([str(part) for part in cmd], capture_output=True, text=True, timeout=timeout, env=env)
    if check:
        assert result.returncode == 0, f"{cmd} exited with {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheels")
    run([find_uv(), "build", "--package", "aiologic-core", "--wheel", "--quiet", "-o", out, ROOT])
    assert list(out.glob("aiologic_core-*.whl"))
    return out


def pip(python: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run([python, "-m", "pip", *args], check=check)


def fresh_env(tmp_path: Path) -> Path:
    env = tmp_path / "venv"
    run([find_uv(), "venv", "--quiet", "--seed", "--python", sys.executable, env])
    return env / ("Scripts" if os.name == "nt" else "bin") / "python"


def install_old(python: Path) -> None:
    result = pip(python, "install", "-q", OLD, check=False)
    if result.returncode != 0:
        pytest.skip(f"the existing library could not be installed from the index: {result.stderr[-500:]}")


def package_folder(python: Path) -> Path:
    code = "import importlib.util as u; print(u.find_spec('aiologic').submodule_search_locations[0])"
    return Path(run([python, "-c", code]).stdout.strip())


@pytest.mark.parametrize("order", ["old-then-ours", "ours-then-old"])
def test_advice_repairs_a_clobbered_install(tmp_path, wheelhouse, order):
    python = fresh_env(tmp_path)
    ours = ["--find-links", str(wheelhouse), f"aiologic-core=={aiologic.__version__}"]
    if order == "old-then-ours":
        install_old(python)
        pip(python, "install", "-q", *ours)
    else:
        pip(python, "install", "-q", *ours)
        install_old(python)  # what `pip install culsans` does to an install of ours
    folder = package_folder(python)
    assert (folder / "meta" / "__init__.py").exists()  # the broken state: leftovers

    report = run([python, "-m", "aiologic"], check=False)
    warnings = [line[len("WARNING: ") :] for line in report.stdout.splitlines() if line.startswith("WARNING: ")]
    assert any("not installed by aiologic-core" in line for line in warnings), report.stdout
    if order == "old-then-ours":
        assert any("shadows aiologic.meta" in line for line in warnings), report.stdout
    commands = [shlex.split(line.strip()) for line in warnings if line.startswith("    ")]
    assert [command[1:4] for command in commands] == [["-m", "pip", "uninstall"], ["-m", "pip", "install"]]
    for command in commands:
        if command[3] == "install":
            command += ["--find-links", str(wheelhouse)]  # where this test's aiologic-core comes from
        run(command)

    report = run([python, "-m", "aiologic"])
    assert "WARNING" not in report.stdout, report.stdout
    assert not (folder / "meta").exists()
    assert not list(folder.rglob("*.pyi"))
    code = (
        "import aiologic, aiologic.meta, aiologic.lowlevel;"
        "print(aiologic.__version__, aiologic.meta.__file__.endswith('meta.py'),"
        " hasattr(aiologic.lowlevel, 'create_thread_rlock'), hasattr(aiologic, 'backends'))"
    )
    assert run([python, "-c", code]).stdout.split() == [aiologic.__version__, "True", "True", "True"]
