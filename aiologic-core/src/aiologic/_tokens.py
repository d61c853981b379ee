"""Hand-off of tokens to waiters: the logic Lock and the semaphores share.

Tokens (a lock's single token, a semaphore's permits) sit in a list while
free; `list.pop()` takes one atomically. A task that finds none queues a
low-level event with its data and waits. A token that is given back goes to
the oldest waiter first (FIFO, no barging): only when no waiter is left does
it return to the list, after which the giver looks again, since a waiter may
have queued in between. A waiter that queues looks once more too, so a token
freed while it was queueing is not missed. Whoever holds a token in hand is
the only one handing it off, so these steps never race with each other for
the same token.

`set()` on the event decides the race with a waiter that gives up at the same
moment (see `lowlevel._events`): if it returns False the token moves on to the
next waiter; if the waiter loses its give-up, the token is already its own and
its cancellation path returns it with `_give_back()`.
"""

from __future__ import annotations

from typing import Any, Deque, List, Optional, Tuple

from .lowlevel._events import _AsyncEvent, _GreenEvent
from ._waitqueue import discard, waiter_queue


class TokenQueue:
    """Mixin: subclasses define the slots `_tokens` (list) and `_waiters`
    (the holder of `_waitqueue`), and may override the hooks."""

    __slots__ = ()

    _tokens: List[Any]
    _waiters: List[Deque[Any]]

    # The hooks run while the giver holds the token, before the `set()` that
    # may wake the waiter: once `set()` has succeeded, the waiter may already
    # be running (and releasing), so nothing may be written after it.

    def _granting(self, event: Any, data: Any) -> None:
        """Hook: about to hand a token to the waiter `(event, data)`."""

    def _revoked(self) -> None:
        """Hook: that waiter gave up first; the token was not handed over."""

    def _returning(self) -> None:
        """Hook: the token goes back to the list (no waiter took it)."""

    def _give_back(self) -> None:
        """Give a token we hold to the oldest waiter, or back to the list."""
        tokens = self._tokens
        holder = self._waiters
        while True:
            if holder:
                waiters = holder[0]
                while waiters:
                    try:
                        item = waiters.popleft()
                    except IndexError:
                        break
                    self._granting(*item)
                    if item[0].set():
                        return
                    self._revoked()
            self._returning()
            tokens.append(None)
            if not holder or not holder[0]:
                return
            # A waiter queued after we looked: take the token again to hand it
            # over, unless someone else (a newcomer or that waiter) took it.
            try:
                tokens.pop()
            except IndexError:
                return

    def _recheck(self) -> None:
        """After returning a token to the list: a waiter queued meanwhile may
        have missed it, so take it again (if still there) and hand it over."""
        try:
            self._tokens.pop()
        except IndexError:
            return
        self._give_back()

    def _queue(self, event: Any, data: Any) -> Tuple[Any, Any]:
        """Queue a waiter and look again for a token freed meanwhile."""
        item = (event, data)
        waiter_queue(self._waiters).append(item)
        try:
            self._tokens.pop()
        except IndexError:
            pass
        else:
            self._give_back()  # to the oldest waiter: maybe us, maybe older
        return item

    def _green_wait(self, data: Any, timeout: Optional[float]) -> bool:
        """Queue the calling thread or greenlet and wait for a token."""
        item = self._queue(_GreenEvent(), data)
        try:
            success: bool = item[0].wait(timeout)
        except BaseException:
            self._leave(item)
            raise
        if not success:
            self._leave(item)
        return success

    async def _async_wait(self, data: Any, timeout: Optional[float]) -> bool:
        """Queue the calling async task and wait for a token."""
        item = self._queue(_AsyncEvent(), data)
        try:
            success: bool = await item[0].with_(timeout)
        except BaseException:
            self._leave(item)
            raise
        if not success:
            self._leave(item)
        return success

    def _leave(self, item: Tuple[Any, Any]) -> None:
        """A wait ended without success (timeout or exception, perhaps before
        it even started): leave the queue, or pass on a token that was handed
        over meanwhile."""
        if item[0]._give_up():
            discard(self._waiters, item)
        else:
            self._pass_on()

    def _pass_on(self) -> None:
        """Give back a token that a waiter received but will not use."""
        self._give_back()
