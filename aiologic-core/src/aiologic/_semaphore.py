"""Semaphores: counting, bounded, binary and bounded binary (API.md 4)."""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from .lowlevel import _libraries
from .lowlevel._checkpoints import async_checkpoint_enabled, green_checkpoint_enabled
from .lowlevel._libraries import async_library, current_async_library_tlocal, green_library
from .lowlevel._validation import check_count, check_int, check_timeout
from .meta import DEFAULT
from ._tokens import TokenQueue
from ._waitqueue import count_waiters

__all__ = ("BinarySemaphore", "BoundedBinarySemaphore", "BoundedSemaphore", "Semaphore")


class Semaphore(TokenQueue):
    """A counting semaphore: `value` permits, taken by acquire and given back
    by release (by any task; semaphores have no owner).

    ``Semaphore(v, max_value)`` returns a bounded semaphore.
    """

    __slots__ = ("__weakref__", "_tokens", "_waiters", "_initial_value")

    _initial_value: int

    def __new__(cls, initial_value: Any = DEFAULT, max_value: Any = None) -> Any:
        if max_value is not None:
            if cls is Semaphore:
                return BoundedSemaphore(initial_value, max_value)
            if cls is BinarySemaphore:
                return BoundedBinarySemaphore(initial_value, max_value)
            if not issubclass(cls, BoundedSemaphore):
                raise TypeError(f"{cls.__qualname__} takes no max_value: inherit from BoundedSemaphore instead")
        if initial_value is DEFAULT:
            initial_value = 1
        initial_value = check_int(initial_value, "initial_value")
        if initial_value < 0:
            raise ValueError("initial_value must be >= 0")
        self = object.__new__(cls)
        self._init(initial_value)
        return self

    def _init(self, initial_value: int) -> None:
        self._initial_value = initial_value
        # One list element per free permit; `pop()` takes one atomically.
        self._tokens = [None] * initial_value
        self._waiters = []

    def __getnewargs__(self) -> Tuple[int, ...]:
        return (self._initial_value,)

    def __reduce__(self) -> Any:
        return (type(self), self.__getnewargs__())

    def __copy__(self) -> Any:
        return type(self)(*self.__getnewargs__())

    def _args_repr(self) -> str:
        return repr(self._initial_value)

    def __repr__(self) -> str:
        cls = type(self)
        name = f"{cls.__module__}.{cls.__qualname__}"
        value = len(self._tokens)
        state = f"value={value}" if value else f"value=0, waiting={self.waiting}"
        return f"<{name}({self._args_repr()}) at {id(self):#x} [{state}]>"

    @property
    def initial_value(self) -> int:
        """The value the semaphore was created with."""
        return self._initial_value

    @property
    def value(self) -> int:
        """The number of permits available now."""
        return len(self._tokens)

    @property
    def waiting(self) -> int:
        """The number of tasks waiting for a permit."""
        return count_waiters(self._waiters)

    def _take(self) -> bool:
        """Take a permit without waiting."""
        try:
            self._tokens.pop()
        except IndexError:
            return False
        return True

    # -- green side ------------------------------------------------------------

    def green_acquire(self, *, blocking: bool = True, timeout: Optional[float] = None) -> bool:
        """Take a permit, waiting (FIFO) while there is none; True on
        success, False if none was taken (``blocking=False`` or timeout)."""
        if timeout is not None:
            timeout = check_timeout(timeout)
        checkpoints = blocking and _libraries.green_checkpoints_possible and green_checkpoint_enabled()
        if checkpoints:
            backend = green_library().backend
            backend.checkpoint_before()
            if self._take():
                backend.checkpoint_after()
                return True
            if timeout == 0:
                backend.checkpoint_after()
                return False
        elif self._take():
            return True
        elif not blocking or timeout == 0:
            return False
        return self._green_wait(None, timeout)

    def __enter__(self) -> Any:
        self.green_acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    # -- async side ------------------------------------------------------------

    async def async_acquire(self, *, blocking: bool = True, timeout: Optional[float] = None) -> bool:
        """Take a permit, waiting (FIFO) while there is none; True on
        success, False if none was taken (``blocking=False`` or timeout)."""
        if timeout is not None:
            timeout = check_timeout(timeout)
        # trio names itself in sniffio's marker before its backend is loaded
        checkpoints = (
            blocking
            and (_libraries.async_checkpoints_possible or current_async_library_tlocal.name is not None)
            and async_checkpoint_enabled()
        )
        if checkpoints:
            backend = async_library().backend
            await backend.checkpoint_before()
            if self._take():
                await backend.checkpoint_after()
                return True
            if timeout == 0:
                await backend.checkpoint_after()
                return False
        elif self._take():
            return True
        elif not blocking or timeout == 0:
            return False
        return await self._async_wait(None, timeout)

    async def __aenter__(self) -> Any:
        await self.async_acquire()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.release()

    # -- release -------------------------------------------------------------

    def release(self, count: int = 1) -> None:
        """Give back `count` permits: each goes to the oldest waiter first."""
        if type(count) is not int or count != 1:
            count = check_count(count)
            for _ in range(count - 1):
                self._give_back()
        if self._waiters:
            self._give_back()
        else:
            self._tokens.append(None)
            if self._waiters:  # a waiter queued meanwhile
                self._recheck()

    green_release = release
    async_release = release


