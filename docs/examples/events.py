# An Event set by a plain thread wakes an asyncio task and a trio task, each
# in an event loop of its own thread; then a Barrier lines up a thread and
# an asyncio task.
import asyncio
import threading
import time

import trio

from aiologic import Barrier, Event

event = Event()
woken = []


async def asyncio_waiter():
    woken.append(("asyncio", await event.with_(timeout=10)))


async def trio_waiter():
    woken.append(("trio", await event))  # `await event` waits without a timeout


threads = [
    threading.Thread(target=asyncio.run, args=[asyncio_waiter()]),
    threading.Thread(target=trio.run, args=[trio_waiter]),
]
for thread in threads:
    thread.start()
while event.waiting < 2:  # both are parked now
    time.sleep(0.01)
event.set()  # a plain method: never waits, callable from anywhere
for thread in threads:
    thread.join()
assert sorted(woken) == [("asyncio", True), ("trio", True)]

barrier = Barrier(2)
indices = []


def thread_party():
    with barrier as index:  # `with barrier as index` waits, binds the index
        indices.append(index)


async def async_party():
    indices.append(await barrier.with_(timeout=10))


thread = threading.Thread(target=thread_party)
thread.start()
asyncio.run(async_party())
thread.join()
print("woken:", sorted(woken), "barrier indices:", sorted(indices))
assert sorted(indices) == [0, 1]
