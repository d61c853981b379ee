"""Latch, Barrier and RBarrier in every world and across worlds."""

from __future__ import annotations

import copy
import gc
import pickle
import platform
import random
import sys
import threading
import time
import weakref

import pytest

import aiologic
from aiologic import Barrier, BrokenBarrierError, Latch, RBarrier
from aiologic.statistics import BarrierStatistics
from worlds import available_worlds, make_world, run_in_threads


ALL = [Latch, Barrier, RBarrier]


async def wait_until(w, predicate, seconds=10):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await w.sleep(0.001)


async def party(w, barrier, timeout=10):
    """One waiting party: its result, or the exception it raised."""
    try:
        return await w.wait(barrier, timeout)
    except BrokenBarrierError as exc:
        return exc


async def spawn_parties(w, barrier, count, already=0):
    """Spawn `count` parties one after another, each waiting before the next
    starts, so that arrival order is spawn order."""
    handles = []
    for i in range(count):
        handles.append(await w.spawn(party, barrier))
        await wait_until(w, lambda: barrier.waiting == already + i + 1)
    return handles


def test_hierarchy_and_construction():
    assert RBarrier.__bases__ == (Barrier,)
    assert Latch.__bases__ == (object,) and Barrier.__bases__ == (object,)
    assert BrokenBarrierError.__bases__ == (RuntimeError,)
    for cls in ALL:
        assert cls().parties == 0 and cls(3).parties == 3 and cls(parties=2).parties == 2
        assert cls(True).parties == 1
        with pytest.raises(ValueError, match="parties"):
            cls(-1)
        for bad in (1.0, "2", None):
            with pytest.raises(TypeError, match="parties"):
                cls(bad)
    assert not hasattr(Latch, "__enter__") and not hasattr(Latch, "__aenter__")
    assert not hasattr(Latch, "reset") and not hasattr(Barrier, "reset")
    assert not hasattr(Barrier, "__bool__")


@pytest.mark.parametrize("cls", ALL)
def test_one_party_passes_at_once(cls, world):
    async def body(w):
        barrier = cls(1)
        expected = None if cls is Latch else 0
        for _ in range(2):
            assert await w.wait(barrier) == expected
            assert await w.wait(barrier, 0) == expected
        assert not barrier.broken

    world.run(body)


@pytest.mark.parametrize("cls", [Barrier, RBarrier])
def test_indices_in_arrival_order_every_phase(cls, world):
    async def body(w):
        barrier = cls(3)
        for _ in range(3):
            handles = await spawn_parties(w, barrier, 2)
            assert await w.wait(barrier, 10) == 2  # the completer
            assert [await handle.join() for handle in handles] == [0, 1]
            assert barrier.waiting == 0 and not barrier.broken

    world.run(body)


def test_latch_passes_once(world):
    async def body(w):
        latch = Latch(3)
        assert not latch
        handles = await spawn_parties(w, latch, 2)
        assert latch.waiting == 2 and not latch
        assert await w.wait(latch, 10) is None
        assert [await handle.join() for handle in handles] == [None, None]
        assert latch and not latch.broken and latch.waiting == 0
        assert repr(latch).endswith("[draining]>")
        assert await w.wait(latch) is None  # later waits return at once
        assert await w.wait(latch, 0) is None
        latch.abort()  # breaks even a latch that passed
        assert latch.broken and latch
        with pytest.raises(BrokenBarrierError):
            await w.wait(latch)

    world.run(body)


@pytest.mark.parametrize("cls", ALL)
def test_abort_breaks_waiters_and_later_waits(cls, world):
    async def body(w):
        barrier = cls(0)  # never passes by count
        handles = await spawn_parties(w, barrier, 3)
        barrier.abort()
        assert barrier.broken and barrier.waiting == 0
        for handle in handles:
            assert isinstance(await handle.join(), BrokenBarrierError)
        with pytest.raises(BrokenBarrierError):
            await w.wait(barrier, 10)
        with pytest.raises(BrokenBarrierError):
            await w.wait(barrier, 0)
        barrier.abort()  # on a broken barrier: nothing
        assert barrier.broken and repr(barrier).endswith("[broken]>")

    world.run(body)


