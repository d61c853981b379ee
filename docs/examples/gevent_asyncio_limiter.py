# requires: gevent
# Greenlets of gevent's hub in the main thread and asyncio tasks in another
# thread share one capacity limiter: at most two of them work at once.
import asyncio
import threading

import gevent

from aiologic import CapacityLimiter

limiter = CapacityLimiter(2)
busy = []  # who holds a token right now
peak = 0


def work(name):
    global peak
    busy.append(name)
    peak = max(peak, len(busy))
    return name


def green_worker(i):
    with limiter:  # a greenlet waits without blocking gevent's hub
        work(f"greenlet {i}")
        gevent.sleep(0.05)
        busy.remove(f"greenlet {i}")


async def async_worker(i):
    async with limiter:  # a task waits without blocking its event loop
        work(f"task {i}")
        await asyncio.sleep(0.05)
        busy.remove(f"task {i}")


async def async_main():
    await asyncio.gather(*(async_worker(i) for i in range(4)))


thread = threading.Thread(target=asyncio.run, args=[async_main()])
thread.start()
gevent.joinall([gevent.spawn(green_worker, i) for i in range(4)])
thread.join()
print(f"at most {peak} at once")
assert peak <= 2 and limiter.available_tokens == 2
