"""aiologic: synchronization and communication primitives shared by threads,
greenlets and async tasks of any library, in one thread or many."""

from . import lowlevel, meta  # noqa: F401  (public submodules)
from ._barrier import Barrier, BrokenBarrierError, Latch, RBarrier
from ._condition import Condition
from ._countdown import CountdownEvent
from ._event import Event
from ._flag import Flag
from ._limiter import CapacityLimiter, RCapacityLimiter
from ._lock import Lock
from ._queue import LifoQueue, PriorityQueue, Queue, QueueEmpty, QueueFull
from ._resource_guard import BusyResourceError, ResourceGuard
from ._revent import REvent
from ._rlock import RLock
from ._semaphore import BinarySemaphore, BoundedBinarySemaphore, BoundedSemaphore, Semaphore
from ._simple_queue import SimpleLifoQueue, SimpleQueue
from ._synchronized import synchronized
from ._version import __version__, __version_tuple__  # noqa: F401

__all__ = (
    "Barrier",
    "BinarySemaphore",
    "BoundedBinarySemaphore",
    "BoundedSemaphore",
    "BrokenBarrierError",
    "BusyResourceError",
    "CapacityLimiter",
    "Condition",
    "CountdownEvent",
    "Event",
    "Flag",
    "Latch",
    "LifoQueue",
    "Lock",
    "PriorityQueue",
    "Queue",
    "QueueEmpty",
    "QueueFull",
    "RBarrier",
    "RCapacityLimiter",
    "REvent",
    "RLock",
    "ResourceGuard",
    "Semaphore",
    "SimpleLifoQueue",
    "SimpleQueue",
    "synchronized",
)

meta.export(globals())
