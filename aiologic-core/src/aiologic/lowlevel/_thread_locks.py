"""Thread locks at the level of OS threads, also under monkey-patching.

`create_thread_lock()`/`create_thread_rlock()` give the interpreter's own
lock implementations, as they were before gevent or eventlet patched
anything, so they always block the OS thread. `ThreadOnceLock` is a
reentrant lock that becomes a no-op after its first full release (the lock
behind `once`), and `THREAD_DUMMY_LOCK` a lock that does nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, NoReturn, Optional

from ._originals import allocate_lock, get_ident, resolve

__all__ = (
    "THREAD_DUMMY_LOCK",
    "ThreadDummyLock",
    "ThreadLock",
    "ThreadOnceLock",
    "ThreadRLock",
    "create_thread_lock",
    "create_thread_oncelock",
    "create_thread_rlock",
)


def _original_rlock() -> Callable[[], Any]:
    try:
        return resolve("_thread", "RLock")  # type: ignore[no-any-return]
    except AttributeError:  # an interpreter without a native reentrant lock
        return resolve("threading", "_PyRLock")  # type: ignore[no-any-return]


_RLock = _original_rlock()

if TYPE_CHECKING:
    from _thread import LockType as ThreadLock
    from _thread import RLock as ThreadRLock
else:
    #: The type of `create_thread_lock()`'s locks (`_thread.lock` on CPython).
    ThreadLock = type(allocate_lock())
    #: The type of `create_thread_rlock()`'s locks (`_thread.RLock` on CPython).
    ThreadRLock = type(_RLock())


def create_thread_lock() -> ThreadLock:
    """A new `threading.Lock` of the OS thread level (never a patched one)."""
    return allocate_lock()


def create_thread_rlock() -> ThreadRLock:
    """A new `threading.RLock` of the OS thread level (never a patched one)."""
    return _RLock()  # type: ignore[no-any-return]


def _final(cls: Any) -> Any:
    def __init_subclass__(*args: object, **kwargs: object) -> NoReturn:
        raise TypeError(f"type '{cls.__qualname__}' is not an acceptable base type")

    cls.__init_subclass__ = classmethod(__init_subclass__)
    cls.__final__ = True
    return cls


# The owner check and the reentrant count come from the native lock where it
# tells them: its acquire and release change both in one step, so a signal
# handler that interrupts its own thread between two of our statements sees
# consistent state.
_probe = _RLock()
_is_owned: Optional[Callable[[Any], bool]] = getattr(type(_probe), "_is_owned", None)
_recursion_count: Optional[Callable[[Any], int]] = getattr(type(_probe), "_recursion_count", None)
del _probe


@_final
class ThreadOnceLock:
    """A reentrant thread lock whose first full release is its last.

    The release that brings the count to zero wakes every blocked thread and
    turns the lock into a no-op for good: later `acquire()` calls return True
    at once and `release()` does nothing. Safe to use from signal handlers
    and finalizers (a recursive acquire from the owning thread succeeds).

    Its state lives in slots named ``_once_*``, so its methods also apply to
    a low-level event created with ``locking=True``."""

    __slots__ = ("_once_lock", "_once_owner", "_once_count", "_once_done", "__weakref__")

    _once_lock: Any
    _once_owner: Optional[int]
    _once_count: int
    _once_done: bool

    def __init__(self) -> None:
        _once_init(self)

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Acquire the lock; True at once after its final release."""
        if self._once_done:
            return True
        lock = self._once_lock
        if not lock.acquire(blocking, timeout):
            return False
        if self._once_done:  # the final release came while we waited
            lock.release()
            return True
        self._once_owner = get_ident()
        self._once_count += 1
        return True

    __enter__ = acquire

    def release(self) -> None:
        """Release one level; the last one makes the lock a no-op for good."""
        if self._once_done:
            return
        lock = self._once_lock
        if not _owned(self):
            raise RuntimeError("cannot release un-acquired lock")
        if _recursion_count is not None:
            last = _recursion_count(lock) == 1
        else:
            last = self._once_count == 1
        self._once_count -= 1
        if last:
            self._once_owner = None
            # Before the native release: a thread that gets the lock next
            # must find it done, release it and let the next one through.
            self._once_done = True
        lock.release()

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def locked(self) -> bool:
        """Whether a thread holds the lock now."""
        if self._once_done:
            return False
        if _owned(self):
            return True
        lock = self._once_lock
        if lock.acquire(False):
            lock.release()
            return False
        return True

    def _is_owned(self) -> bool:
        return not self._once_done and _owned(self)

    def __reduce__(self) -> NoReturn:
        raise TypeError(f"cannot pickle {type(self).__qualname__!r} object")

    def __repr__(self) -> str:
        return _once_repr(self, "aiologic.lowlevel.ThreadOnceLock")


def _once_init(self: Any) -> None:
    self._once_lock = _RLock()
    self._once_owner = None
    self._once_count = 0
    self._once_done = False


def _owned(self: Any) -> bool:
    if _is_owned is not None:
        return bool(_is_owned(self._once_lock))
    return bool(self._once_owner == get_ident())  # pragma: no cover - no native check


def _once_repr(self: Any, name: str) -> str:
    owner = self._once_owner
    locked = owner is not None and not self._once_done
    count = self._once_count if locked else 0
    return f"<{'locked' if locked else 'unlocked'} {name} object owner={owner if locked else None} count={count} at {id(self):#x}>"


def create_thread_oncelock() -> ThreadOnceLock:
    """A new `ThreadOnceLock`."""
    return ThreadOnceLock()


@_final
class ThreadDummyLock:
    """A reentrant lock that does nothing; `THREAD_DUMMY_LOCK` is its only
    instance (calling the class returns it)."""

    __slots__ = ("__weakref__",)

    def __new__(cls) -> "ThreadDummyLock":
        return THREAD_DUMMY_LOCK

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Return True at once: there is nothing to take."""
        return True

    def __enter__(self) -> bool:
        return True

    def release(self) -> None:
        """Do nothing (never raises, whoever calls it)."""
        pass

    def __exit__(self, *exc_info: object) -> None:
        pass

    def locked(self) -> bool:
        """Return False: the dummy lock is never held."""
        return False

    def _is_owned(self) -> bool:
        return False

    def __copy__(self) -> "ThreadDummyLock":
        return self

    def __deepcopy__(self, memo: object) -> "ThreadDummyLock":
        return self

    def __reduce__(self) -> str:
        return "THREAD_DUMMY_LOCK"

    def __repr__(self) -> str:
        return "aiologic.lowlevel.THREAD_DUMMY_LOCK"


THREAD_DUMMY_LOCK: ThreadDummyLock = object.__new__(ThreadDummyLock)
