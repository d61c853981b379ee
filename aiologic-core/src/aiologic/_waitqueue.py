"""The waiting queue every primitive is built on.

A primitive keeps its waiters in a FIFO `collections.deque` of low-level
events (or of ``(event, data)`` pairs), allocated on first contention: an
uncontended primitive stays small. The deque lives in a one-element list so
that two threads racing to create it agree on one (each appends its own,
then both use element 0; `list.append` and indexing are atomic).
"""

from __future__ import annotations

from collections import deque
from typing import Any, Deque, List


def waiter_queue(holder: List[Deque[Any]]) -> Deque[Any]:
    """The primitive's waiter deque, created on first use."""
    if not holder:
        holder.append(deque())
    return holder[0]


def count_waiters(holder: List[Deque[Any]]) -> int:
    return len(holder[0]) if holder else 0


def discard(holder: List[Deque[Any]], item: Any) -> None:
    """Remove a waiter that gave up, if a waker has not popped it already.

    `deque.remove` is O(n), but it runs only for waiters that time out or are
    cancelled, and it keeps `waiting` exact (API.md 2.4)."""
    try:
        holder[0].remove(item)
    except (ValueError, IndexError):
        pass
