"""A janus-style producer thread and asyncio consumer, with aiologic.Queue.

janus gives one queue two faces, `q.sync_q` for threads and `q.async_q` for
the asyncio loop it is bound to. An aiologic queue has both faces on itself:
`green_put`/`green_get` for threads (and greenlets), `async_put`/`async_get`
for coroutines of any library, in any thread, on any number of loops.
"""

import asyncio
import threading

import aiologic

queue: aiologic.Queue[int] = aiologic.Queue(maxsize=2)  # janus.Queue(maxsize=2)


def producer() -> None:
    for i in range(5):
        queue.green_put(i)  # q.sync_q.put(i): waits while the queue is full
    queue.green_put(-1)


async def consumer() -> list:
    received = []
    while True:
        item = await queue.async_get()  # await q.async_q.get()
        if item == -1:
            return received
        received.append(item)


async def main() -> list:
    thread = threading.Thread(target=producer)
    thread.start()
    try:
        return await consumer()
    finally:
        thread.join(5)
        # nothing to close: janus needs q.close(); await q.wait_closed()


assert asyncio.run(main()) == [0, 1, 2, 3, 4]

# get_nowait()/put_nowait() -> blocking=False; timeouts on both faces.
try:
    queue.green_get(blocking=False)  # q.sync_q.get_nowait()
except aiologic.QueueEmpty:  # janus: queue.Empty / asyncio.QueueEmpty
    pass
else:
    raise AssertionError("the queue was not empty")


async def timed() -> None:
    try:
        await queue.async_get(timeout=0.05)  # janus: asyncio.wait_for(q.async_q.get(), 0.05)
    except aiologic.QueueEmpty:
        return
    raise AssertionError("the get did not time out")


asyncio.run(timed())

# blocking and timeout are keyword-only: janus's get(False) is not ours
try:
    queue.green_get(False)  # type: ignore[misc]
except TypeError:
    pass
else:
    raise AssertionError("a positional blocking argument was accepted")

# qsize()/empty()/full() -> len(q), not q, len(q) >= q.maxsize
queue.green_put(7)
assert len(queue) == 1 and bool(queue) and queue.maxsize == 2
print("janus-style queue: ok")
