# A Semaphore shared by trio tasks and plain threads: at most two inside.
import threading

import trio

from aiologic import Semaphore

semaphore = Semaphore(2)
inside = 0
peak = 0


def enter():
    global inside, peak
    inside += 1
    peak = max(peak, inside)


def leave():
    global inside
    inside -= 1


def thread_worker():
    with semaphore:  # `with semaphore as s` binds the semaphore
        enter()
        threading.Event().wait(0.02)
        leave()


async def trio_worker():
    async with semaphore:
        enter()
        await trio.sleep(0.02)
        leave()


async def trio_main():
    async with trio.open_nursery() as nursery:
        for _ in range(3):
            nursery.start_soon(trio_worker)


threads = [threading.Thread(target=thread_worker) for _ in range(3)]
for thread in threads:
    thread.start()
trio.run(trio_main)
for thread in threads:
    thread.join()
print(f"at most {peak} at once")
assert peak <= 2 and semaphore.value == 2
