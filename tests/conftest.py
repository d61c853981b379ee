"""Fixtures: every test with a `world` argument runs once per world, and
every test is checked for leaked threads."""

from __future__ import annotations

import threading
import time
from typing import Any, Iterator

import pytest

from worlds import available_worlds, make_world


def pytest_generate_tests(metafunc: Any) -> None:
    if "world" in metafunc.fixturenames:
        metafunc.parametrize("world", available_worlds(), indirect=True)
    for name in ("world_a", "world_b"):
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, available_worlds())


@pytest.fixture
def world(request: Any) -> Any:
    return make_world(request.param)


@pytest.fixture(autouse=True)
def no_thread_leaks() -> Iterator[None]:
    """Fail a test that leaves threads behind (after a grace period for
    threads that are finishing)."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5
    while True:
        leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert not leaked, f"threads leaked: {leaked}"
