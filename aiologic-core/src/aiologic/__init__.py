"""aiologic: synchronization and communication primitives shared by threads,
greenlets and async tasks of any library, in one thread or many."""

from . import lowlevel, meta  # noqa: F401  (public submodules)
from ._barrier import Barrier, BrokenBarrierError, Latch, RBarrier
from ._countdown import CountdownEvent
from ._event import Event
from ._flag import Flag
from ._lock import Lock
from ._resource_guard import BusyResourceError, ResourceGuard
from ._revent import REvent
from ._semaphore import BinarySemaphore, BoundedBinarySemaphore, BoundedSemaphore, Semaphore
from ._version import __version__, __version_tuple__  # noqa: F401

__all__ = (
    "Barrier",
    "BinarySemaphore",
    "BoundedBinarySemaphore",
    "BoundedSemaphore",
    "BrokenBarrierError",
    "BusyResourceError",
    "CountdownEvent",
    "Event",
    "Flag",
    "Latch",
    "Lock",
    "RBarrier",
    "REvent",
    "ResourceGuard",
    "Semaphore",
)

meta.export(globals())
