"""The wheels of every distribution, installed into fresh virtual
environments:

(a) the meta-package `aiologic`: every backend is found;
(b) `aiologic-core` and `aiologic-trio` only: trio is found, asyncio is not,
    and an asyncio task using a Lock gets the error naming aiologic-asyncio;
(c) `aiologic-core` and the third-party `aiologic-exampleloop[testing]`: the
    plugin is found through its entry point, and the test harness's pytest
    plugin runs a world test in the exampleloop world.

Our wheels are installed from the freshly built wheelhouse only
(``--no-index --no-deps``); their third-party dependencies (sniffio, trio,
pytest...) then come from the index, with our distributions pinned and
already installed. Slow (a minute or so): not part of the smoke runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List

import pytest

import aiologic

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
VERSION = aiologic.__version__
DISTRIBUTIONS = (
    "aiologic",
    "aiologic-core",
    "aiologic-asyncio",
    "aiologic-trio",
    "aiologic-curio",
    "aiologic-greenlet",
    "aiologic-exampleloop",
    "aiologic-testing",
)


def find_uv() -> str:
    # `uv run` (the README's commands) tells its children where uv is.
    uv = os.environ.get("UV") or shutil.which("uv")
    if not uv:
        pytest.skip("uv is needed to build wheels and environments")
    return uv


def run(cmd: List[str], timeout: float = 300, **kwargs) -> str:
    env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.setdefault("UV_PYTHON_DOWNLOADS", "never")
    result = subprocess.run(
        [str(part) for part in cmd], capture_output=True, text=True, timeout=timeout, env=env, **kwargs
    )
    assert result.returncode == 0, f"{cmd} exited with {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheels")
    run([find_uv(), "build", "--all-packages", "--wheel", "--quiet", "-o", out], cwd=ROOT)
    built = {path.name.split("-")[0].replace("_", "-"): path.name for path in out.glob("*.whl")}
    for dist in DISTRIBUTIONS:
        assert dist in built, f"no wheel for {dist}: {sorted(built)}"
        assert f"-{VERSION}-" in built[dist]
    return out


def make_env(tmp_path: Path, wheelhouse: Path, *requirements: str) -> Path:
    """A fresh venv with our `requirements` from the wheelhouse (and their
    third-party dependencies from the index); returns its python."""
    uv = find_uv()
    env = tmp_path / "venv"
    run([uv, "venv", "--quiet", "--python", sys.executable, env])
    python = env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    ours = [requirement.split("[")[0] for requirement in requirements]
    pinned = [f"{requirement}=={VERSION}" for requirement in requirements]
    # 1. our distributions, only from the wheels just built
    run([uv, "pip", "install", "--quiet", "--python", python, "--no-index", "--no-deps", "--find-links",
         wheelhouse, *[f"{dist}=={VERSION}" for dist in ours]])
    # 2. what they need: ours are pinned and present, the rest comes from the index
    run([uv, "pip", "install", "--quiet", "--python", python, "--find-links", wheelhouse, *pinned])
    return python


def python_code(python: Path, code: str) -> str:
    return run([python, "-c", textwrap.dedent(code)], cwd=python.parent).strip()


ENTRY_POINTS = """
    import json, sys
    if sys.version_info >= (3, 10):
        from importlib.metadata import distributions, entry_points
    else:
        from importlib_metadata import distributions, entry_points
    import aiologic
    from aiologic.backends import installed_backends
    print(json.dumps({
        "entry_points": {ep.name: ep.value for ep in entry_points(group="aiologic.backends")},
        "installed": installed_backends(),
        "ours": sorted(d.metadata["Name"] for d in distributions() if d.metadata["Name"].startswith("aiologic")),
        "file": aiologic.__file__,
        "version": aiologic.__version__,
    }))
"""


def inspect(python: Path) -> Dict[str, object]:
    info = json.loads(python_code(python, ENTRY_POINTS))
    env = python.parent.parent.resolve()
    assert env in Path(info["file"]).resolve().parents, info["file"]  # not the checkout's aiologic
    assert info["version"] == VERSION
    return info


def library_lines(out: str) -> Dict[str, str]:
    """``python -m aiologic``'s "library -> backend (state)" lines."""
    found = {}
    for line in out.splitlines():
        if " -> " in line:
            name, _, what = line.partition(" -> ")
            found[name.strip()] = what.strip()
    return found


