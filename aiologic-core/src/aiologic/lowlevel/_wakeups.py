"""Wake-up batches: waking many threads without being slowed down by them.

A thread woken by `set()` wants the GIL at once to run the rest of its wait;
with thousands of them, the waker loses the GIL again and again before it has
woken them all, and a fan-out costs several times `threading.Event`'s. So a
waker that wakes many tasks opens a batch: a lock it holds until the last
wake-up is out. A thread woken during the batch first passes through that lock
(`ThreadWaiter.wait`), which it cannot do before the waker is done, and waits
for it without holding the GIL. This is what `threading.Condition`'s own lock
achieves for `threading.Event`. The gates are real OS-thread locks, and the
batch is per OS thread, whatever monkey-patching replaced.

An event loop woken from another thread has the same problem: its thread
wants the GIL as soon as the first wake-up reaches its selector. So a
backend that wakes its loop with one thread-safe call per group of wake-ups
(asyncio's `call_soon_threadsafe`) defers that call to the end of the batch
(`at_batch_end`): the loop wakes once, to find every wake-up of the batch.
"""

from __future__ import annotations

from typing import Any, Callable, List, Optional

from ._originals import allocate_lock, local

__all__ = ("at_batch_end", "close_batch", "current", "open_batch")


class _Batch(local):
    gate: Any = None
    deferred: Optional[List[Callable[[], Any]]] = None


current = _Batch()


def at_batch_end(callback: Callable[[], Any]) -> bool:
    """If this thread is waking a batch of tasks, run `callback()` when the
    batch ends and return True; otherwise return False (call it yourself)."""
    deferred = current.deferred
    if deferred is None:
        return False
    deferred.append(callback)
    return True


def open_batch() -> Optional[Any]:
    """Start a batch in this thread; returns its gate (None when nested)."""
    if current.gate is not None:
        return None
    gate = allocate_lock()
    gate.acquire()
    current.gate = gate
    current.deferred = []
    return gate


def close_batch(gate: Optional[Any]) -> None:
    """End the batch that `open_batch()` returned, letting woken threads go
    and running the deferred callbacks (all of them, then the first error
    is raised)."""
    if gate is not None:
        deferred = current.deferred
        current.gate = current.deferred = None
        gate.release()
        error: Optional[BaseException] = None
        for callback in deferred or ():
            try:
                callback()
            except BaseException as exc:
                error = error or exc
        if error is not None:
            raise error
