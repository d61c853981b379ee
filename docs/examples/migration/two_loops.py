"""One queue, two event loops in two threads, and a plain thread: what a
janus queue (bound to one event loop) cannot do. A trio loop could take the
place of either asyncio loop."""

import asyncio
import threading

import aiologic

requests: aiologic.Queue[int] = aiologic.Queue()
results: aiologic.SimpleQueue[tuple] = aiologic.SimpleQueue()


async def worker(name: str) -> None:
    while True:
        item = await requests.async_get()
        if item < 0:
            return
        results.put((name, item * item))  # put() on a simple queue never waits


threads = [threading.Thread(target=asyncio.run, args=[worker(f"loop{i}")]) for i in range(2)]
for thread in threads:
    thread.start()
for i in range(10):
    requests.green_put(i)  # this plain thread feeds both loops
for _ in threads:
    requests.green_put(-1)
for thread in threads:
    thread.join(5)
    assert not thread.is_alive()

squares = sorted(results.green_get(timeout=1)[1] for _ in range(10))
assert squares == [i * i for i in range(10)]
print("two event loops, one queue: ok")
