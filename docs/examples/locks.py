# One Lock, taken by plain threads and by asyncio tasks of another thread.
import asyncio
import threading

from aiologic import Lock, RLock

lock = Lock()
counter = 0


def thread_side():
    global counter
    for _ in range(100):
        with lock as held:  # `with lock as held` binds the lock itself
            assert held is lock and lock.green_owned()
            counter += 1


async def async_side():
    global counter
    for _ in range(100):
        async with lock:
            assert lock.async_owned()
            value = counter
            await asyncio.sleep(0)  # other tasks run; none enters the block
            counter = value + 1


threads = [threading.Thread(target=thread_side) for _ in range(2)]
threads.append(threading.Thread(target=asyncio.run, args=[async_side()]))
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
assert counter == 300 and not lock.locked()

# An RLock may be taken again by its owner, and counts the levels.
rlock = RLock()
with rlock:
    with rlock:
        assert rlock.count == 2
assert rlock.count == 0
print("counter:", counter)