@pytest.mark.parametrize("cls", ALL)
def test_timeout_breaks(cls, world):
    async def body(w):
        barrier = cls(3)
        other = await w.spawn(party, barrier)
        await wait_until(w, lambda: barrier.waiting == 1)
        start = time.monotonic()
        with pytest.raises(BrokenBarrierError):
            await w.wait(barrier, 0.05)
        assert time.monotonic() - start >= 0.05
        assert isinstance(await other.join(), BrokenBarrierError)
        assert barrier.broken and barrier.waiting == 0
        with pytest.raises(BrokenBarrierError):
            await w.wait(barrier, 10)

    world.run(body)


@pytest.mark.parametrize("cls", ALL)
def test_zero_timeout_breaks_unless_complete(cls, world):
    async def body(w):
        barrier = cls(2)
        with pytest.raises(BrokenBarrierError):
            await w.wait(barrier, 0)
        assert barrier.broken

    world.run(body)


@pytest.mark.parametrize("cls", ALL)
def test_bad_timeout_does_not_break(cls, world):
    async def body(w):
        barrier = cls(2)
        with pytest.raises(ValueError, match="timeout must be non-negative"):
            await w.wait(barrier, -1)
        with pytest.raises(ValueError, match="timeout must be non-NaN"):
            await w.wait(barrier, float("nan"))
        with pytest.raises(TypeError, match="timeout"):
            await w.wait(barrier, "1")
        assert not barrier.broken and barrier.waiting == 0
        handle = await w.spawn(party, barrier)
        await wait_until(w, lambda: barrier.waiting == 1)
        await w.wait(barrier, float("inf"))
        await handle.join()

    world.run(body)


@pytest.mark.parametrize("cls", ALL)
def test_cancelled_party_breaks(cls, world):
    if not world.can_cancel:
        pytest.skip("threads cannot be cancelled")

    async def body(w):
        barrier = cls(3)
        other = await w.spawn(party, barrier)
        await wait_until(w, lambda: barrier.waiting == 1)
        async with w.cancel_after(0.02) as scope:
            await w.wait(barrier)
        assert scope.cancelled  # its own cancellation, not BrokenBarrierError
        assert isinstance(await other.join(), BrokenBarrierError)
        assert barrier.broken and barrier.waiting == 0

    world.run(body)


def test_barrier_context_manager(world):
    async def body(w):
        barrier = Barrier(2)

        async def enter(w):
            async with w.hold(barrier) as index:
                return index

        handle = await w.spawn(enter)
        await wait_until(w, lambda: barrier.waiting == 1)
        async with w.hold(barrier) as index:
            assert index == 1
        assert await handle.join() == 0
        assert not barrier.broken  # a normal exit does nothing

        class Boom(Exception):
            pass

        handle = await w.spawn(enter)
        await wait_until(w, lambda: barrier.waiting == 1)
        with pytest.raises(Boom) as info:
            async with w.hold(barrier):
                raise Boom("x")
        assert info.value.args == ("x",)  # unchanged
        assert barrier.broken  # the block raised: aborted
        assert await handle.join() == 0  # its phase had passed already
        with pytest.raises(BrokenBarrierError):
            async with w.hold(barrier):
                pass

    world.run(body)


def test_rbarrier_reset(world):
    async def body(w):
        barrier = RBarrier(3)
        handles = await spawn_parties(w, barrier, 2)
        barrier.reset()
        assert not barrier.broken and barrier.waiting == 0
        for handle in handles:
            assert isinstance(await handle.join(), BrokenBarrierError)
        # a fresh phase: indices start at 0 again
        handles = await spawn_parties(w, barrier, 2)
        assert await w.wait(barrier, 10) == 2
        assert [await handle.join() for handle in handles] == [0, 1]
        # reset repairs a broken barrier
        barrier.abort()
        assert barrier.broken
        barrier.reset()
        assert not barrier.broken
        handles = await spawn_parties(w, barrier, 2)
        assert await w.wait(barrier, 10) == 2
        assert [await handle.join() for handle in handles] == [0, 1]

    world.run(body)