def test_meta_package_installs_every_backend(tmp_path, wheelhouse):
    python = make_env(tmp_path, wheelhouse, "aiologic")
    info = inspect(python)
    # gevent, eventlet and greenlet have wheels for CPython only
    green = sys.implementation.name == "cpython"
    assert info["ours"] == ["aiologic", "aiologic-asyncio", "aiologic-core", "aiologic-curio"] + [
        "aiologic-greenlet"
    ] * green + ["aiologic-trio"]
    expected_entry_points = {
        "threading": "aiologic.lowlevel._threading_backend:backend",
        "asyncio": "aiologic_asyncio:backend",
        "trio": "aiologic_trio:backend",
        "curio": "aiologic_curio:backend",
    }
    expected_installed = {
        "asyncio": "aiologic-asyncio",
        "curio": "aiologic-curio",
        "threading": "aiologic-core",
        "trio": "aiologic-trio",
    }
    expected_lines = {
        "threading": "aiologic-core (installed)",
        "asyncio": "aiologic-asyncio (installed)",
        "trio": "aiologic-trio (installed)",
        "curio": "aiologic-curio (installed)",
    }
    if green:
        for name in ("gevent", "eventlet"):
            expected_entry_points[name] = f"aiologic_greenlet:{name}_backend"
            expected_installed[name] = "aiologic-greenlet"
            expected_lines[name] = "aiologic-greenlet (installed)"
    assert info["entry_points"] == expected_entry_points
    assert info["installed"] == dict(sorted(expected_installed.items()))
    out = run([python, "-m", "aiologic"], timeout=120)
    assert "WARNING" not in out, out
    assert library_lines(out) == expected_lines, out
    assert "ok:" in out
    out = python_code(
        python,
        """
        import asyncio, threading, curio, trio, aiologic
        from aiologic.lowlevel import current_async_library

        lock, seen = aiologic.Lock(), []

        async def body(sleep):
            for _ in range(5):
                async with lock:
                    seen.append(current_async_library())
                    await sleep(0.001)

        threads = [threading.Thread(target=asyncio.run, args=[body(asyncio.sleep)]),
                   threading.Thread(target=trio.run, args=[body, trio.sleep]),
                   threading.Thread(target=curio.run, args=[body, curio.sleep])]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(sorted(set(seen)), len(seen), lock.locked())
        """,
    )
    assert out == "['asyncio', 'curio', 'trio'] 15 False"
    if green:
        out = python_code(
            python,
            """
            import asyncio, threading, gevent, aiologic
            from aiologic.lowlevel import current_green_library

            semaphore, seen = aiologic.Semaphore(1), []

            def in_gevent():
                def greenlet():
                    with semaphore:
                        seen.append(current_green_library())
                        gevent.sleep(0.01)
                gevent.joinall([gevent.spawn(greenlet) for _ in range(3)])

            async def in_asyncio():
                for _ in range(3):
                    async with semaphore:
                        seen.append("asyncio")
                        await asyncio.sleep(0.01)

            threads = [threading.Thread(target=in_gevent), threading.Thread(target=asyncio.run, args=[in_asyncio()])]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            print(sorted(set(seen)), len(seen), semaphore.value)
            """,
        )
        assert out == "['asyncio', 'gevent'] 6 1"


def test_core_and_one_plugin(tmp_path, wheelhouse):
    python = make_env(tmp_path, wheelhouse, "aiologic-core", "aiologic-trio")
    info = inspect(python)
    assert info["ours"] == ["aiologic-core", "aiologic-trio"]
    assert info["entry_points"] == {
        "threading": "aiologic.lowlevel._threading_backend:backend",
        "trio": "aiologic_trio:backend",
    }
    assert info["installed"] == {"threading": "aiologic-core", "trio": "aiologic-trio"}
    out = run([python, "-m", "aiologic"], timeout=120)
    assert "WARNING" not in out, out
    assert library_lines(out) == {
        "threading": "aiologic-core (installed)",
        "asyncio": "aiologic-asyncio (not installed)",
        "trio": "aiologic-trio (installed)",
    }, out
    assert "ok:" in out
    out = python_code(
        python,
        """
        import asyncio, trio, aiologic

        async def in_trio():
            async with aiologic.Lock():
                return aiologic.lowlevel.current_async_library()

        async def in_asyncio():
            lock = aiologic.Lock()
            try:
                async with lock:  # the uncontended fast path too
                    pass
            except RuntimeError as exc:
                return f"{type(exc).__name__}: {exc}"
            return "no error"

        print(trio.run(in_trio))
        print(asyncio.run(in_asyncio()))
        """,
    )
    first, second = out.splitlines()
    assert first == "trio"
    assert second.startswith("BackendNotFoundError") and "pip install aiologic-asyncio" in second, second


def test_third_party_plugin_and_harness(tmp_path, wheelhouse):
    python = make_env(tmp_path, wheelhouse, "aiologic-core", "aiologic-exampleloop[testing]")
    info = inspect(python)
    assert info["ours"] == ["aiologic-core", "aiologic-exampleloop", "aiologic-testing"]
    assert info["installed"] == {"exampleloop": "aiologic-exampleloop", "threading": "aiologic-core"}
    out = python_code(
        python,
        """
        import exampleloop, aiologic
        from aiologic.lowlevel import current_async_library

        async def main():
            lock = aiologic.Lock()
            async def other():
                async with lock:
                    return current_async_library()
            async with lock:
                task = exampleloop.spawn(other)
                await exampleloop.sleep(0.01)
            return await task.join()

        print(exampleloop.run(main))
        """,
    )
    assert out == "exampleloop"
    out = run([python, "-m", "aiologic"], timeout=120)
    assert library_lines(out)["exampleloop"] == "aiologic-exampleloop (installed)", out
    (tmp_path / "test_in_worlds.py").write_text(
        textwrap.dedent(
            """
            import aiologic

            def test_lock(world):
                async def body(w):
                    lock = aiologic.Lock()
                    async with w.hold(lock):
                        assert lock.owner[0] == w.library
                world.run(body)
            """
        )
    )
    out = run([python, "-m", "pytest", "-v", "-p", "no:cacheprovider", "test_in_worlds.py"], cwd=tmp_path)
    assert "test_lock[threading] PASSED" in out and "test_lock[exampleloop] PASSED" in out, out
    assert "2 passed" in out, out  # asyncio's world needs aiologic-asyncio, not installed here


def test_every_code_wheel_ships_py_typed(wheelhouse):
    """Type checkers read our annotations only from packages that carry a
    `py.typed` marker: every wheel with code has one per top-level package."""
    import zipfile

    for wheel in sorted(wheelhouse.glob("*.whl")):
        names = zipfile.ZipFile(wheel).namelist()
        packages = {name.split("/")[0] for name in names if name.endswith(".py")}
        if not packages:
            assert wheel.name.startswith("aiologic-"), wheel.name  # the code-less meta-package
            continue
        missing = sorted(pkg for pkg in packages if f"{pkg}/py.typed" not in names)
        assert not missing, f"{wheel.name}: no py.typed in {missing}"
