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
"""

from __future__ import annotations

from typing import Any, Optional

from ._originals import allocate_lock, local


class _Batch(local):
    gate: Any = None


current = _Batch()


def open_batch() -> Optional[Any]:
    """Start a batch in this thread; returns its gate (None when nested)."""
    if current.gate is not None:
        return None
    gate = allocate_lock()
    gate.acquire()
    current.gate = gate
    return gate


def close_batch(gate: Optional[Any]) -> None:
    """End the batch that `open_batch()` returned, letting woken threads go."""
    if gate is not None:
        current.gate = None
        gate.release()