def test_await_directly():
    import asyncio

    async def proper():
        barrier, latch = Barrier(2), Latch(2)

        async def wait_barrier():
            return await barrier

        async def wait_latch():
            return await latch

        assert sorted(await asyncio.gather(wait_barrier(), wait_barrier())) == [0, 1]
        assert await asyncio.gather(wait_latch(), wait_latch()) == [None, None]

    asyncio.run(proper())


def test_cancelled_before_arrival_has_no_effect_under_trio():
    trio = pytest.importorskip("trio")
    pytest.importorskip("aiologic_trio")

    async def main():
        barrier = Barrier(2)
        with trio.CancelScope() as scope:
            scope.cancel()
            await barrier.with_(10)
        assert scope.cancelled_caught
        assert not barrier.broken and barrier.waiting == 0
        async with trio.open_nursery() as nursery:
            results = []

            async def one():
                results.append(await barrier.with_(10))

            nursery.start_soon(one)
            nursery.start_soon(one)
        assert sorted(results) == [0, 1]  # the cancelled call did not count

    trio.run(main)


def test_timed_out_party_woken_in_the_window_passes():
    """The wake-versus-timeout race, forced: the phase passes while a party
    whose timeout fired is paused before giving up; that party gets its
    index, and the barrier is not broken."""
    from aiologic_testing.races import pause_before_give_up

    barrier = Barrier(2)
    result = []
    with pause_before_give_up() as pause:
        thread = threading.Thread(target=lambda: result.append(barrier.wait(0.01)))
        thread.start()
        assert pause.paused.wait(10)
        assert barrier.wait(10) == 1  # completes the phase
        pause.resume()
        thread.join(10)
    assert result == [0] and not barrier.broken and barrier.waiting == 0


def test_timed_out_party_gives_up_first_and_breaks():
    from aiologic_testing.races import pause_before_give_up

    barrier = Barrier(2)
    errors = []

    def target():
        try:
            barrier.wait(0.01)
        except BrokenBarrierError as exc:
            errors.append(exc)

    with pause_before_give_up() as pause:
        thread = threading.Thread(target=target)
        thread.start()
        assert pause.paused.wait(10)
        pause.resume()
        thread.join(10)
    assert len(errors) == 1 and barrier.broken
    with pytest.raises(BrokenBarrierError):
        barrier.wait(10)  # the latecomer finds it broken, never waits


@pytest.mark.parametrize("cls", [Barrier, Latch])
def test_parties_across_worlds(cls, world_a, world_b):
    barrier = cls(4)
    phases = 3 if cls is Barrier else 1
    go = [aiologic.Event() for _ in range(phases)]

    async def two_parties(w):
        results = []
        for phase in range(phases):
            handles = await spawn_parties(w, barrier, 2)
            go[phase].set()
            results += [await handle.join() for handle in handles]
        return results

    async def two_more(w):
        results = []
        for phase in range(phases):
            assert await w.wait(go[phase], 10)
            handle = await w.spawn(party, barrier)
            await wait_until(w, lambda: barrier.waiting == 3)
            results += [await w.wait(barrier, 10), await handle.join()]
        return results

    first, second = run_in_threads((world_a, two_parties), (world_b, two_more))
    if cls is Barrier:
        for phase in range(phases):
            assert first[2 * phase : 2 * phase + 2] == [0, 1]
            assert second[2 * phase : 2 * phase + 2] == [3, 2]
    else:
        assert first == [None, None] and second == [None, None]
    assert not barrier.broken and barrier.waiting == 0


