# aiologic.lowlevel: shielding, once, and a signal handler that sets an event
# an asyncio task in another thread waits for.
import asyncio
import os
import signal
import threading

import aiologic
from aiologic.lowlevel import enable_signal_safety, once, shield

# [shield]
closed = []


async def close_connection():
    await asyncio.sleep(0.05)
    closed.append(True)


async def task_that_gets_cancelled():
    await shield(close_connection())  # runs to completion even if cancelled


async def main():
    task = asyncio.create_task(task_that_gets_cancelled())
    await asyncio.sleep(0.01)
    task.cancel()  # the cancellation is raised once the close has finished
    try:
        await task
    except asyncio.CancelledError:
        pass
    assert closed == [True]


asyncio.run(main())
# [/shield]

# [once]
calls = []


@once
def config():
    calls.append(1)  # the first caller runs it; the others wait for it
    return {"debug": False}


threads = [threading.Thread(target=config) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
assert config() == {"debug": False} and calls == [1]
# [/once]

# [signals]
event = aiologic.Event()


@enable_signal_safety
def on_usr1(signum, frame):
    event.set()  # wakes the asyncio task of the other thread


async def waiter(result):
    result.append(await event.with_(timeout=10))


if hasattr(signal, "SIGUSR1"):
    signal.signal(signal.SIGUSR1, on_usr1)
    result = []
    thread = threading.Thread(target=asyncio.run, args=[waiter(result)])
    thread.start()
    while not event.waiting:
        threading.Event().wait(0.01)
    os.kill(os.getpid(), signal.SIGUSR1)  # the handler runs in the main thread
    thread.join()
    assert result == [True]
# [/signals]
print("shielded close finished, config ran once, the signal set the event")
