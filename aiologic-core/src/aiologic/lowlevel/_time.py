"""Clocks and sleeps of the current library.

Each function asks the current green or async library's backend (its
`clock`, `sleep`, `seconds_per_sleep` and `seconds_per_timeout`), so a
third-party backend gets all of them by implementing those members. Sleeps
longer than the library performs in one call are split into steps.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any, NoReturn

from ._libraries import Library, async_library, green_library

__all__ = (
    "async_clock",
    "async_seconds_per_sleep",
    "async_seconds_per_timeout",
    "async_sleep",
    "async_sleep_forever",
    "async_sleep_until",
    "green_clock",
    "green_seconds_per_sleep",
    "green_seconds_per_timeout",
    "green_sleep",
    "green_sleep_forever",
    "green_sleep_until",
)


def _check_seconds(value: object, name: str) -> float:
    # Like a timeout, but `inf` stays: sleeping that long is sleeping forever.
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, not {type(value).__name__}")
    value = float(value)
    if value != value:
        raise ValueError(f"{name} must be non-NaN")
    return float(value)


def _step(lib: Library, remaining: float) -> float:
    return min(remaining, lib.backend.seconds_per_sleep)


def green_clock() -> float:
    """The current green library's monotonic clock: `time.monotonic()` for
    threads, the hub's clock under gevent or eventlet."""
    return green_library().backend.clock()


def async_clock() -> float:
    """The current async library's monotonic clock (`loop.time()`,
    `trio.current_time()`...)."""
    return async_library().backend.clock()


def green_sleep(seconds: float, /) -> None:
    """Suspend the current thread or greenlet for `seconds`."""
    seconds = _check_seconds(seconds, "seconds")
    if seconds < 0:
        raise ValueError("seconds must be non-negative")
    lib = green_library()
    if seconds == math.inf:
        _green_forever(lib)
    backend = lib.backend
    if seconds <= backend.seconds_per_sleep:
        backend.sleep(seconds)
        return
    # Too long for one call: sleep in steps until the library's own clock
    # has passed the deadline.
    deadline = backend.clock() + seconds
    while True:
        remaining = deadline - backend.clock()
        if remaining <= 0:
            return
        backend.sleep(_step(lib, remaining))


async def async_sleep(seconds: float, /) -> None:
    """Suspend the current async task for `seconds`."""
    seconds = _check_seconds(seconds, "seconds")
    if seconds < 0:
        raise ValueError("seconds must be non-negative")
    lib = async_library()
    if seconds == math.inf:
        await _async_forever(lib)
    backend = lib.backend
    if seconds <= backend.seconds_per_sleep:
        await backend.sleep(seconds)
        return
    deadline = backend.clock() + seconds
    while True:
        remaining = deadline - backend.clock()
        if remaining <= 0:
            return
        await backend.sleep(_step(lib, remaining))


def green_sleep_until(deadline: float, /) -> None:
    """Suspend the current thread or greenlet until `green_clock()` reaches
    `deadline` (at once if it already has)."""
    deadline = _check_seconds(deadline, "deadline")
    lib = green_library()
    if deadline == math.inf:
        _green_forever(lib)
    backend = lib.backend
    while True:
        remaining = deadline - backend.clock()
        if remaining <= 0:
            return
        backend.sleep(_step(lib, remaining))


async def async_sleep_until(deadline: float, /) -> None:
    """Suspend the current async task until `async_clock()` reaches
    `deadline` (at once if it already has)."""
    deadline = _check_seconds(deadline, "deadline")
    lib = async_library()
    if deadline == math.inf:
        await _async_forever(lib)
    backend = lib.backend
    while True:
        remaining = deadline - backend.clock()
        if remaining <= 0:
            return
        await backend.sleep(_step(lib, remaining))


def _green_forever(lib: Library) -> NoReturn:
    # A waiter that nobody can wake: no timer, nothing to split, and the
    # library's own cancellation (a kill, a timeout) still gets through.
    while True:
        waiter: Any = lib.backend.create_waiter()
        waiter.wait()


async def _async_forever(lib: Library) -> NoReturn:
    while True:
        waiter: Any = lib.backend.create_waiter()
        await waiter


def green_sleep_forever() -> NoReturn:
    """Suspend the current thread or greenlet until it is killed or
    cancelled (a plain thread: for good)."""
    _green_forever(green_library())


async def async_sleep_forever() -> NoReturn:
    """Suspend the current async task until it is cancelled."""
    await _async_forever(async_library())


def green_seconds_per_sleep() -> float:
    """The longest sleep the current green library performs in one call."""
    return float(green_library().backend.seconds_per_sleep)


def async_seconds_per_sleep() -> float:
    """The longest sleep the current async library performs in one call."""
    return float(async_library().backend.seconds_per_sleep)


def green_seconds_per_timeout() -> float:
    """The longest timeout the current green library accepts in one call."""
    return float(green_library().backend.seconds_per_timeout)


def async_seconds_per_timeout() -> float:
    """The longest timeout the current async library accepts in one call."""
    return float(async_library().backend.seconds_per_timeout)
