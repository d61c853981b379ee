"""The example from aiologic's introduction: four anyio tasks in two event
loops, each loop in a thread of its own, share one `aiologic.Lock`.

Each task holds the lock for one second, so the run takes about four seconds
and prints something like:

    thread=0 task=0 started
    thread=1 task=0 started
    thread=0 task=1 started
    thread=1 task=1 started
    thread=0 task=0 stopped
    thread=1 task=0 stopped
    thread=0 task=1 stopped
    thread=1 task=1 stopped

With `anyio.Lock` instead the program hangs: a release in one event loop
does not wake a waiter of the other, so two of the four tasks never finish.
`threading.Lock` (in a plain `with`) deadlocks both threads: a waiting task
blocks its whole event loop, including the task that holds the lock.

Run it with ``uv run python examples/seed_example.py`` (anyio comes with the
``test`` dependency group that ``scripts/dev.py`` installs).
"""

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


for i in range(2):
    Thread(target=anyio.run, args=[main, i]).start()
