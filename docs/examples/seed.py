# Four tasks in two event loops in two threads share one lock.
# (Takes about 4 s: each task holds the lock for 1 s, one at a time.)
from threading import Thread

import anyio

from aiologic import Lock

lock = Lock()


async def func(i, j):
    print(f"thread={i} task={j} started")
    async with lock:
        await anyio.sleep(1)
    print(f"thread={i} task={j} stopped")


async def main(i):
    async with anyio.create_task_group() as tasks:
        for j in range(2):
            tasks.start_soon(func, i, j)


threads = [Thread(target=anyio.run, args=[main, i]) for i in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
