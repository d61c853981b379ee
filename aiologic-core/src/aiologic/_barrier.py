"""Barriers: `Latch` (single use), `Barrier` (cyclic), `RBarrier` (cyclic,
with `reset()`), and `BrokenBarrierError`.

All three are made of phases. A phase counts its arrivals and keeps a wait
queue of the parties that arrived and wait for it to be decided. It is
decided once, either passed (by the arrival that completes it) or broken
(by `abort()`, `reset()`, or a party that timed out or was cancelled), and
its waiters are all woken with the outcome. Each party learns its index when
it arrives: its place in the arrival order of its phase.

The decision is a list to which a decider appends its outcome unless one is
there already: appends are atomic, so the first element is the outcome for
everyone, and deciders that raced see at once which of them won. A party whose wait ends by timeout or
cancellation tries to break its phase; if the phase passed first, it passed
with that party, so a timeout then returns the index as if it had not fired.
"""

from __future__ import annotations

from typing import Any, Callable, Generator, List, Optional, Tuple

from .lowlevel._checkpoints import async_checkpoint_library, green_checkpoint_library
from .lowlevel._originals import allocate_lock
from .lowlevel._validation import check_int, check_timeout
from .meta import DEFAULT
from ._waitqueue import TIMED_OUT, WaitQueue, queue_of, waiters_in, waiting_in
from .statistics import BarrierStatistics

__all__ = ("Barrier", "BrokenBarrierError", "Latch", "RBarrier")

_PASSED: Any = object()
_BROKEN: Any = object()


class BrokenBarrierError(RuntimeError):
    """A barrier was broken (aborted, reset, or a party timed out or was
    cancelled) while waiting for it, or before."""


def _broken() -> BrokenBarrierError:
    return BrokenBarrierError("the barrier is broken")


class _Phase:
    """One phase of a barrier (a `Latch` has just one)."""

    __slots__ = ("arrived", "claims", "waiters")

    def __init__(self) -> None:
        self.arrived = 0  # written under the barrier's lock only
        self.claims: List[Any] = []  # the outcomes offered; the first one holds
        self.waiters: List[WaitQueue] = []  # the wait queue, on first wait

    def outcome(self) -> Any:
        """`_PASSED`, `_BROKEN`, or None while undecided."""
        claims = self.claims
        return claims[0] if claims else None

    def decide(self, outcome: Any) -> bool:
        """Offer an outcome; True if the phase has that outcome (decided by
        this call or an earlier one), False if it was decided otherwise.
        Every waiter is woken with the outcome."""
        claims = self.claims
        if claims:  # decided already (its decider wakes the waiters)
            return claims[0] is outcome
        claims.append(outcome)  # racing deciders append a few more at most
        if claims[0] is not outcome:
            return False
        if self.waiters:
            self.waiters[0].unpark_all(outcome)
        return True

    def recheck(self) -> None:
        """After parking: the phase may have been decided, and its waiters
        woken, before the entry was in."""
        claims = self.claims
        if claims:
            self.waiters[0].unpark_all(claims[0])


def _outcome(phase: _Phase, index: int, result: Any) -> int:
    """What a party's wait ends with: its index if the phase passed,
    `BrokenBarrierError` otherwise. A wait that timed out breaks the phase,
    unless the phase passed first."""
    if result is TIMED_OUT and not phase.decide(_BROKEN):
        result = _PASSED
    if result is not _PASSED:
        raise _broken()
    return index


def _check_parties(parties: Any) -> int:
    if parties is DEFAULT:
        return 0
    value = check_int(parties, "parties")
    if value < 0:
        raise ValueError("parties must be >= 0")
    return value


# A party that arrives gets `(phase, index)`: the phase it must wait for, or
# None when it need not wait (it completed the phase, or the latch had
# passed). The faces below do the rest; `arrive` raises BrokenBarrierError
# on a broken barrier.
_Arrive = Callable[[], Tuple[Optional[_Phase], int]]


def _green_park(phase: _Phase, timeout: Optional[float]) -> Any:
    try:
        return queue_of(phase.waiters).green_park(None, timeout, recheck=phase.recheck)
    except BaseException:
        phase.decide(_BROKEN)  # a cancelled party breaks the barrier
        raise


async def _async_park(phase: _Phase, timeout: Optional[float]) -> Any:
    try:
        return await queue_of(phase.waiters).async_park(None, timeout, recheck=phase.recheck)
    except BaseException:
        phase.decide(_BROKEN)  # a cancelled party breaks the barrier
        raise


