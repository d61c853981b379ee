"""aiologic's reusable test harness: worlds (one test body run under every
concurrency library) and a pytest plugin that parametrizes tests over them.

Installing the distribution ``aiologic-testing`` registers the plugin with
pytest (entry point ``aiologic`` in ``pytest11``): a test that takes `world`
runs once per available world, one that takes `world_a` and `world_b` once
per ordered pair. Third parties add worlds for their own loops through the
entry-point group ``aiologic_testing.worlds``, and check their backends with
the conformance tests of `aiologic_testing.conformance` (one line in a test
module: ``from aiologic_testing.conformance import *``).
"""

from .worlds import ENTRY_POINT_GROUP, WORLDS, Handle, World, all_worlds, available_worlds, make_world, run_in_threads

__all__ = (
    "ENTRY_POINT_GROUP",
    "WORLDS",
    "Handle",
    "World",
    "all_worlds",
    "available_worlds",
    "make_world",
    "run_in_threads",
)
