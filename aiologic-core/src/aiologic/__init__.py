"""aiologic: synchronization and communication primitives shared by threads,
greenlets and async tasks of any library, in one thread or many."""

from . import lowlevel, meta  # noqa: F401  (public submodules)
from ._countdown import CountdownEvent
from ._event import Event
from ._lock import Lock
from ._revent import REvent
from ._semaphore import BinarySemaphore, BoundedBinarySemaphore, BoundedSemaphore, Semaphore
from ._version import __version__, __version_tuple__  # noqa: F401

__all__ = (
    "BinarySemaphore",
    "BoundedBinarySemaphore",
    "BoundedSemaphore",
    "CountdownEvent",
    "Event",
    "Lock",
    "REvent",
    "Semaphore",
)

meta.export(globals())
