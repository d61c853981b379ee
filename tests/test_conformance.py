"""The backend conformance suite of `aiologic-testing`, run for every world
of this repository (threading, asyncio, anyio on asyncio, trio, anyio on
trio, exampleloop) with the one line a third party's backend uses."""

from __future__ import annotations

import os
import subprocess
import sys

from aiologic_testing.conformance import *  # noqa: F401,F403
from aiologic_testing.worlds import available_worlds


def test_runs_from_another_repository(tmp_path):
    # A backend's repository needs no test file: the installed module runs
    # as it is, for its world and every pair that involves it, also without
    # pytest-timeout and with strict markers.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:timeout",
            "--strict-markers",
            "-q",
            "--pyargs",
            "aiologic_testing.conformance",
            "--aiologic-worlds=exampleloop",
            "-k",
            "identity or wake_from_another_world",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    pairs = 2 * len(available_worlds()) - 1
    assert f"{1 + pairs} passed" in out, out
