"""Thread locks, `once`, and the lazy queues of aiologic.lowlevel."""

from __future__ import annotations

import copy
import pickle
import threading
import time
import weakref
from collections import deque
from collections.abc import MutableSequence

import pytest

from aiologic.lowlevel import (
    THREAD_DUMMY_LOCK,
    ThreadDummyLock,
    ThreadLock,
    ThreadOnceLock,
    ThreadRLock,
    create_thread_lock,
    create_thread_oncelock,
    create_thread_rlock,
    lazydeque,
    lazyqueue,
    once,
)


def run_threads(count, target):
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads)


# -- native locks ------------------------------------------------------------------


def test_thread_lock_and_rlock():
    lock = create_thread_lock()
    assert isinstance(lock, ThreadLock) and type(lock) is type(threading.Lock())
    assert lock.acquire() and not lock.acquire(timeout=0.01) and lock.locked()
    lock.release()
    rlock = create_thread_rlock()
    assert isinstance(rlock, ThreadRLock)
    with rlock:
        assert rlock.acquire(blocking=False)  # reentrant
        rlock.release()


# -- ThreadOnceLock --------------------------------------------------------------------------


def test_once_lock_becomes_a_noop_after_its_last_release():
    lock = create_thread_oncelock()
    assert isinstance(lock, ThreadOnceLock)
    assert repr(lock).startswith("<unlocked aiologic.lowlevel.ThreadOnceLock object owner=None count=0 at 0x")
    with pytest.raises(RuntimeError):
        lock.release()  # never acquired
    assert lock.acquire() and lock.acquire()  # reentrant
    assert repr(lock).startswith(f"<locked aiologic.lowlevel.ThreadOnceLock object owner={threading.get_ident()} count=2")
    assert lock.locked()
    lock.release()
    assert lock.locked()
    lock.release()  # the last one
    assert not lock.locked()
    assert lock.acquire() and lock.acquire(blocking=False)
    lock.release()
    lock.release()
    lock.release()  # no-ops for good
    with lock as bound:
        assert bound is True


