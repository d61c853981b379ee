"""The worlds live in the pytest plugin distribution `aiologic-testing`
(tests/aiologic-testing/); this module re-exports them for the tests."""

from aiologic_testing.worlds import *  # noqa: F401,F403
from aiologic_testing.worlds import __all__  # noqa: F401
