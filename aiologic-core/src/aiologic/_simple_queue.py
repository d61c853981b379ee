"""`SimpleQueue` and `SimpleLifoQueue`: unbounded queues whose put never
blocks (see `_queue_base` for how items reach blocked getters)."""

from __future__ import annotations

from typing import Any, Iterable, Optional, Type, TypeVar

from .lowlevel._checkpoints import async_checkpoint_library, green_checkpoint_library
from .lowlevel._validation import check_timeout
from ._queue_base import NO_ITEMS, ItemQueue, lifo, own_members

__all__ = ("SimpleLifoQueue", "SimpleQueue")

_T = TypeVar("_T")
_Q = TypeVar("_Q", bound="SimpleQueue[Any]")


@own_members
class SimpleQueue(ItemQueue[_T]):
    """An unbounded first-in, first-out queue. `put` never blocks and may be
    called from anywhere; gets wait while the queue is empty."""

    __slots__ = ()

    def __new__(cls: Type[_Q], items: Iterable[_T] = NO_ITEMS, /) -> _Q:
        self = object.__new__(cls)
        self._setup(items)
        return self

    def put(self, item: _T) -> None:
        """Add an item (never blocks); a blocked getter gets it at once."""
        self._store(item)
        if self._getting:
            # `_hand_over`'s test, inline: a getter that was woken but has
            # not run yet (the common case while two sides stream) costs no
            # call.
            holder = self._getters
            if holder and holder[0]._parked:
                self._hand_over()

    def green_put(self, item: _T, *, blocking: bool = True, timeout: Optional[float] = None) -> None:
        """`put`, as a blocking call of the green side: never blocks, but
        makes a checkpoint when checkpoints are on."""
        if timeout is not None:
            check_timeout(timeout)
        lib = green_checkpoint_library() if blocking else None
        if lib is not None:
            lib.backend.checkpoint_before()
        self.put(item)
        if lib is not None:
            lib.backend.checkpoint_after()

    async def async_put(self, item: _T, *, blocking: bool = True, timeout: Optional[float] = None) -> None:
        """`put`, as a blocking call of the async side: never blocks, but
        makes a checkpoint when checkpoints are on."""
        if timeout is not None:
            check_timeout(timeout)
        lib = async_checkpoint_library() if blocking else None
        if lib is not None:
            await lib.backend.checkpoint_before()
        self.put(item)
        if lib is not None:
            await lib.backend.checkpoint_after()


class SimpleLifoQueue(SimpleQueue[_T]):
    """An unbounded last-in, first-out queue."""

    __slots__ = ()

    _container = staticmethod(lifo)
