"""The pytest plugin (entry point ``aiologic`` in ``pytest11``): every test
with a `world` argument runs once per world, every test with `world_a` and
`world_b` once per ordered pair of worlds, and every test is checked for
leaked threads.

Options:

* ``--aiologic-worlds=NAME,NAME``: run `world` tests in these worlds only,
  and pair tests only for pairs that involve one of them (a backend's author
  runs aiologic's suite against their own world and its pairs with every
  other world);
* the ini setting ``aiologic_thread_leaks = false`` turns the leak check off;
* the marker ``@pytest.mark.world_features("anyio", ...)`` runs a world test
  only in worlds that offer those features (`World.features`).

The backend conformance tests are in `aiologic_testing.conformance`: a test
module collects them with ``from aiologic_testing.conformance import *``.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Iterator, List, Optional

import pytest

from .worlds import all_worlds, available_worlds, make_world

__all__ = ("no_thread_leaks", "world")


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("aiologic", "aiologic's test worlds")
    group.addoption(
        "--aiologic-worlds",
        default=None,
        metavar="NAMES",
        help="comma-separated worlds: world tests run in these only, pair tests for pairs that involve one of them",
    )
    parser.addini("aiologic_thread_leaks", "fail tests that leave threads behind", type="bool", default=True)


def pytest_configure(config: Any) -> None:
    config.addinivalue_line(
        "markers", "world_features(*features): run a world test only in worlds that offer these features"
    )
    if not config.pluginmanager.hasplugin("timeout"):
        # The conformance tests carry pytest-timeout's marker; without that
        # plugin they bound themselves (aiologic_testing.conformance).
        config.addinivalue_line("markers", "timeout(seconds): a time limit, enforced when pytest-timeout is installed")


def _selected(config: Any) -> Optional[List[str]]:
    option = config.getoption("aiologic_worlds", None)
    if not option:
        return None
    names = [name.strip() for name in option.split(",") if name.strip()]
    unknown = [name for name in names if name not in all_worlds()]
    if unknown:
        raise pytest.UsageError(f"--aiologic-worlds: unknown worlds {unknown}; known: {sorted(all_worlds())}")
    return names


def pytest_generate_tests(metafunc: Any) -> None:
    fixtures = metafunc.fixturenames
    if "world" not in fixtures and "world_a" not in fixtures and "world_b" not in fixtures:
        return
    available = available_worlds()
    selected = _selected(metafunc.config)
    if "world" in fixtures:
        names = available if selected is None else [name for name in available if name in selected]
        metafunc.parametrize("world", names, indirect=True)
    if "world_a" in fixtures and "world_b" in fixtures:
        pairs = [
            (a, b)
            for a in available
            for b in available
            if selected is None or a in selected or b in selected
        ]
        metafunc.parametrize(("world_a", "world_b"), pairs, ids=[f"{a}-{b}" for a, b in pairs])
    else:
        for name in ("world_a", "world_b"):
            if name in fixtures:
                metafunc.parametrize(name, available)


@pytest.fixture
def world(request: Any) -> Any:
    """The `World` a test body runs in (one test per available world)."""
    instance = make_world(request.param)
    marker = request.node.get_closest_marker("world_features")
    if marker is not None and not instance.supports(*marker.args):
        missing = sorted(set(marker.args) - instance.features)
        pytest.skip(f"the {instance.name} world does not offer {', '.join(missing)}")
    return instance


@pytest.fixture(autouse=True)
def no_thread_leaks(request: Any) -> Iterator[None]:
    """Fail a test that leaves threads behind (after a grace period for
    threads that are finishing)."""
    if not request.config.getini("aiologic_thread_leaks"):
        yield
        return
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5
    while True:
        leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    assert not leaked, f"threads leaked: {leaked}"
