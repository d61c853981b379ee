"""Waiting in asyncio for something a thread does.

Before: a `threading.Event`, waited for in a worker thread of the loop's
executor so the loop stays free. Each wait occupies an executor thread, and
a cancelled or timed-out wait leaves that thread blocked until the event is
set. After: an `aiologic.Event`, awaited directly; `set()` from the thread
wakes the task. No helper thread.
"""

import asyncio
import threading
import time


def before() -> None:
    done = threading.Event()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        threading.Timer(0.05, done.set).start()
        assert await loop.run_in_executor(None, done.wait, 5)
        # a timed-out wait: the coroutine gives up, the executor thread does not
        late = threading.Event()
        try:
            await asyncio.wait_for(loop.run_in_executor(None, late.wait, 0.3), 0.05)
        except asyncio.TimeoutError:
            pass
        assert threading.active_count() > 1  # still blocked in late.wait
        late.set()

    asyncio.run(main())


def after() -> None:
    import aiologic

    done = aiologic.Event()

    async def main() -> None:
        threads = threading.active_count()
        worker = threading.Thread(target=lambda: (time.sleep(0.05), done.set()))
        worker.start()
        assert await done  # or: await done.with_(timeout=5)
        worker.join()
        late = aiologic.Event()
        assert not await late.with_(timeout=0.05)  # a timeout is a plain False
        assert threading.active_count() == threads  # nothing left behind

    asyncio.run(main())


before()
after()
print("executor event: ok")
