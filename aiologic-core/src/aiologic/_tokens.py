"""The hand-off of tokens to waiters: what Lock and the semaphores share.

A token (a lock's single token, a semaphore's permits) is either free, in
the primitive's pool, or held by someone. A task that finds none free parks
in the primitive's wait queue. A token that is given back goes to the oldest
waiter first (FIFO, no barging); only when no waiter is left does it return
to the pool, after which the giver looks again, since a waiter may have
parked in between. A waiter looks once more too, right after parking, so a
token freed while it was parking is not missed. Whoever holds a token in
hand is the only one handing it off, so these steps never race with each
other for the same token.

`set()` on the waiter's event decides the race with a waiter that gives up
at the same moment: if it returns False the token moves on to the next
waiter; if the waiter loses its give-up, the token is already its own, and
the wait queue calls `_pass_on` to hand it on.
"""

from __future__ import annotations

from typing import Any, Awaitable, List, Optional, Tuple

from ._waitqueue import TIMED_OUT, WaitQueue, queue_of

__all__ = ("TokenPrimitive",)


class TokenPrimitive:
    """Base of the token primitives. A subclass defines the slot `_waiters`
    (the holder of its wait queue, see `queue_of`), takes and returns
    tokens in `_take_token`/`_put_token`, and may override the hooks."""

    __slots__ = ()

    _waiters: List[WaitQueue]

    def _take_token(self) -> bool:
        """Take a free token if there is one."""
        raise NotImplementedError

    def _put_token(self) -> None:
        """Return a token to the pool."""
        raise NotImplementedError

    # The hooks run while the giver holds the token, before the `set()` that
    # may wake the waiter: once `set()` has succeeded, the waiter may already
    # be running (and releasing), so the giver writes nothing after it.

    def _granting(self, event: Any, payload: Any) -> None:
        """Hook: about to hand a token to the waiter `(event, payload)`."""

    def _revoked(self) -> None:
        """Hook: that waiter gave up first; the token was not handed over."""

    def _returning(self) -> None:
        """Hook: the token goes back to the pool (no waiter took it)."""

    def _give_back(self) -> None:
        """Give a token we hold to the oldest waiter, or back to the pool."""
        holder = self._waiters
        while True:
            if holder:
                queue = holder[0]
                while True:
                    entry = queue.pop()
                    if entry is None:
                        break
                    self._granting(*entry)
                    if entry[0].set():
                        return
                    self._revoked()
            self._returning()
            self._put_token()
            # A waiter parked after we looked: take the token again to hand
            # it over, unless someone else (a newcomer or that waiter) took it.
            if not holder or not holder[0]._parked or not self._take_token():
                return

    def _recheck(self) -> None:
        """After tokens went back to the pool, or after a waiter parked: a
        waiter that parked meanwhile may have missed them, so take them again
        (those still free) and hand them over while anyone waits."""
        holder = self._waiters
        while holder and holder[0]._parked and self._take_token():
            self._give_back()

    def _pass_on(self, value: Any = None) -> None:
        """Hand on a token that a waiter received but will not use."""
        self._give_back()

    def _green_wait(self, payload: Any, timeout: Optional[float], ident: Optional[Tuple[str, int]] = None) -> bool:
        """Park the calling thread or greenlet (whose task identifier is
        `ident`, if known) until a token is handed to it."""
        queue = queue_of(self._waiters)
        parked = queue.green_park(payload, timeout, recheck=self._recheck, on_lost=self._pass_on, ident=ident)
        return parked is not TIMED_OUT

    def _async_wait(
        self, payload: Any, timeout: Optional[float], ident: Optional[Tuple[str, int]] = None
    ) -> Awaitable[Any]:
        """Park the calling async task until a token is handed to it: await
        the result, which is `TIMED_OUT` if none came in time. (A plain
        function returning the park itself: one frame less per waiter.)"""
        queue = queue_of(self._waiters)
        return queue.async_park(payload, timeout, recheck=self._recheck, on_lost=self._pass_on, ident=ident)
