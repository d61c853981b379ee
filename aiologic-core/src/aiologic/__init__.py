"""aiologic: synchronization and communication primitives shared by threads,
greenlets and async tasks of any library, in one thread or many."""

from . import lowlevel, meta  # noqa: F401  (public submodules)
from ._condition import Condition
from ._event import Event
from ._limiter import CapacityLimiter, RCapacityLimiter
from ._lock import Lock
from ._rlock import RLock
from ._semaphore import BinarySemaphore, BoundedBinarySemaphore, BoundedSemaphore, Semaphore
from ._synchronized import synchronized
from ._version import __version__, __version_tuple__  # noqa: F401

__all__ = (
    "BinarySemaphore",
    "BoundedBinarySemaphore",
    "BoundedSemaphore",
    "CapacityLimiter",
    "Condition",
    "Event",
    "Lock",
    "RCapacityLimiter",
    "RLock",
    "Semaphore",
    "synchronized",
)

meta.export(globals())
