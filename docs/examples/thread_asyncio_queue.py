# A plain thread produces, an asyncio task consumes: one bounded queue.
import asyncio
import threading

from aiologic import Queue

queue = Queue(maxsize=2)  # the producer waits while two items are queued


def producer():
    for i in range(5):
        queue.green_put(i)  # blocks this thread (not the event loop) while full
    queue.green_put(None)  # no more items


async def consumer():
    received = []
    while (item := await queue.async_get()) is not None:
        received.append(item)
    return received


thread = threading.Thread(target=producer)
thread.start()
received = asyncio.run(consumer())
thread.join()
print(received)
assert received == [0, 1, 2, 3, 4]
