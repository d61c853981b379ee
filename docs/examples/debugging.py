# statistics(): who holds a lock, and who waits for it, in which library and
# which OS thread, read without blocking.
import asyncio
import threading
import time

from aiologic import Lock

lock = Lock()
lock.green_acquire()  # the main thread holds it


async def async_waiter():
    async with lock:
        pass


def thread_waiter():
    with lock:
        pass


threads = [
    threading.Thread(target=asyncio.run, args=[async_waiter()]),
    threading.Thread(target=thread_waiter),
]
for thread in threads:
    thread.start()
while lock.waiting < 2:
    time.sleep(0.01)

stats = lock.statistics()
print("owner:", stats.owner)
for waiter in stats.waiting:  # oldest first
    print(f"  waiting: library={waiter.library} task={waiter.task} thread={waiter.thread}")
assert stats.owner == ("threading", threading.get_ident())
assert {waiter.library for waiter in stats.waiting} == {"asyncio", "threading"}

lock.green_release()  # hands the lock to the oldest waiter
for thread in threads:
    thread.join()
assert not lock.locked()
