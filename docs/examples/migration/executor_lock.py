"""One lock shared by threads and asyncio tasks.

Before: a `threading.Lock` taken by the task through `run_in_executor`
(taking it directly would block the whole event loop). The executor thread
becomes the owner, so the release must go through the executor too
(`threading.Lock` allows that, `threading.RLock` does not), and a cancelled
task leaves an executor thread that may still acquire the lock later, with
no one left to release it. After: an `aiologic.Lock`; threads use `with`,
tasks `async with`, and a cancelled wait leaves the lock as it was.
"""

import asyncio
import threading


def before() -> int:
    lock = threading.Lock()
    counter = [0]

    async def task() -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, lock.acquire)
        try:
            counter[0] += 1
        finally:
            lock.release()

    def thread_body() -> None:
        with lock:
            counter[0] += 1

    async def main() -> None:
        thread = threading.Thread(target=thread_body)
        thread.start()
        await asyncio.gather(*(task() for _ in range(3)))
        thread.join()

    asyncio.run(main())
    return counter[0]


def after() -> int:
    import aiologic

    lock = aiologic.Lock()
    counter = [0]

    async def task() -> None:
        async with lock:
            counter[0] += 1

    def thread_body() -> None:
        with lock:
            counter[0] += 1

    async def cancelled_wait() -> None:
        with lock:  # held by this thread: the task below has to wait
            waiter = asyncio.ensure_future(lock.async_acquire())
            await asyncio.sleep(0.01)
            waiter.cancel()
            try:
                await waiter
            except asyncio.CancelledError:
                pass
        assert not lock.locked()  # the cancelled waiter got nothing

    async def main() -> None:
        thread = threading.Thread(target=thread_body)
        thread.start()
        await asyncio.gather(*(task() for _ in range(3)))
        thread.join()
        await cancelled_wait()

    asyncio.run(main())
    return counter[0]


assert before() == after() == 4
print("executor lock: ok")