def test_once_lock_wakes_every_blocked_thread():
    lock = create_thread_oncelock()
    lock.acquire()
    entered = []

    def contender():
        assert lock.acquire(timeout=10)
        entered.append(time.monotonic())
        lock.release()

    threads = [threading.Thread(target=contender) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(0.05)
    assert entered == []  # all blocked
    released = time.monotonic()
    lock.release()
    for thread in threads:
        thread.join(10)
    assert len(entered) == 8 and all(when >= released for when in entered)


def test_once_lock_timeout_and_other_thread():
    lock = create_thread_oncelock()
    lock.acquire()
    results = []

    def other():
        results.append(lock.acquire(timeout=0.02))
        results.append(lock.acquire(blocking=False))
        with pytest.raises(RuntimeError):
            lock.release()  # not the owner

    run_threads(1, other)
    assert results == [False, False]
    lock.release()


def test_dummy_lock():
    assert ThreadDummyLock() is THREAD_DUMMY_LOCK
    assert copy.copy(THREAD_DUMMY_LOCK) is THREAD_DUMMY_LOCK
    assert copy.deepcopy(THREAD_DUMMY_LOCK) is THREAD_DUMMY_LOCK
    assert pickle.loads(pickle.dumps(THREAD_DUMMY_LOCK)) is THREAD_DUMMY_LOCK
    assert THREAD_DUMMY_LOCK.acquire() and THREAD_DUMMY_LOCK.acquire(False, -1)
    THREAD_DUMMY_LOCK.release()
    assert not THREAD_DUMMY_LOCK.locked()
    with THREAD_DUMMY_LOCK as bound:
        assert bound is True
    assert repr(THREAD_DUMMY_LOCK) == "aiologic.lowlevel.THREAD_DUMMY_LOCK"
    assert weakref.ref(THREAD_DUMMY_LOCK)() is THREAD_DUMMY_LOCK
    assert weakref.ref(create_thread_oncelock()) is not None


@pytest.mark.parametrize("cls", [ThreadOnceLock, ThreadDummyLock])
def test_final_classes(cls):
    with pytest.raises(TypeError):

        class Sub(cls):
            pass


# -- once ------------------------------------------------------------------------------


def test_once_runs_exactly_once_under_racing_threads():
    calls = []
    barrier = threading.Barrier(8)

    @once
    def compute():
        calls.append(threading.get_ident())
        time.sleep(0.05)  # the others arrive meanwhile and block
        return object()

    results = []

    def racer():
        barrier.wait(10)
        results.append(compute())

    run_threads(8, racer)
    assert len(calls) == 1
    assert len(results) == 8 and all(result is results[0] for result in results)
    assert compute() is results[0] and len(calls) == 1
    assert compute.__name__ == "compute"


def test_once_retries_after_an_exception():
    attempts = []

    @once
    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("first")
        return "ok"

    with pytest.raises(ValueError):
        flaky()
    assert flaky() == "ok" and flaky() == "ok"
    assert len(attempts) == 2


def test_once_recursion():
    @once
    def recursive():
        return recursive()

    with pytest.raises(RuntimeError):
        recursive()

    depth = []

    @once(reentrant=True)
    def reentrant():
        depth.append(1)
        if len(depth) < 3:
            return ("inner", reentrant())
        return "bottom"

    assert reentrant() == ("inner", ("inner", "bottom"))
    assert reentrant() == ("inner", ("inner", "bottom")) and len(depth) == 3


def test_once_failure_releases_blocked_threads_to_retry():
    calls = []
    gate = threading.Event()

    @once
    def compute():
        calls.append(1)
        if len(calls) == 1:
            gate.wait(10)
            raise KeyError("first run fails")
        return len(calls)

    errors, results = [], []

    def first():
        try:
            compute()
        except KeyError as exc:
            errors.append(exc)

    def second():
        results.append(compute())

    one = threading.Thread(target=first)
    one.start()
    while not calls:
        time.sleep(0.001)
    two = threading.Thread(target=second)
    two.start()
    time.sleep(0.02)
    gate.set()
    one.join(10)
    two.join(10)
    assert len(errors) == 1 and results == [2]


# -- lazydeque -----------------------------------------------------------------------------


def test_lazydeque_allocates_on_first_insertion():
    d = lazydeque()
    assert isinstance(d, MutableSequence)
    assert d._box == [] and len(d) == 0 and not d and list(d) == []
    with pytest.raises(IndexError):
        d.pop()
    with pytest.raises(IndexError):
        d.popleft()
    d.clear()
    assert d._box == []  # reading and clearing allocate nothing
    d.append(1)
    assert len(d._box) == 1 and d


def test_lazydeque_matches_deque():
    d, ref = lazydeque([1, 2, 3]), deque([1, 2, 3])
    for op in (
        lambda x: x.append(4),
        lambda x: x.appendleft(0),
        lambda x: x.extend([5, 6]),
        lambda x: x.extendleft([-1, -2]),
        lambda x: x.insert(2, 99),
        lambda x: x.rotate(2),
        lambda x: x.reverse(),
        lambda x: x.remove(99),
        lambda x: x.__setitem__(0, "first"),
        lambda x: x.__delitem__(1),
    ):
        op(d)
        op(ref)
        assert list(d) == list(ref)
    assert d.pop() == ref.pop() and d.popleft() == ref.popleft()
    item = ref[1]
    assert d.index(item) == ref.index(item) and d.count(item) == ref.count(item)
    assert (item in d) and list(reversed(d)) == list(reversed(ref)) and d[0] == ref[0] and d[-1] == ref[-1]
    assert d == ref and d == lazydeque(ref) and not (d != ref)
    assert lazydeque([1]) < lazydeque([2]) <= deque([2]) and lazydeque([3]) > deque([2])
    assert list(d + lazydeque([7])) == list(ref + deque([7]))
    assert list(d * 2) == list(ref * 2)
    d += [8]
    ref += [8]
    d *= 2
    ref *= 2
    assert list(d) == list(ref)
    copied = d.copy()
    assert copied == d and copied is not d
    d.clear()
    assert len(d) == 0


def test_lazydeque_maxlen_repr_pickle_hash():
    d = lazydeque([1, 2, 3, 4, 5, 6], maxlen=5)
    assert d.maxlen == 5 and list(d) == [2, 3, 4, 5, 6]
    assert repr(lazydeque([1, 2], maxlen=5)) == "lazydeque([1, 2], maxlen=5)"
    assert repr(lazydeque()) == "lazydeque([])"
    clone = pickle.loads(pickle.dumps(d))
    assert type(clone) is lazydeque and clone == d and clone.maxlen == 5
    assert copy.copy(d) == d and copy.deepcopy(d) == d
    with pytest.raises(TypeError):
        hash(d)
    with pytest.raises(ValueError):
        lazydeque(maxlen=-1)
    weakref.ref(d)


def test_lazydeque_racing_first_insertions_lose_nothing():
    for _ in range(20):
        d = lazydeque()
        barrier = threading.Barrier(4)

        def fill():
            barrier.wait(10)
            for i in range(100):
                d.append(i)

        run_threads(4, fill)
        assert len(d) == 400


# -- lazyqueue ------------------------------------------------------------------------------


def test_lazyqueue():
    q = lazyqueue()
    assert q._box == [] and len(q) == 0 and not q
    with pytest.raises(IndexError):
        q.get()
    q.put(1)
    q.put(2)
    assert len(q) == 2 and q and q.get() == 1 and q.get() == 2
    with pytest.raises(IndexError):
        q.get()
    with pytest.raises(TypeError):
        pickle.dumps(q)
    assert lazyqueue[int] is not None  # generic


# -- under pressure --------------------------------------------------------------------


@pytest.fixture
def pressure():
    """Switch threads as often as the interpreter allows, to provoke races."""
    import sys

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


@pytest.mark.stress
def test_once_and_lazy_allocation_under_pressure(pressure):
    import random

    rng = random.Random(19)
    for _ in range(100):
        calls = []
        barrier = threading.Barrier(8)

        @once
        def compute():
            calls.append(1)
            if rng.random() < 0.5:
                time.sleep(0)
            return len(calls)

        d = lazydeque()
        q = lazyqueue()
        results = []

        def racer():
            barrier.wait(10)
            results.append(compute())
            for i in range(20):
                d.append(i)
                q.put(i)

        run_threads(8, racer)
        assert calls == [1] and results == [1] * 8
        assert len(d) == 160 and len(q) == 160
        assert len(d._box) >= 1 and sum(len(box) for box in d._box[1:]) == 0  # a lost deque holds nothing
