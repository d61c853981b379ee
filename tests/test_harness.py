"""The reusable harness `aiologic-testing` (a pytest plugin): built-in
worlds, worlds added through the `aiologic_testing.worlds` entry point,
`--aiologic-worlds`, and the `world_features` marker."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import aiologic_testing
from aiologic_testing import WORLDS, World, all_worlds, available_worlds


def pytest_in(tmp_path, test_code, *args, extra_path=None):
    (tmp_path / "test_sample.py").write_text(textwrap.dedent(test_code))
    env = dict(os.environ)
    if extra_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(extra_path), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "test_sample.py", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    return result.returncode, result.stdout + result.stderr


SAMPLE = """
    import aiologic
    import pytest

    def test_world(world):
        async def body(w):
            lock = aiologic.Lock()
            async with w.hold(lock):
                assert lock.owner[0] == w.library
        world.run(body)

    def test_pair(world_a, world_b):
        pass

    @pytest.mark.world_features("anyio")
    def test_needs_anyio(world):
        async def body(w):
            import anyio
            await anyio.sleep(0)
        world.run(body)
    """


def test_builtin_and_registered_worlds():
    assert list(WORLDS) == [
        "threading",
        "asyncio",
        "anyio-asyncio",
        "trio",
        "anyio-trio",
        "uvloop",
        "curio",
        "gevent",
        "eventlet",
    ]
    worlds = all_worlds()
    assert list(worlds)[: len(WORLDS)] == list(WORLDS)
    from aiologic_exampleloop.testing import ExampleloopWorld

    assert worlds["exampleloop"] is ExampleloopWorld and issubclass(ExampleloopWorld, World)
    assert "exampleloop" in available_worlds()
    assert aiologic_testing.ENTRY_POINT_GROUP == "aiologic_testing.worlds"


def test_features_describe_worlds():
    worlds = all_worlds()
    assert [name for name, cls in worlds.items() if cls.supports("anyio")] == ["anyio-asyncio", "anyio-trio"]
    assert worlds["exampleloop"].supports("exampleloop") and not worlds["exampleloop"].supports("anyio")
    assert worlds["threading"].supports() and not worlds["threading"].is_async


def test_plugin_parametrizes_and_filters(tmp_path):
    code, out = pytest_in(tmp_path, SAMPLE)
    assert code == 0, out
    n = len(available_worlds())
    assert out.count("test_world[") == n and out.count("test_pair[") == n * n
    assert "test_world[exampleloop] PASSED" in out and "test_pair[exampleloop-asyncio] PASSED" in out
    assert "test_needs_anyio[exampleloop] SKIPPED" in out
    assert "test_needs_anyio[anyio-asyncio] PASSED" in out

    code, out = pytest_in(tmp_path, SAMPLE, "--aiologic-worlds=exampleloop")
    assert code == 0, out
    assert out.count("test_world[") == 1 and "test_world[exampleloop] PASSED" in out
    assert out.count("test_pair[") == 2 * n - 1  # every pair that involves exampleloop
    assert "test_needs_anyio[exampleloop] SKIPPED" in out

    code, out = pytest_in(tmp_path, SAMPLE, "--aiologic-worlds=nosuchloop")
    assert code != 0 and "unknown worlds ['nosuchloop']" in out


def test_broken_or_duplicate_world_entry_points_warn(tmp_path):
    site = tmp_path / "site"
    info = site / "aiologic_fake-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: aiologic-fake\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[aiologic_testing.worlds]\nbrokenloop = no_such_module:World\nasyncio = aiologic_testing.worlds:AsyncioWorld\n"
    )
    code, out = pytest_in(tmp_path, "def test_world(world):\n    pass\n", "-W", "always", extra_path=site)
    assert code == 0, out
    assert "the world 'brokenloop' of aiologic-fake does not load" in out
    assert "aiologic-fake registers a second world named 'asyncio'" in out
    assert "test_world[exampleloop] PASSED" in out


@pytest.mark.world_features("asyncio")
def test_marker_in_this_suite(world):
    async def body(w):
        import asyncio

        await asyncio.sleep(0)

    world.run(body)
