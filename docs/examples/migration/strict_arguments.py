"""Arguments are checked at the call, whatever the state of the primitive.

aiologic 0.17 checked a timeout only when the call had to wait, so
`lock.green_acquire(timeout=-1)` on a free lock succeeded there and raised
only under contention. Here it raises every time, before the call has any
effect.
"""

import math

import aiologic

lock = aiologic.Lock()
for bad, error in [(-1, ValueError), (math.nan, ValueError), ("1", TypeError)]:
    try:
        lock.green_acquire(timeout=bad)
    except error:
        pass
    else:
        raise AssertionError(f"timeout={bad!r} was accepted")
assert not lock.locked()  # the rejected calls changed nothing

event = aiologic.Event()
event.set()
try:
    event.wait(-1)  # already set, but the timeout is still checked
except ValueError as exc:
    assert "non-negative" in str(exc)
else:
    raise AssertionError("a negative timeout was accepted")

# release(0) was silently ignored by the 0.17 Semaphore; it is an error here.
semaphore = aiologic.Semaphore(1)
try:
    semaphore.release(0)
except ValueError:
    pass
else:
    raise AssertionError("release(0) was accepted")
assert semaphore.value == 1

# A rejected timeout no longer breaks a barrier (0.17 broke it).
barrier = aiologic.Barrier(2)
try:
    barrier.wait(-1)
except ValueError:
    pass
assert not barrier.broken

# What works on both: None (or math.inf) for "no limit", 0 for "do not wait".
assert lock.green_acquire(timeout=0)
lock.green_release()
assert lock.green_acquire(timeout=math.inf)
lock.green_release()
print("strict argument checks: ok")
