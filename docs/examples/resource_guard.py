# A ResourceGuard: a second user of the resource fails at once, in any world.
import asyncio
import threading

from aiologic import BusyResourceError, ResourceGuard

guard = ResourceGuard(action="writing")
in_use = threading.Event()
done = threading.Event()


def writer():
    with guard:  # marks the resource as in use; never waits
        in_use.set()
        done.wait(10)


async def second_writer():
    try:
        with guard:  # a plain `with`, also in a coroutine
            raise AssertionError("not reached: the thread is writing")
    except BusyResourceError as exc:
        return str(exc)


thread = threading.Thread(target=writer)
thread.start()
in_use.wait(10)
message = asyncio.run(second_writer())
done.set()
thread.join()
print(message)
with guard:  # free again
    pass
