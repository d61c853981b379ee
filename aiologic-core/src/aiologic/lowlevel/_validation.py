"""Argument checks shared by every primitive."""

from __future__ import annotations

import math
from numbers import Real
from typing import Optional

_inf = math.inf


def check_timeout(timeout: object, name: str = "timeout") -> Optional[float]:
    """Validate a timeout; `math.inf` becomes None (wait until woken)."""
    if type(timeout) is not float and type(timeout) is not int:
        if isinstance(timeout, bool) or not isinstance(timeout, Real):
            raise TypeError(f"{name} must be a real number or None, not {type(timeout).__name__}")
        timeout = float(timeout)
    if timeout != timeout:
        raise ValueError(f"{name} must be non-NaN")
    if timeout < 0:
        raise ValueError(f"{name} must be non-negative")
    if timeout == _inf:
        return None
    return timeout


def check_int(value: object, name: str) -> int:
    """Counts, sizes and parties are integers (`bool` included)."""
    if not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}")
    return value


def check_count(count: object, name: str = "count") -> int:
    count = check_int(count, name)
    if count < 1:
        raise ValueError(f"{name} must be >= 1")
    return count