def _green_wait(arrive: _Arrive, timeout: Optional[float]) -> int:
    if timeout is not None:
        timeout = check_timeout(timeout)
    lib = green_checkpoint_library()
    if lib is not None:
        lib.backend.checkpoint_before()  # cancellation first: then no effect
    try:
        phase, index = arrive()
        if phase is not None:
            if timeout != 0:
                lib = None  # blocking is the schedule point
                return _outcome(phase, index, _green_park(phase, timeout))
            _outcome(phase, index, TIMED_OUT)
    finally:
        if lib is not None:
            lib.backend.checkpoint_after()
    return index


async def _async_wait(arrive: _Arrive, timeout: Optional[float]) -> int:
    # `_green_wait` for async tasks.
    if timeout is not None:
        timeout = check_timeout(timeout)
    lib = async_checkpoint_library()
    if lib is not None:
        await lib.backend.checkpoint_before()
    try:
        phase, index = arrive()
        if phase is not None:
            if timeout != 0:
                lib = None
                return _outcome(phase, index, await _async_park(phase, timeout))
            _outcome(phase, index, TIMED_OUT)
    finally:
        if lib is not None:
            await lib.backend.checkpoint_after()
    return index


def _name(obj: object) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


class Latch:
    """A single-use barrier: waiters block until `parties` of them wait at
    once; then all pass, and every later wait returns at once.

    A timeout, a cancellation or `abort()` breaks it: every current and
    later wait raises `BrokenBarrierError`. ``Latch(0)`` never passes by
    count.
    """

    __slots__ = ("__weakref__", "_parties", "_phase", "_aborted", "_lock")

    _parties: int
    _phase: _Phase
    _aborted: bool
    _lock: Any

    def __new__(cls, parties: int = 0) -> Latch:
        parties = _check_parties(parties)
        self = object.__new__(cls)
        self._parties = parties
        self._phase = _Phase()
        self._aborted = False  # `abort()` also breaks a latch that passed
        # Arrivals count under this lock: a read-modify-write of the count
        # that must pick exactly one completer among racing threads. It is
        # held for a few steps, never while waiting or waking.
        self._lock = allocate_lock()
        return self

    def __reduce__(self) -> Any:
        return (type(self), (self._parties,))

    def __copy__(self) -> Latch:
        return type(self)(self._parties)

    def __repr__(self) -> str:
        head = f"<{_name(self)}({self._parties!r}) at {id(self):#x}"
        outcome = self._phase.outcome()
        if self._aborted or outcome is _BROKEN:
            return f"{head} [broken]>"
        if outcome is _PASSED:
            return f"{head} [draining]>"
        return f"{head} [filling, waiting={self.waiting}]>"

    def __bool__(self) -> bool:
        return self._aborted or bool(self._phase.claims)

    @property
    def parties(self) -> int:
        """How many waiters must wait at once for the latch to pass."""
        return self._parties

    @property
    def broken(self) -> bool:
        """Whether the latch is broken."""
        return self._aborted or self._phase.outcome() is _BROKEN

    @property
    def waiting(self) -> int:
        """The number of tasks waiting for the latch to pass."""
        return waiting_in(self._phase.waiters)

    def statistics(self) -> BarrierStatistics:
        """A snapshot of the latch's parties, state and waiters."""
        return BarrierStatistics(self._parties, self.broken, waiters_in(self._phase.waiters))

    def abort(self) -> None:
        """Break the latch, even one that has passed: current and later
        waits raise `BrokenBarrierError`."""
        self._aborted = True
        self._phase.decide(_BROKEN)

    def _arrive(self) -> Tuple[Optional[_Phase], int]:
        phase = self._phase
        if not phase.claims and not self._aborted:  # else no need to count
            with self._lock:
                undecided = not phase.claims
                if undecided:
                    phase.arrived += 1
                    if phase.arrived != self._parties:
                        return phase, 0
            if undecided:
                phase.decide(_PASSED)  # fails if broken just before
        if self._aborted or phase.outcome() is not _PASSED:
            raise _broken()
        return None, 0  # passed: later waits return at once

    def wait(self, timeout: Optional[float] = None) -> None:
        """Block until the latch passes; `BrokenBarrierError` if it is or
        gets broken, or on timeout (which breaks it)."""
        _green_wait(self._arrive, timeout)

    def __await__(self) -> Generator[Any, Any, None]:
        return (yield from self.with_().__await__())

    async def with_(self, timeout: Optional[float] = None) -> None:
        """Wait until the latch passes; `BrokenBarrierError` if it is or gets
        broken, or on timeout (which breaks it)."""
        await _async_wait(self._arrive, timeout)


