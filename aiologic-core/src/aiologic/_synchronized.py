"""`synchronized`: run a function, a method or a block under a lock."""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Optional, Tuple, TypeVar, overload

from .lowlevel._originals import allocate_lock
from ._rlock import RLock

__all__ = ("synchronized",)

_F = TypeVar("_F", bound=Callable[..., Any])
_S = TypeVar("_S", bound="_Synchronizer")

_ATTRIBUTE = "_synchronized_lock"

# Taken only to create the lock of an object without a plain `__dict__`
# (where `dict.setdefault` would make racing creators agree).
_creating = allocate_lock()

_AIOLOGIC, _THREAD, _ASYNC = "aiologic", "thread", "async"


def _object_lock(obj: Any) -> Optional[RLock]:
    """The `RLock` stored on `obj`, created on first use; None if `obj`
    takes no attributes."""
    namespace = getattr(obj, "__dict__", None)
    if type(namespace) is dict:
        lock = namespace.get(_ATTRIBUTE)
        if lock is None:
            lock = namespace.setdefault(_ATTRIBUTE, RLock())  # racing creators agree
        return lock  # type: ignore[no-any-return]
    lock = getattr(obj, _ATTRIBUTE, None)
    if lock is None:
        with _creating:
            lock = getattr(obj, _ATTRIBUTE, None)
            if lock is None:
                lock = RLock()
                try:
                    setattr(obj, _ATTRIBUTE, lock)
                except (AttributeError, TypeError):
                    return None
    return lock


def _is_method(func: Callable[..., Any]) -> bool:
    """Whether `func` was defined in a class body (its qualified name says
    so) and takes the instance (or class) first."""
    parts = getattr(func, "__qualname__", "").split(".")
    code = getattr(func, "__code__", None)
    return len(parts) >= 2 and parts[-2] != "<locals>" and code is not None and code.co_argcount >= 1


def _wrap_function(func: Callable[..., Any]) -> Callable[..., Any]:
    own = RLock()
    method = _is_method(func)

    def lock_for(args: Tuple[Any, ...]) -> RLock:
        # A method locks the instance it is called on (falling back to the
        # function's own lock for an instance that takes no attributes).
        if method and args:
            lock = _object_lock(args[0])
            if lock is not None:
                return lock
        return own

    wrapper: Any
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            async with lock_for(args):
                return await func(*args, **kwargs)

    else:

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with lock_for(args):
                return func(*args, **kwargs)

    wrapper._synchronized_lock = own
    return wrapper  # type: ignore[no-any-return]


def _lock_kind(lock: Any) -> Optional[str]:
    if all(hasattr(lock, name) for name in ("green_acquire", "green_release", "async_acquire", "async_release")):
        return _AIOLOGIC
    acquire = getattr(lock, "acquire", None)
    if acquire is None or not hasattr(lock, "release"):
        return None
    return _ASYNC if inspect.iscoroutinefunction(acquire) else _THREAD


class _Synchronizer:
    """What `synchronized(lock)` returns: a decorator, and a context manager
    for ``with`` and ``async with``, that hold `lock`."""

    __slots__ = ("_lock", "_kind")

    def __init__(self, lock: Any, kind: str) -> None:
        self._lock = lock
        self._kind = kind

    @property
    def lock(self) -> Any:
        """The lock this synchronizer takes."""
        return self._lock

    def __repr__(self) -> str:
        return f"<aiologic.synchronized({self._lock!r}) at {id(self):#x}>"

    def __call__(self, func: _F) -> _F:
        wrapper: Any
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                async with self:
                    return await func(*args, **kwargs)

        elif self._kind == _ASYNC:
            raise TypeError(f"{self._lock!r} is an async lock: it can only synchronize async functions")
        else:

            @functools.wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                with self:
                    return func(*args, **kwargs)

        return wrapper  # type: ignore[no-any-return]

    def __enter__(self: _S) -> _S:
        lock = self.lock
        if self._kind == _AIOLOGIC:
            lock.green_acquire()
        elif self._kind == _THREAD:
            result = lock.acquire()
            if inspect.isawaitable(result):  # an async lock in disguise (a wrapped `acquire`)
                self._kind = _ASYNC
                if inspect.iscoroutine(result):
                    result.close()
                raise TypeError(f"{lock!r} is an async lock: use `async with`")
        else:
            raise TypeError(f"{lock!r} is an async lock: use `async with`")
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        lock = self.lock
        if self._kind == _AIOLOGIC:
            lock.green_release()
        else:
            lock.release()

    async def __aenter__(self: _S) -> _S:
        lock = self.lock
        if self._kind == _AIOLOGIC:
            await lock.async_acquire()
        else:
            # A thread lock is taken synchronously; an async lock's `acquire`
            # returns an awaitable (also when it does not look like a
            # coroutine function, wrapped by a decorator).
            result = lock.acquire()
            if inspect.isawaitable(result):
                await result
        return self

    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> None:
        lock = self.lock
        if self._kind == _AIOLOGIC:
            lock.async_release()
            return
        result = lock.release()
        if inspect.isawaitable(result):
            await result


class _ObjectSynchronizer(_Synchronizer):
    """What `synchronized(obj)` returns for an object that is neither a
    function nor a lock: the `RLock` stored on it, created on first use."""

    __slots__ = ()

    def __init__(self, obj: Any) -> None:
        super().__init__(obj, _AIOLOGIC)

    @property
    def lock(self) -> Any:
        lock = _object_lock(self._lock)
        if lock is None:
            raise TypeError(f"cannot store a lock on {self._lock!r}: it takes no attributes")
        return lock

    def __call__(self, func: _F) -> _F:
        raise TypeError("synchronized(obj) is a context manager, not a decorator")


@overload
def synchronized(wrapped: _F, /) -> _F: ...  # type: ignore[overload-overlap]


@overload
def synchronized(wrapped: object, /) -> _Synchronizer: ...


def synchronized(wrapped: Any, /) -> Any:
    """Synchronize a function, or make a synchronizer for a lock or object.

    * A function (plain or ``async def``) or method: every call runs under
      an `RLock`, taken through the green side for a plain function and
      through the async side for a coroutine function. A function has its
      own lock (``wrapper._synchronized_lock``); a method defined in a class
      body locks the instance it is called on (its ``_synchronized_lock``).
    * A lock (aiologic's, a ``threading``-style one, or an async one whose
      ``acquire`` is a coroutine function): a decorator and context manager
      (``with``, ``async with``) that hold it.
    * Any other object: a context manager over the `RLock` stored on it as
      ``_synchronized_lock``, created on first use.
    """
    if inspect.isroutine(wrapped) or isinstance(wrapped, functools.partial):
        return _wrap_function(wrapped)
    kind = _lock_kind(wrapped)
    if kind is not None:
        return _Synchronizer(wrapped, kind)
    return _ObjectSynchronizer(wrapped)
