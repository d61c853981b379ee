"""`REvent`: a reusable event."""

from __future__ import annotations

from typing import List

from ._event import Event, _Generation

__all__ = ("REvent",)


class _ClearableGeneration(_Generation):
    """A generation that one `clear()` can retire.

    `cleared` is emptied, atomically and once, by the `clear()` that swaps
    in the next generation: two threads clearing at once would otherwise
    both swap, and a waiter that parked in the first new generation would
    wait in one that no `set()` ever reaches."""

    __slots__ = ("cleared",)

    def __init__(self) -> None:
        super().__init__()
        self.cleared: List[None] = [None]


class REvent(Event):
    """A reusable event: `set()` wakes every task waiting at that moment
    (even if `clear()` follows at once), and `clear()` makes later waits
    block until the next `set()`.

    Each set-clear cycle is one generation: a waiter waits for the set of
    the generation it found, so a `clear()` never takes a wake-up away."""

    __slots__ = ()

    _generation: _ClearableGeneration

    def __new__(cls) -> REvent:
        self = object.__new__(cls)
        self._generation = _ClearableGeneration()
        return self

    def clear(self) -> None:
        """Unset the event (nothing happens if it is unset)."""
        generation = self._generation
        if generation.unset:
            return
        try:
            generation.cleared.pop()
        except IndexError:
            return  # a concurrent clear() retired this generation
        self._generation = _ClearableGeneration()