class Barrier:
    """A cyclic barrier: each group of `parties` arrivals passes together,
    and later arrivals form the next group. Each waiter gets its index in
    its group, its place in the arrival order (0 for the first, ``parties -
    1`` for the one that completes the group).

    A timeout, a cancellation or `abort()` breaks it for good: every current
    and later wait raises `BrokenBarrierError`. ``with barrier as i`` waits
    on entry, and aborts the barrier if the block raises.
    """

    __slots__ = ("__weakref__", "_parties", "_phase", "_lock")

    _parties: int
    _phase: _Phase
    _lock: Any

    def __new__(cls, parties: int = 0) -> Barrier:
        parties = _check_parties(parties)
        self = object.__new__(cls)
        self._parties = parties
        self._phase = _Phase()
        # Arrivals count, and the completer swaps in the next phase, under
        # this lock: a read-modify-write that must pick exactly one completer
        # per phase among racing threads and must not hand an index of one
        # phase to a party of the next. It is held for a few steps, never
        # while waiting or waking.
        self._lock = allocate_lock()
        return self

    def __reduce__(self) -> Any:
        return (type(self), (self._parties,))

    def __copy__(self) -> Barrier:
        return type(self)(self._parties)

    def __repr__(self) -> str:
        head = f"<{_name(self)}({self._parties!r}) at {id(self):#x}"
        if self.broken:
            return f"{head} [broken]>"
        return f"{head} [filling, waiting={self.waiting}]>"

    @property
    def parties(self) -> int:
        """How many arrivals make a group."""
        return self._parties

    @property
    def broken(self) -> bool:
        """Whether the barrier is broken."""
        # The current phase is only ever decided by a break: the completer
        # swaps in the next phase before it decides its own.
        return self._phase.outcome() is not None

    @property
    def waiting(self) -> int:
        """The number of tasks waiting in the current phase."""
        return waiting_in(self._phase.waiters)

    def statistics(self) -> BarrierStatistics:
        """A snapshot of the barrier's parties, state and waiters."""
        return BarrierStatistics(self._parties, self.broken, waiters_in(self._phase.waiters))

    def abort(self) -> None:
        """Break the barrier for good: current and later waits raise
        `BrokenBarrierError`."""
        phase = self._phase
        while not phase.decide(_BROKEN):
            # That phase passed, so a newer one is current: break that one.
            phase = self._phase

    def _arrive(self) -> Tuple[Optional[_Phase], int]:
        with self._lock:
            phase = self._phase
            if phase.claims:
                raise _broken()
            index = phase.arrived
            if index + 1 != self._parties:
                phase.arrived = index + 1
                return phase, index
            self._phase = following = _Phase()
        if not phase.decide(_PASSED):
            # Broken just before the last party came: the barrier stays
            # broken, also for the parties of the next phase.
            following.decide(_BROKEN)
            raise _broken()
        return None, index

    def wait(self, timeout: Optional[float] = None) -> int:
        """Block until the current group is complete and return this
        party's index in it; `BrokenBarrierError` if the barrier is or gets
        broken, or on timeout (which breaks it)."""
        return _green_wait(self._arrive, timeout)

    def __await__(self) -> Generator[Any, Any, int]:
        return (yield from self.with_().__await__())

    async def with_(self, timeout: Optional[float] = None) -> int:
        """Wait until the current group is complete and return this party's
        index in it; `BrokenBarrierError` if the barrier is or gets broken,
        or on timeout (which breaks it)."""
        return await _async_wait(self._arrive, timeout)

    def __enter__(self) -> int:
        return _green_wait(self._arrive, None)

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            self.abort()

    async def __aenter__(self) -> int:
        return await _async_wait(self._arrive, None)

    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            self.abort()


class RBarrier(Barrier):
    """A cyclic barrier that `reset()` can repair."""

    __slots__ = ()

    def reset(self) -> None:
        """Wake every task waiting now with `BrokenBarrierError`, and leave
        the barrier unbroken, with a new phase whose indices start at 0."""
        # Under the lock: a completer that swapped in its next phase after
        # this swap would replace the fresh phase with one it then breaks.
        with self._lock:
            phase = self._phase
            self._phase = _Phase()
        phase.decide(_BROKEN)