def test_break_across_worlds(world_a, world_b):
    barrier = Barrier(4)
    seen = {}
    spawned = aiologic.Event()

    async def waiters(w):
        handles = await spawn_parties(w, barrier, 2)
        spawned.set()
        return [await handle.join() for handle in handles]

    async def breaker(w):
        assert await w.wait(spawned, 10)
        seen["stats"] = barrier.statistics()
        with pytest.raises(BrokenBarrierError):
            await w.wait(barrier, 0.01)

    results, _ = run_in_threads((world_a, waiters), (world_b, breaker))
    assert all(isinstance(result, BrokenBarrierError) for result in results)
    stats = seen["stats"]
    assert stats.parties == 4 and not stats.broken and len(stats.waiting) == 2
    assert {info.library for info in stats.waiting} == {make_world(world_a).library}
    assert barrier.statistics() == BarrierStatistics(4, True, ())


def test_threads_hammering_a_barrier():
    """Several threads through many phases: every phase hands out each
    index exactly once."""
    parties, phases = 4, 50
    barrier = Barrier(parties)
    indices = [[] for _ in range(parties)]

    def run(slot):
        for _ in range(phases):
            indices[slot].append(barrier.wait(10))

    threads = [threading.Thread(target=run, args=(slot,)) for slot in range(parties)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads)
    for phase in range(phases):
        assert sorted(indices[slot][phase] for slot in range(parties)) == list(range(parties))
    assert not barrier.broken and barrier.waiting == 0


class MyBarrier(RBarrier):
    pass


def test_pickle_copy_repr_weakref_statistics():
    for cls in (*ALL, MyBarrier):
        barrier = cls(3)
        name = "aiologic." + cls.__name__ if cls is not MyBarrier else f"{__name__}.MyBarrier"
        assert repr(barrier) == f"<{name}(3) at {id(barrier):#x} [filling, waiting=0]>"
        assert barrier.statistics() == BarrierStatistics(3, False, ())
        barrier.abort()
        assert repr(barrier) == f"<{name}(3) at {id(barrier):#x} [broken]>"
        assert barrier.statistics() == BarrierStatistics(3, True, ())
        assert barrier.broken is True
        for clone in (pickle.loads(pickle.dumps(barrier)), copy.copy(barrier)):
            assert type(clone) is cls and clone.parties == 3 and clone.broken is False
        ref = weakref.ref(barrier)
        del barrier
        gc.collect()
        assert ref() is None
    error = BrokenBarrierError("message")
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is BrokenBarrierError and clone.args == ("message",)
    assert BrokenBarrierError.__module__ == "aiologic"


def test_exactly_one_schedule_point_under_trio():
    pytest.importorskip("trio")
    pytest.importorskip("aiologic_trio")
    import trio
    from test_trio import StepCounter, schedule_points

    counter = StepCounter()

    async def main():
        assert await schedule_points(counter, Barrier(1).with_) == (1, 0)
        assert await schedule_points(counter, lambda: Barrier(1).with_(0)) == (1, 0)
        assert await schedule_points(counter, Latch(1).with_) == (1, None)
        passed = Latch(1)
        await passed
        assert await schedule_points(counter, passed.with_) == (1, None)
        for cls in ALL:
            broken = cls(2)
            broken.abort()
            for barrier, timeout in ((cls(2), 0), (broken, None)):
                before = counter.steps
                with pytest.raises(BrokenBarrierError):
                    await barrier.with_(timeout)
                assert counter.steps - before == 1

        # Contended: the wait is the one schedule point.
        for cls in ALL:
            barrier = cls(2)

            async def other(task_status=trio.TASK_STATUS_IGNORED):
                task_status.started()
                await barrier

            async with trio.open_nursery() as nursery:
                await nursery.start(other)
                steps, _ = await schedule_points(counter, barrier.with_)
                assert steps == 1

    trio.run(main, instruments=[counter])


# -- stress --------------------------------------------------------------------


