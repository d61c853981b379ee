# A Condition: a thread waits for a state that an asyncio task produces.
import asyncio
import threading

from aiologic import Condition

condition = Condition()  # over a new RLock
items = []


def consumer(got):
    with condition:
        # releases the lock while it waits; holds it again when it returns
        got.append(condition.wait_for(lambda: len(items) >= 3, timeout=10))


async def producer():
    for i in range(3):
        async with condition:
            items.append(i)
            condition.notify()
        await asyncio.sleep(0.01)


got = []
thread = threading.Thread(target=consumer, args=[got])
thread.start()
asyncio.run(producer())
thread.join()
print("predicate became", got[0])
assert got == [True]
