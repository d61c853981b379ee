"""ResourceGuard: one use at a time, a second use is an error."""

from __future__ import annotations

import copy
import gc
import pickle
import threading
import time
import weakref

import pytest

import aiologic
from aiologic import BusyResourceError, ResourceGuard
from aiologic.statistics import ResourceGuardStatistics
from worlds import run_in_threads


async def wait_until(w, predicate, seconds=10):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await w.sleep(0.001)


def test_construction():
    assert BusyResourceError.__bases__ == (RuntimeError,)
    assert ResourceGuard().action == "using"
    assert ResourceGuard(action="reading").action == "reading"
    assert ResourceGuard(aiologic.meta.DEFAULT, "writing").action == "writing"  # upstream's form
    with pytest.raises(ValueError, match="the first argument should not have been passed"):
        ResourceGuard("reading")
    with pytest.raises(TypeError, match="action"):
        ResourceGuard(action=1)  # type: ignore[arg-type]
    guard = ResourceGuard()
    with pytest.raises(AttributeError):
        guard.action = "x"  # type: ignore[misc]
    assert not hasattr(guard, "__aenter__")


def test_busy_and_not_reentrant():
    guard = ResourceGuard(action="reading")
    assert not guard and guard.statistics() == ResourceGuardStatistics(False)
    with guard as bound:
        assert bound is guard and guard and guard.statistics() == ResourceGuardStatistics(True)
        with pytest.raises(BusyResourceError) as info:
            with guard:
                pass  # pragma: no cover
        assert "another task is already reading this resource" in str(info.value)
        assert guard  # the outer use stays in force
    assert not guard
    guard.__exit__(None, None, None)  # not in use: nothing
    assert not guard
    with guard:
        pass
    with pytest.raises(KeyError):
        with guard:
            raise KeyError("x")
    assert not guard  # freed by an exit through an exception


def test_in_every_world(world):
    async def user(w, guard, inside, leave):
        with guard:
            inside.set()
            assert await w.wait(leave, 10)

    async def body(w):
        guard = ResourceGuard(action="writing")
        inside, leave = aiologic.Event(), aiologic.Event()
        handle = await w.spawn(user, guard, inside, leave)
        assert await w.wait(inside, 10)
        with pytest.raises(BusyResourceError, match="another task is already writing this resource"):
            with guard:
                pass  # pragma: no cover
        leave.set()
        await handle.join()
        assert not guard
        with guard:
            assert guard

    world.run(body)


def test_across_worlds(world_a, world_b):
    guard = ResourceGuard()
    inside, leave = aiologic.Event(), aiologic.Event()

    async def holder(w):
        with guard:
            inside.set()
            assert await w.wait(leave, 10)

    async def intruder(w):
        assert await w.wait(inside, 10)
        try:
            with guard:
                return "entered"  # pragma: no cover
        except BusyResourceError as exc:
            return str(exc)
        finally:
            leave.set()

    _, message = run_in_threads((world_a, holder), (world_b, intruder))
    assert message == "another task is already using this resource"
    assert not guard


def test_racing_users_one_enters():
    threads_count, rounds = 8, 50
    guard = ResourceGuard()
    start = aiologic.Barrier(threads_count)
    entered = [0] * rounds
    done = aiologic.Barrier(threads_count)

    def racer():
        for index in range(rounds):
            start.wait(10)
            try:
                with guard:
                    entered[index] += 1
                    done.wait(10)  # hold it until every racer has tried
                    continue
            except BusyResourceError:
                pass
            done.wait(10)

    threads = [threading.Thread(target=racer) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads)
    assert entered == [1] * rounds and not guard


class MyGuard(ResourceGuard):
    __slots__ = ()


def test_pickle_copy_repr_weakref():
    guard = ResourceGuard(action="reading")
    assert repr(guard) == f"<aiologic.ResourceGuard('reading') at {id(guard):#x} [unlocked]>"
    with guard:
        assert repr(guard) == f"<aiologic.ResourceGuard('reading') at {id(guard):#x} [locked]>"
        for clone in (pickle.loads(pickle.dumps(guard)), copy.copy(guard)):
            assert type(clone) is ResourceGuard and clone.action == "reading" and not clone
    mine = MyGuard(action="x")
    assert repr(mine).startswith(f"<{__name__}.MyGuard('x') at ")
    for clone in (pickle.loads(pickle.dumps(mine)), copy.copy(mine)):
        assert type(clone) is MyGuard and clone.action == "x"
    error = pickle.loads(pickle.dumps(BusyResourceError("m")))
    assert type(error) is BusyResourceError and error.args == ("m",)
    assert BusyResourceError.__module__ == "aiologic" and ResourceGuard.__module__ == "aiologic"
    ref = weakref.ref(guard)
    del guard
    gc.collect()
    assert ref() is None
