"""Uncontended operations detect nothing and create no waiter."""

from __future__ import annotations

import asyncio

import pytest

import aiologic
from aiologic.lowlevel import _events, _libraries, _registry


@pytest.fixture
def counted(monkeypatch):
    counts = {"events": 0, "detections": 0}

    for cls in (_events._GreenEvent, _events._AsyncEvent):
        original = cls.__init__

        def init(self, *args, _original=original, **kwargs):
            counts["events"] += 1
            _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "__init__", init)

    def detection(*args, **kwargs):
        counts["detections"] += 1
        raise AssertionError("full detection on a fast path")

    monkeypatch.setattr(_libraries, "_detect_async", detection)
    monkeypatch.setattr(_libraries, "_detect_green", detection)
    monkeypatch.setattr(_registry, "candidate_libraries", detection)
    return counts


def test_green_fast_paths(counted):
    lock, sem, event = aiologic.Lock(), aiologic.Semaphore(1), aiologic.Event()
    for _ in range(3):
        with lock:
            pass
        with sem:
            pass
        assert lock.green_acquire(blocking=False)
        lock.green_release()
    event.set()
    assert event.wait()
    assert counted == {"events": 0, "detections": 0}


def test_async_fast_paths(counted):
    async def main():
        lock, sem, event = aiologic.Lock(), aiologic.Semaphore(1), aiologic.Event()
        for _ in range(3):
            async with lock:
                pass
            async with sem:
                pass
        event.set()
        assert await event
        return counted.copy()

    aiologic.backends.get_backend("asyncio")  # loaded as a first use would
    assert asyncio.run(main()) == {"events": 0, "detections": 0}


def test_contended_path_uses_one_event(counted):
    lock = aiologic.Lock()
    lock.green_acquire()
    assert lock.green_acquire.__self__ is lock
    import threading

    thread = threading.Thread(target=lock.green_acquire, kwargs={"timeout": 5})
    thread.start()
    while lock.waiting != 1:
        pass
    lock.green_release()
    thread.join()
    assert counted["events"] == 1
