"""`task_done()`/`join()` (janus, culsans, queue.Queue) have no counterpart
on aiologic's queues; a CountdownEvent counts the unfinished items instead."""

import asyncio
import threading

import aiologic

queue: aiologic.Queue[str] = aiologic.Queue()
unfinished = aiologic.CountdownEvent()  # value 0: "all done"
processed = []


def put(item: str) -> None:
    unfinished.up()  # before the put, so a join never sees 0 too early
    queue.green_put(item)


def worker() -> None:
    while True:
        item = queue.green_get()
        processed.append(item.upper())
        unfinished.down()  # q.task_done()


threading.Thread(target=worker, daemon=True).start()
for word in ["a", "b", "c"]:
    put(word)


async def main() -> None:
    assert await unfinished.with_(timeout=5)  # await q.async_q.join()


asyncio.run(main())
assert unfinished.wait(5)  # q.sync_q.join(), from a thread
assert processed == ["A", "B", "C"]
print("join with CountdownEvent: ok")