@pytest.fixture
def pressure():
    """Switch threads as often as CPython allows, to provoke races."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


@pytest.mark.stress
def test_stress_rounds_across_worlds(pressure):
    """Parties in a thread of every world (several per world) go through a
    barrier per round with random timeouts and cancellations. In each round
    either the phase passed, and then every party got a distinct index
    except those cancelled, or it broke and nobody got one; nothing stays
    stuck and no waiter is left behind."""
    names = available_worlds()
    # PyPy runs this several times slower under the pressure fixture.
    per_world, rounds = 3, (200 if platform.python_implementation() == "PyPy" else 1000)
    parties = per_world * len(names)
    barriers = [Barrier(parties) for _ in range(rounds)]
    outcomes = [[] for _ in range(rounds)]

    async def one_party(w, seed):
        rng = random.Random(seed)
        for r in range(rounds):
            timeout = rng.choice([0, 0.0005, 0.002]) if rng.random() < 0.02 else 10
            cancel = rng.choice([0, 0.0005, 0.002]) if w.can_cancel and rng.random() < 0.02 else None
            try:
                if cancel is None:
                    outcomes[r].append(await w.wait(barriers[r], timeout))
                    continue
                async with w.cancel_after(cancel) as scope:
                    result = await w.wait(barriers[r], timeout)
                if scope.cancelled:
                    # A call cancelled at its first checkpoint has not
                    # arrived: end the round for the others.
                    barriers[r].abort()
                    result = "cancelled"
                outcomes[r].append(result)
            except BrokenBarrierError:
                outcomes[r].append("broken")

    async def world_parties(w, seed):
        handles = [await w.spawn(one_party, seed * 10 + i) for i in range(per_world)]
        for handle in handles:
            await handle.join()

    run_in_threads(*[(name, world_parties, seed) for seed, name in enumerate(names)], timeout=60)
    passed_rounds = 0
    for r in range(rounds):
        assert len(outcomes[r]) == parties
        indices = [x for x in outcomes[r] if isinstance(x, int)]
        if indices:
            passed_rounds += 1
            assert "broken" not in outcomes[r]
            assert len(set(indices)) == len(indices) and set(indices) <= set(range(parties))
            assert len(indices) + outcomes[r].count("cancelled") == parties
        assert barriers[r].waiting == 0
    assert passed_rounds > rounds // 10, passed_rounds  # (with these odds many pass)


def _cancel_in_the_window(barrier, act):
    """Two asyncio tasks wait on `barrier` in a loop thread; the first is
    cancelled and held in the give-up window while `act()` runs in this
    thread. Returns how each task ended and what `act()` returned."""
    import asyncio

    from aiologic_testing.races import pause_before_give_up

    ready, state, outcome = threading.Event(), {}, {}

    async def one():
        try:
            return await barrier.with_(10)
        except BrokenBarrierError as exc:
            return exc

    async def main():
        state["loop"] = asyncio.get_running_loop()
        first = state["first"] = asyncio.ensure_future(one())
        second = asyncio.ensure_future(one())
        while barrier.waiting < 2:
            await asyncio.sleep(0.001)
        ready.set()
        try:
            outcome["first"] = await first
        except asyncio.CancelledError:
            outcome["first"] = "cancelled"
        outcome["second"] = await asyncio.wait_for(second, 10)

    with pause_before_give_up() as pause:
        thread = threading.Thread(target=lambda: asyncio.run(main()))
        thread.start()
        assert ready.wait(10)
        state["loop"].call_soon_threadsafe(state["first"].cancel)
        assert pause.paused.wait(10)  # the loop thread is held in the window
        acted = act()
        pause.resume()
        thread.join(10)
    assert not thread.is_alive()
    return outcome, acted


def test_cancelled_party_woken_in_the_window_ends_cancelled_phase_passes():
    """The wake-versus-cancel race, forced: the phase passes while a
    cancelled party is held before giving up. That party ends with its
    cancellation; the phase has passed for the others, unbroken."""
    barrier = Barrier(3)
    outcome, index = _cancel_in_the_window(barrier, lambda: barrier.wait(10))
    assert outcome == {"first": "cancelled", "second": 1} and index == 2
    assert not barrier.broken and barrier.waiting == 0


def test_cancelled_party_gives_up_first_and_breaks():
    barrier = Barrier(3)
    outcome, _ = _cancel_in_the_window(barrier, lambda: None)  # nobody arrives
    assert outcome["first"] == "cancelled" and isinstance(outcome["second"], BrokenBarrierError)
    assert barrier.broken and barrier.waiting == 0
