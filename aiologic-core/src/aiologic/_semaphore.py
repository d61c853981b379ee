"""Semaphores: counting, bounded, binary and bounded binary."""

from __future__ import annotations

from typing import Any, Optional, Tuple, Type, TypeVar, Union, cast, overload

from .lowlevel._checkpoints import async_checkpoint_library, green_checkpoint_library
from .lowlevel._validation import check_count, check_int, check_timeout
from .meta import DEFAULT, DefaultType
from ._counts import Count
from ._tokens import TokenPrimitive
from ._waitqueue import TIMED_OUT, waiters_in, waiting_in
from .statistics import SemaphoreStatistics

_S = TypeVar("_S", bound="Semaphore")

__all__ = ("BinarySemaphore", "BoundedBinarySemaphore", "BoundedSemaphore", "Semaphore")


class Semaphore(TokenPrimitive):
    """A counting semaphore: `value` permits, taken by acquire and given back
    by release (by any task; semaphores have no owner).

    ``Semaphore(v, max_value)`` returns a bounded semaphore.
    """

    __slots__ = ("__weakref__", "_count", "_waiters", "_initial_value")

    _count: Count
    _initial_value: int

    @overload
    def __new__(cls: Type[_S], initial_value: Union[int, DefaultType] = ..., max_value: None = None) -> _S: ...

    @overload
    def __new__(cls, initial_value: Union[int, DefaultType], max_value: int) -> BoundedSemaphore: ...

    @overload
    def __new__(cls, initial_value: Union[int, DefaultType] = ..., *, max_value: int) -> BoundedSemaphore: ...

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
        self._count = Count(initial_value)
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
        value = self._count.value
        state = f"value={value}" if value else f"value=0, waiting={self.waiting}"
        return f"<{name}({self._args_repr()}) at {id(self):#x} [{state}]>"

    @property
    def initial_value(self) -> int:
        """The value the semaphore was created with."""
        return self._initial_value

    @property
    def value(self) -> int:
        """The number of permits available now."""
        return self._count.value

    @property
    def waiting(self) -> int:
        """The number of tasks waiting for a permit."""
        return waiting_in(self._waiters)

    def statistics(self) -> SemaphoreStatistics:
        """A snapshot of the semaphore's value, bound and waiters."""
        max_value = self._max_value if isinstance(self, BoundedSemaphore) else None
        return SemaphoreStatistics(self._count.value, max_value, waiters_in(self._waiters))

    # -- tokens and hand-off (see `_tokens`) -----------------------------------

    def _take_token(self) -> bool:
        return self._count.take()

    def _put_token(self) -> None:
        self._count.put()

    def _acquire_now(self) -> bool:
        """Take a permit for the caller without waiting."""
        return self._count.take()

    # -- green side ------------------------------------------------------------

    def green_acquire(self, *, blocking: bool = True, timeout: Optional[float] = None) -> bool:
        """Take a permit, waiting (FIFO) while there is none; True on
        success, False if none was taken (``blocking=False`` or timeout)."""
        if timeout is not None:
            timeout = check_timeout(timeout)
        lib = green_checkpoint_library() if blocking else None
        if lib is not None:
            lib.backend.checkpoint_before()
        acquired = self._acquire_now()
        if not acquired and blocking and timeout != 0:
            return self._green_wait(None, timeout)
        if lib is not None:
            lib.backend.checkpoint_after()
        return acquired

    def __enter__(self: _S) -> _S:
        self.green_acquire()
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.release()

    # -- async side ------------------------------------------------------------

    async def async_acquire(self, *, blocking: bool = True, timeout: Optional[float] = None) -> bool:
        """Take a permit, waiting (FIFO) while there is none; True on
        success, False if none was taken (``blocking=False`` or timeout)."""
        if timeout is not None:
            timeout = check_timeout(timeout)
        lib = async_checkpoint_library() if blocking else None
        if lib is not None:
            await lib.backend.checkpoint_before()
        acquired = self._acquire_now()
        if not acquired and blocking and timeout != 0:
            return await self._async_wait(None, timeout) is not TIMED_OUT
        if lib is not None:
            await lib.backend.checkpoint_after()
        return acquired

    async def __aenter__(self: _S) -> _S:
        await self.async_acquire()
        return self

    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.release()

    # -- release -------------------------------------------------------------

    def release(self, count: int = 1) -> None:
        """Give back `count` permits: each goes to the oldest waiter first,
        the rest are added to `value` (O(1) however many)."""
        holder = self._waiters
        if type(count) is not int or count != 1:
            count = check_count(count)
            while count > 1 and holder and holder[0]._parked:
                self._give_back()
                count -= 1
            if count > 1:
                self._count.put(count - 1)
                self._recheck()  # waiters that parked meanwhile
        if holder and holder[0]._parked:
            self._give_back()
        else:
            self._count.put()
            if holder and holder[0]._parked:  # a waiter may have parked meanwhile
                self._recheck()

    green_release = release
    async_release = release


class BinarySemaphore(Semaphore):
    """A semaphore whose value starts at 0 or 1. Unbounded: a release at 1
    raises nothing (use `BoundedBinarySemaphore` for that check)."""

    __slots__ = ()

    @overload
    def __new__(cls: Type[_S], initial_value: Union[int, DefaultType] = ..., max_value: None = None) -> _S: ...

    @overload
    def __new__(cls, initial_value: Union[int, DefaultType], max_value: int) -> BoundedBinarySemaphore: ...

    @overload
    def __new__(cls, initial_value: Union[int, DefaultType] = ..., *, max_value: int) -> BoundedBinarySemaphore: ...

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

    __slots__ = ("_max_value", "_out")

    _max_value: int
    _out: Count

    def __new__(
        cls: Type[_S],
        initial_value: Union[int, DefaultType, None] = DEFAULT,
        max_value: Union[int, DefaultType, None] = DEFAULT,
    ) -> _S:
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
        made: Type[Any] = BoundedBinarySemaphore if cls is BoundedSemaphore and max_value <= 1 else cls
        if issubclass(made, BinarySemaphore) and (initial_value not in (0, 1) or max_value not in (0, 1)):
            raise ValueError("initial_value and max_value must be 0 or 1")
        self = object.__new__(made)
        self._init(initial_value)
        self._max_value = max_value
        # The permits that are out (taken, or handed to a waiter): a release
        # must take one, so it cannot push `value` past `max_value`, without
        # reading and writing a counter.
        self._out = Count(max_value - initial_value)
        return cast(_S, self)

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

    def _acquire_now(self) -> bool:
        if not self._count.take():
            return False
        self._out.put()
        return True

    def _granting(self, event: Any, payload: Any) -> None:
        self._out.put()  # the waiter is about to hold a permit

    def _revoked(self) -> None:
        self._out.take()  # an over-release that raced with us has raised

    def _pass_on(self, value: Any = None) -> None:
        self.release()

    def release(self, count: int = 1) -> None:
        if type(count) is not int or count != 1:
            check_int(count, "count")
            raise ValueError("count must be 1")
        if not self._out.take():
            raise RuntimeError("semaphore released too many times")
        Semaphore.release(self)

    green_release = release
    async_release = release


class BoundedBinarySemaphore(BinarySemaphore, BoundedSemaphore):
    """A bounded semaphore whose value is 0 or 1 (starts at 1 by default)."""

    __slots__ = ()

    def __new__(
        cls: Type[_S],
        initial_value: Union[int, DefaultType, None] = DEFAULT,
        max_value: Union[int, DefaultType, None] = DEFAULT,
    ) -> _S:
        return BoundedSemaphore.__new__(cls, initial_value, max_value)
