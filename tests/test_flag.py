"""Flag: set once by the first to come, read from anywhere."""

from __future__ import annotations

import copy
import gc
import pickle
import threading
import warnings
import weakref

import pytest

import aiologic
from aiologic import Flag
from aiologic.statistics import FlagStatistics
from worlds import run_in_threads


def test_set_get_clear():
    flag = Flag()
    assert not flag and flag.statistics() == FlagStatistics(False)
    assert flag.set("a") is True
    assert flag and flag.get() == "a" and flag.statistics() == FlagStatistics(True)
    assert flag.set("b") is False  # first wins
    assert flag.get() == "a"
    flag.clear()
    assert not flag
    flag.clear()  # unset: nothing
    assert flag.set(marker="c") is True and flag.get() == "c"


def test_initial_marker_any_object():
    for marker in (None, 0, "", "x", object()):
        flag = Flag(marker)
        assert flag and flag.get() is marker and flag.set(1) is False
    assert Flag(marker=None).get() is None


def test_default_marker_is_one_object():
    first, second = Flag(), Flag()
    assert first.set() and second.set()
    assert first.get() is second.get()
    assert pickle.loads(pickle.dumps(first.get())) is first.get()


def test_get_defaults():
    flag = Flag()
    with pytest.raises(LookupError) as info:
        flag.get()
    assert info.value.args == (repr(flag),)
    assert flag.get(1) == 1 and flag.get(default=None) is None
    assert flag.get(default_factory=list) == []
    assert flag.get(2, default_factory=list) == 2  # default wins
    with pytest.raises(TypeError):
        flag.get(1, list)  # type: ignore[misc]  # default_factory is keyword-only
    calls = []
    flag.set("v")
    assert flag.get(default_factory=lambda: calls.append(1)) == "v" and calls == []


def test_generic_alias():
    flag = Flag[int](3)
    assert type(flag) is Flag and flag.get() == 3
    assert type(Flag[str]()) is Flag


def test_racing_setters_one_wins():
    threads_count, rounds = 8, 50
    start = aiologic.Barrier(threads_count)
    flags = [Flag() for _ in range(rounds)]
    wins = [[] for _ in range(rounds)]

    def racer(me):
        for index in range(rounds):
            start.wait(10)
            if flags[index].set(me):
                wins[index].append(me)

    threads = [threading.Thread(target=racer, args=(me,)) for me in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads)
    for index in range(rounds):
        assert len(wins[index]) == 1 and flags[index].get() == wins[index][0]


def test_in_every_world(world):
    async def setter(w, flag, me):
        await w.sleep(0)
        return flag.set(me)

    async def body(w):
        flag = Flag()
        handles = [await w.spawn(setter, flag, me) for me in range(5)]
        results = [await handle.join() for handle in handles]
        assert results.count(True) == 1
        assert flag.get() == results.index(True)

    world.run(body)


def test_across_worlds(world_a, world_b):
    flag = Flag()
    start = aiologic.Barrier(2)

    async def racer(w, me):
        await w.wait(start, 10)
        return flag.set(me)

    results = run_in_threads((world_a, racer, "a"), (world_b, racer, "b"))
    assert results.count(True) == 1
    assert flag.get() == ("a" if results[0] else "b")


class MyFlag(Flag):
    __slots__ = ()


def test_pickle_copy_repr_weakref():
    assert repr(Flag()) == "aiologic.Flag()"
    assert repr(Flag("x")) == "aiologic.Flag('x')"
    assert repr(MyFlag(1)) == f"{__name__}.MyFlag(1)"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for cls in (Flag, MyFlag):
            for clone in (pickle.loads(pickle.dumps(cls())), copy.copy(cls())):
                assert type(clone) is cls and not clone
    for cls in (Flag, MyFlag):
        flag = cls([1])
        with pytest.warns(DeprecationWarning):
            clone = pickle.loads(pickle.dumps(flag))
        assert type(clone) is cls and clone.get() == [1]
        with pytest.warns(DeprecationWarning):
            clone = copy.copy(flag)
        assert type(clone) is cls and clone.get() == [1]
        with pytest.warns(DeprecationWarning):
            clone = flag.copy()
        assert type(clone) is cls and clone.get() == [1]
        with pytest.warns(DeprecationWarning):
            assert not cls().copy()
    ref = weakref.ref(flag)
    del flag, clone
    gc.collect()
    assert ref() is None
