"""Checked by mypy --strict (python3 scripts/dev.py lint), not run: the
queues are generic, so items keep their type through put and get, and
misuse is a type error. An unused `type: ignore` is an error under
--strict, so each ignore below proves that mypy rejects that line."""

from __future__ import annotations

import aiologic
from aiologic.statistics import QueueStatistics

ints: aiologic.Queue[int] = aiologic.Queue([1, 2])
bounded: aiologic.Queue[str] = aiologic.Queue(5)
by_keyword: aiologic.LifoQueue[str] = aiologic.LifoQueue(["a"], maxsize=3)
alias: aiologic.PriorityQueue[int] = aiologic.PriorityQueue[int]()
simple: aiologic.SimpleQueue[float] = aiologic.SimpleQueue([1.5])
simple_lifo: aiologic.SimpleLifoQueue[bytes] = aiologic.SimpleLifoQueue[bytes]()

first: int = ints.green_get()
top: bytes = simple_lifo.green_get(blocking=False)
size: int = bounded.maxsize + len(simple) + simple.getting + bounded.putting + bounded.waiting
stats: QueueStatistics = by_keyword.statistics()
simple.put(2.5)
ints.green_put(3, timeout=1)


async def use() -> None:
    item: int = await alias.async_get(timeout=0.5)
    await alias.async_put(item + 1, blocking=False)
    await simple.async_put(1.0)


wrong: str = ints.green_get()  # type: ignore[assignment]
ints.green_put("x")  # type: ignore[arg-type]
simple.put(b"x")  # type: ignore[arg-type]
ints.put(1)  # type: ignore[attr-defined]
aiologic.SimpleQueue([1], maxsize=3)  # type: ignore[call-arg]
aiologic.Queue([1], maxsize="3")  # type: ignore[call-overload]
ints.green_get(False)  # type: ignore[call-arg]
