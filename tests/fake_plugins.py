"""Fake backend plugins for the registry's tests, run in fresh processes.

`run_with_plugins(code)` runs `code` in a new interpreter after `PRELUDE`,
which gives it `register(name, load, dist)` (adds an entry point to what the
registry reads from the metadata), `reads` (one item per metadata read),
`Someio` (a complete async backend for the library ``someio``) and
`BackendNotFoundError`. A subprocess keeps the registry's process-wide state
out of the test run, and its timeout turns a deadlock into a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

PRELUDE = """
import sys, types
from aiologic.lowlevel import _registry
from aiologic.backends import Backend, BackendNotFoundError

class Someio(Backend):
    api_version = 1
    name, kind, root_module, distribution = "someio", "async", "someio", "aiologic-someio"
    def running(self): return False
    def current_task(self): raise RuntimeError("no someio task")
    def current_token(self): raise RuntimeError("no someio loop")
    def create_waiter(self, *, shield=False): raise RuntimeError("no someio task")
    async def checkpoint(self): pass
    async def checkpoint_before(self): pass
    async def checkpoint_after(self): pass
    def clock(self): return 0.0
    async def sleep(self, seconds): pass
    def shield(self, wrapped): return wrapped

_fake = {}
reads = []

def register(name, load, dist="aiologic-someio"):
    module = dist.replace("-", "_")
    _fake.setdefault(name, []).append(_registry._EntryPoint(name, module + ":backend", dist, load))

_real_read = _registry._read_entry_points

def _read():
    reads.append(True)
    found = _real_read()
    for name, entries in _fake.items():
        found[name] = found.get(name, []) + entries
    return found

_registry._read_entry_points = _read
"""


def run_with_plugins(code: str, timeout: float = 60, **env: str) -> str:
    """The standard output of `code` run after `PRELUDE` in a new process;
    fails the test if it exits with an error or runs over `timeout`."""
    source = PRELUDE + textwrap.dedent(code)
    try:
        result = subprocess.run(
            [sys.executable, "-c", source],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **env},
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {timeout} s (deadlocked?)")
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()
