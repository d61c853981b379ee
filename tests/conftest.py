"""The fixtures (`world`, `world_a`/`world_b`, the thread-leak check) come
from the pytest plugin of `aiologic-testing` (tests/aiologic-testing/),
which the `test` dependency group installs; pytest loads it through its
``pytest11`` entry point."""

import pytest


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("aiologic"):
        raise pytest.UsageError(
            "the aiologic-testing pytest plugin is not loaded: install the test group"
            " (uv sync --all-packages --group test) and do not disable plugin autoloading"
        )
