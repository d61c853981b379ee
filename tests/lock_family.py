"""What the lock family's tests share (test_rlock, test_limiter,
test_condition, test_synchronized): the cross-world pairs, the stress
worlds, a bounded wait and the pressure fixture."""

from __future__ import annotations

import sys
import time

import pytest

from worlds import available_worlds

#: The cross-world pairs of the primitives beyond Lock, Semaphore and Event
#: (each ordered pair whose worlds are installed; the greenlet and curio
#: worlds join as their backends land).
PAIRS = [
    (a, b)
    for a, b in [
        ("threading", "asyncio"),
        ("asyncio", "threading"),
        ("asyncio", "asyncio"),
        ("trio", "asyncio"),
        ("asyncio", "trio"),
        ("gevent", "asyncio"),
        ("asyncio", "gevent"),
        ("curio", "asyncio"),
        ("eventlet", "asyncio"),
    ]
    if a in available_worlds() and b in available_worlds()
]
PAIR_IDS = [f"{a}-{b}" for a, b in PAIRS]

#: The worlds a stress test runs at once, each in its own thread.
STRESS_WORLDS = [name for name in ("threading", "asyncio", "trio", "anyio-asyncio") if name in available_worlds()]


async def wait_until(w, predicate, seconds=10):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await w.sleep(0.001)


@pytest.fixture
def pressure():
    """Switch threads as often as CPython allows, to provoke races."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)