class BinarySemaphore(Semaphore):
    """A semaphore whose value starts at 0 or 1. Unbounded: a release at 1
    raises nothing (use `BoundedBinarySemaphore` for that check)."""

    __slots__ = ()

    def __new__(cls, initial_value: Any = DEFAULT, max_value: Any = None) -> Any:
        if max_value is None and initial_value is not DEFAULT:
            value = check_int(initial_value, "initial_value")
            if value not in (0, 1):
                raise ValueError("initial_value must be 0 or 1")
        return super().__new__(cls, initial_value, max_value)

    def release(self, count: int = 1) -> None:
        if type(count) is not int or count != 1:
            check_int(count, "count")
            raise ValueError("count must be 1")
        # The next class in the MRO: Semaphore, or BoundedSemaphore for a
        # BoundedBinarySemaphore.
        super().release()

    green_release = release
    async_release = release


class BoundedSemaphore(Semaphore):
    """A semaphore whose value may not exceed `max_value`: an extra release
    raises `RuntimeError` and changes nothing."""

    __slots__ = ("_max_value", "_slots")

    _max_value: int
    _slots: List[None]

    def __new__(cls, initial_value: Any = DEFAULT, max_value: Any = DEFAULT) -> Any:
        if max_value is None:
            max_value = DEFAULT
        if initial_value is None:
            initial_value = DEFAULT
        if initial_value is not DEFAULT:
            initial_value = check_int(initial_value, "initial_value")
        if max_value is not DEFAULT:
            max_value = check_int(max_value, "max_value")
        if max_value is DEFAULT:
            max_value = 1 if initial_value is DEFAULT else initial_value
        if initial_value is DEFAULT:
            initial_value = max_value
        if initial_value < 0:
            raise ValueError("initial_value must be >= 0")
        if max_value < initial_value:
            raise ValueError("max_value must be >= initial_value")
        if cls is BoundedSemaphore and max_value <= 1:
            cls = BoundedBinarySemaphore
        if issubclass(cls, BinarySemaphore) and (initial_value not in (0, 1) or max_value not in (0, 1)):
            raise ValueError("initial_value and max_value must be 0 or 1")
        self = object.__new__(cls)
        self._init(initial_value)
        self._max_value = max_value
        # One element per permit that is out (taken, or handed to a waiter):
        # a release must take one, so it cannot push `value` past
        # `max_value`, without reading and writing a counter.
        self._slots = [None] * (max_value - initial_value)
        return self

    def __getnewargs__(self) -> Tuple[int, ...]:
        return (self._initial_value, self._max_value)

    def _args_repr(self) -> str:
        if self._max_value == self._initial_value:
            return repr(self._initial_value)
        return f"{self._initial_value!r}, max_value={self._max_value!r}"

    @property
    def max_value(self) -> int:
        """The largest value the semaphore may reach."""
        return self._max_value

    def _take(self) -> bool:
        try:
            self._tokens.pop()
        except IndexError:
            return False
        self._slots.append(None)
        return True

    def _granting(self, event: Any, data: Any) -> None:
        self._slots.append(None)  # the waiter is about to hold a permit

    def _revoked(self) -> None:
        try:
            self._slots.pop()
        except IndexError:  # an over-release raced with us; it has raised
            pass

    def _pass_on(self) -> None:
        self.release()

    def release(self, count: int = 1) -> None:
        if type(count) is not int or count != 1:
            check_int(count, "count")
            raise ValueError("count must be 1")
        try:
            self._slots.pop()
        except IndexError:
            raise RuntimeError("semaphore released too many times") from None
        Semaphore.release(self)

    green_release = release
    async_release = release


class BoundedBinarySemaphore(BinarySemaphore, BoundedSemaphore):
    """A bounded semaphore whose value is 0 or 1 (starts at 1 by default)."""

    __slots__ = ()

    def __new__(cls, initial_value: Any = DEFAULT, max_value: Any = DEFAULT) -> Any:
        return BoundedSemaphore.__new__(cls, initial_value, max_value)
