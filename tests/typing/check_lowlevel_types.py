"""Type checks of aiologic.lowlevel's annotations (run by mypy --strict)."""

from __future__ import annotations

from typing import Callable, List

from aiologic.lowlevel import (
    CANCELLED_EVENT,
    SET_EVENT,
    GreenEvent,
    ThreadLock,
    ThreadRLock,
    create_green_event,
    create_thread_lock,
    create_thread_rlock,
    lazydeque,
    lazyqueue,
    once,
)


def locks() -> None:
    lock: ThreadLock = create_thread_lock()
    rlock: ThreadRLock = create_thread_rlock()
    if lock.acquire(timeout=1):
        lock.release()
    with rlock:
        pass


@once
def answer() -> int:
    return 42


@once(reentrant=True)
def name() -> str:
    return "x"


def use_once() -> None:
    value: int = answer()
    text: str = name()
    factory: Callable[[], int] = answer
    del value, text, factory


def events() -> None:
    event: GreenEvent = create_green_event(locking=True)
    flags: List[bool] = [event.set(), SET_EVENT.is_set(), CANCELLED_EVENT.cancelled()]
    del flags


def queues() -> None:
    items: lazydeque[int] = lazydeque([1, 2], maxlen=5)
    first: int = items.popleft()
    queue: lazyqueue[str] = lazyqueue()
    queue.put("a")
    text: str = queue.get()
    del first, text
