"""aiologic: synchronization and communication primitives shared by threads,
greenlets and async tasks of any library, in one thread or many."""

from . import lowlevel, meta  # noqa: F401  (public submodules)
from ._event import Event
from ._lock import Lock
from ._queue import LifoQueue, PriorityQueue, Queue, QueueEmpty, QueueFull
from ._semaphore import BinarySemaphore, BoundedBinarySemaphore, BoundedSemaphore, Semaphore
from ._simple_queue import SimpleLifoQueue, SimpleQueue
from ._version import __version__, __version_tuple__  # noqa: F401

__all__ = (
    "BinarySemaphore",
    "BoundedBinarySemaphore",
    "BoundedSemaphore",
    "Event",
    "LifoQueue",
    "Lock",
    "PriorityQueue",
    "Queue",
    "QueueEmpty",
    "QueueFull",
    "Semaphore",
    "SimpleLifoQueue",
    "SimpleQueue",
)

meta.export(globals())
