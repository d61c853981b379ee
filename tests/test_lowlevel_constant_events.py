"""SET_EVENT, DUMMY_EVENT, CANCELLED_EVENT and locking low-level events."""

from __future__ import annotations

import copy
import pickle
import threading
import weakref

import pytest

from aiologic.lowlevel import (
    CANCELLED_EVENT,
    DUMMY_EVENT,
    SET_EVENT,
    AsyncEvent,
    CancelledEvent,
    DummyEvent,
    GreenEvent,
    SetEvent,
    ThreadOnceLock,
    create_async_event,
    create_green_event,
)

CONSTANTS = [(SET_EVENT, SetEvent, True), (DUMMY_EVENT, DummyEvent, True), (CANCELLED_EVENT, CancelledEvent, False)]


@pytest.mark.parametrize(("event", "cls", "state"), CONSTANTS)
def test_constant_events(event, cls, state):
    assert type(event) is cls and cls() is event
    assert isinstance(event, GreenEvent) and isinstance(event, AsyncEvent)
    assert bool(event) is state and event.is_set() is state and event.cancelled() is (not state)
    assert event.set() is False and event.is_set() is state
    assert event.wait() is state and event.wait(0) is state and event.wait(10) is state
    assert event.shield is False and event.force is False
    with pytest.raises(AttributeError):
        event.shield = True
    with pytest.raises(AttributeError):
        event.force = True
    assert copy.copy(event) is event and copy.deepcopy(event) is event
    assert pickle.loads(pickle.dumps(event)) is event
    assert weakref.ref(event)() is event
    with pytest.raises(TypeError):

        class Sub(cls):
            pass

    with pytest.raises(ValueError):
        event.wait(-1)


def test_constant_reprs_and_distinct():
    assert repr(SET_EVENT) == "aiologic.lowlevel.SET_EVENT"
    assert repr(DUMMY_EVENT) == "aiologic.lowlevel.DUMMY_EVENT"
    assert repr(CANCELLED_EVENT) == "aiologic.lowlevel.CANCELLED_EVENT"
    assert DUMMY_EVENT is not SET_EVENT


def test_constant_events_in_every_world(world):
    async def body(w):
        for event, _, state in CONSTANTS:
            if w.is_async:
                assert await event is state
                assert await event.with_(1) is state
            else:
                assert event.wait(1) is state

    world.run(body)


def test_abstract_event_classes_cannot_be_instantiated():
    for cls in (GreenEvent, AsyncEvent):
        with pytest.raises(TypeError):
            cls()


@pytest.mark.parametrize("create", [create_green_event, create_async_event])
def test_locking_event_carries_a_once_lock(create):
    event = create(locking=True)
    assert not event.is_set()
    assert ThreadOnceLock.acquire(event) and ThreadOnceLock.acquire(event)  # reentrant
    assert ThreadOnceLock.locked(event)
    got = []
    other = threading.Thread(target=lambda: got.append(ThreadOnceLock.acquire(event, timeout=0.01)))
    other.start()
    other.join(10)
    assert got == [False]
    ThreadOnceLock.release(event)
    ThreadOnceLock.release(event)  # the last: a no-op lock from now on
    assert ThreadOnceLock.acquire(event, blocking=False)
    assert event.set() is True  # still an event
    assert create().__class__ is not event.__class__  # plain events carry no lock state
    with pytest.raises(AttributeError):
        create()._once_lock


def test_locking_green_event_wait():
    event = create_green_event(locking=True)
    timer = threading.Timer(0.02, event.set)
    timer.start()
    assert event.wait(10) is True
    timer.join()
