"""`statistics()` is new: a frozen snapshot of a primitive's state and of
its waiters, oldest first, readable from anywhere without blocking."""

import threading
import time

import aiologic
from aiologic.statistics import LockStatistics, SemaphoreStatistics

lock = aiologic.Lock()
stats = lock.statistics()
assert isinstance(stats, LockStatistics)
assert stats.owner is None and stats.count == 0 and stats.waiting == ()

lock.green_acquire()
waiter_started = threading.Event()


def wait_for_lock() -> None:
    waiter_started.set()
    with lock:
        pass


thread = threading.Thread(target=wait_for_lock)
thread.start()
waiter_started.wait()
deadline = time.monotonic() + 5
while not lock.statistics().waiting:  # the thread parks in a moment
    assert time.monotonic() < deadline, "the waiter never parked"
    time.sleep(0.001)

stats = lock.statistics()
assert stats.count == 1 and stats.owner is not None
(waiter,) = stats.waiting
assert waiter.library == "threading" and waiter.thread == thread.ident
lock.green_release()
thread.join(5)
assert not thread.is_alive()

semaphore_stats = aiologic.Semaphore(2, 3).statistics()
assert isinstance(semaphore_stats, SemaphoreStatistics)
assert (semaphore_stats.value, semaphore_stats.max_value) == (2, 3)
print("statistics:", stats)
