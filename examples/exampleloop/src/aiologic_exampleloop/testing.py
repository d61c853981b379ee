"""The exampleloop world for aiologic's test harness (``aiologic-testing``).

Registered in the entry-point group ``aiologic_testing.worlds`` as
``exampleloop``: with ``aiologic-testing`` installed (the ``testing`` extra),
every world-parametrized test of aiologic's suite runs in an exampleloop task
too, and every cross-world pair includes exampleloop.
"""

from __future__ import annotations

from typing import Any, Optional

import exampleloop
from aiologic_testing.worlds import Body, Handle, World

__all__ = ("ExampleloopWorld",)


class _Handle(Handle):
    def __init__(self, task: exampleloop.Task) -> None:
        self.task = task

    async def join(self) -> Any:
        return await self.task.join()

    def cancel(self) -> None:
        self.task.cancel()


class _CancelAfter:
    """Cancels the task that enters it after `seconds`; swallows that
    cancellation (and only that one) on the way out."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.cancelled = False
        self._task: Optional[exampleloop.Task] = None
        self._timer: Optional[exampleloop.TimerHandle] = None

    async def __aenter__(self) -> "_CancelAfter":
        task, loop = exampleloop.current_task(), exampleloop.current_loop()
        assert task is not None and loop is not None
        self._task = task

        def fire() -> None:
            self.cancelled = True
            task.cancel()

        self._timer = loop.call_later(self.seconds, fire)
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        assert self._timer is not None and self._task is not None
        self._timer.cancel()
        if not self.cancelled:
            return False
        if exc_type is exampleloop.Cancelled:
            return True
        self._task.uncancel()  # fired, but the block ended before it was delivered
        return False


class ExampleloopWorld(World):
    name = "exampleloop"
    library = "exampleloop"
    requires = ("exampleloop", "aiologic_exampleloop")
    features = frozenset({"exampleloop"})

    def run(self, body: Body, *args: Any) -> Any:
        return exampleloop.run(body, self, *args)

    async def sleep(self, seconds: float) -> None:
        await exampleloop.sleep(seconds)

    async def spawn(self, body: Body, *args: Any) -> Handle:
        return _Handle(exampleloop.spawn(body, self, *args))

    def cancel_after(self, seconds: float) -> Any:
        return _CancelAfter(seconds)

    def cancelled_exception(self) -> Any:
        return exampleloop.Cancelled
