"""Handing items from a thread to an asyncio task.

Before: an `asyncio.Queue`, which is not thread-safe, so the thread must go
through `loop.call_soon_threadsafe` and needs a reference to the loop; a
bounded queue cannot make the thread wait (`put_nowait` raises QueueFull
from inside the loop), and the loop must be running. After: an
`aiologic.Queue`; the thread calls `green_put` (which waits while the queue
is full), the task awaits `async_get`.
"""

import asyncio
import threading


def before() -> list:
    async def main() -> list:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()

        def producer() -> None:
            for i in range(5):
                loop.call_soon_threadsafe(queue.put_nowait, i)
            loop.call_soon_threadsafe(queue.put_nowait, None)

        thread = threading.Thread(target=producer)
        thread.start()
        items = []
        while (item := await queue.get()) is not None:
            items.append(item)
        thread.join()
        return items

    return asyncio.run(main())


def after() -> list:
    import aiologic

    queue: aiologic.Queue = aiologic.Queue(maxsize=2)  # bounded: the producer waits

    def producer() -> None:
        for i in range(5):
            queue.green_put(i)
        queue.green_put(None)

    async def main() -> list:
        thread = threading.Thread(target=producer)
        thread.start()  # the loop need not exist yet for the thread to start
        items = []
        while (item := await queue.async_get()) is not None:
            items.append(item)
        thread.join()
        return items

    return asyncio.run(main())


assert before() == after() == [0, 1, 2, 3, 4]
print("call_soon_threadsafe: ok")
