"""One test body, every world.

A test body is an ``async def body(w, ...)`` written against the small API of
`World` below. Async worlds run it as a task of their library; green worlds
(threading, and later gevent and eventlet) drive the same coroutine by hand:
their operations never suspend, they block the thread or greenlet instead, so
the coroutine completes in one `send()`. Concurrency inside a body goes
through `w.spawn()`: a task in async worlds, a thread (or greenlet) in green
ones.

Adding a world is one line: in `WORLDS` for a built-in one (and a `World`
subclass if its library is new), or, for a third party's loop, one entry
point in the group ``aiologic_testing.worlds`` naming its `World` subclass::

    [project.entry-points."aiologic_testing.worlds"]
    someio = "aiologic_someio.testing:SomeioWorld"

Cross-world tests run bodies of several worlds at once, each in its own
thread (`run_in_threads`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import threading
import time
import warnings
from typing import Any, AsyncIterator, Callable, Coroutine, ClassVar, Dict, FrozenSet, List, Optional, Tuple, Type

__all__ = (
    "ENTRY_POINT_GROUP",
    "WORLDS",
    "AnyioAsyncioWorld",
    "AnyioTrioWorld",
    "AnyioWorld",
    "AsyncioWorld",
    "UvloopWorld",
    "Body",
    "CurioWorld",
    "EventletWorld",
    "GeventWorld",
    "Handle",
    "ThreadingWorld",
    "TrioWorld",
    "World",
    "all_worlds",
    "available_worlds",
    "drive",
    "make_world",
    "run_in_threads",
)

#: A test body: ``async def body(w, *args)``.
Body = Callable[..., Coroutine[Any, Any, Any]]


def drive(coro: Any) -> Any:
    """Run a coroutine that never suspends (a green world's body)."""
    try:
        coro.send(None)
    except StopIteration as exc:
        return exc.value
    coro.close()
    raise RuntimeError("a green body suspended: it awaited something of an async library")


class World:
    """How a test body blocks, sleeps, spawns and cancels in one world.

    A subclass describes its world with the class attributes below; a test
    that cannot apply to some worlds asks them (`can_cancel`, `supports()`,
    or the ``world_features`` marker), never for a world's name.
    """

    name: ClassVar[str] = "?"
    #: aiologic's name for the library (what `current_*_library()` says).
    library: ClassVar[str] = "?"
    is_async: ClassVar[bool] = True
    #: Tasks can be cancelled from outside (`cancel_after`, `Handle.cancel`).
    can_cancel: ClassVar[bool] = True
    #: Tasks woken together resume in the order they were woken (trio
    #: deliberately shuffles each batch of runnable tasks).
    resumes_in_wake_order: ClassVar[bool] = True
    #: Importable modules the world needs (its library and its aiologic
    #: backend); without them the world is not available.
    requires: ClassVar[Tuple[str, ...]] = ()
    #: What a body may use directly besides this API: the libraries whose
    #: own functions work in this world ("asyncio", "anyio", "trio"...). A
    #: test marked ``@pytest.mark.world_features("anyio")`` runs only in
    #: worlds that list "anyio".
    features: ClassVar[FrozenSet[str]] = frozenset()

    @classmethod
    def available(cls) -> bool:
        return all(importlib.util.find_spec(module) is not None for module in cls.requires)

    @classmethod
    def supports(cls, *features: str) -> bool:
        """Whether the world offers every one of `features`."""
        return frozenset(features) <= cls.features

    def run(self, body: Body, *args: Any) -> Any:
        """Run `body(self, *args)` in this world, in the calling thread."""
        raise NotImplementedError

    # -- primitive faces ---------------------------------------------------

    async def acquire(self, primitive: Any, **kwargs: Any) -> Any:
        if self.is_async:
            return await primitive.async_acquire(**kwargs)
        return primitive.green_acquire(**kwargs)

    def release(self, primitive: Any, *args: Any) -> Any:
        if self.is_async:
            return primitive.async_release(*args)
        return primitive.green_release(*args)

    def owned(self, primitive: Any) -> bool:
        return bool(primitive.async_owned() if self.is_async else primitive.green_owned())

    async def wait(self, primitive: Any, timeout: Optional[float] = None) -> Any:
        if self.is_async:
            return await primitive.with_(timeout)
        return primitive.wait(timeout)

    @contextlib.asynccontextmanager
    async def hold(self, primitive: Any) -> AsyncIterator[Any]:
        """``async with primitive`` or ``with primitive``, as the world uses it."""
        if self.is_async:
            async with primitive as bound:
                yield bound
        else:
            with primitive as bound:
                yield bound

    # -- scheduling ----------------------------------------------------------

    async def sleep(self, seconds: float) -> None:
        raise NotImplementedError

    async def spawn(self, body: Body, *args: Any) -> "Handle":
        raise NotImplementedError

    def cancel_after(self, seconds: float) -> Any:
        """A context manager (sync `with` in green worlds, `async with` in
        async ones... always entered with `async with`) that cancels what
        runs inside after `seconds`; its `.cancelled` tells whether it did."""
        raise NotImplementedError

    def cancelled_exception(self) -> Any:
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.name


class Handle:
    """A spawned task or thread."""

    async def join(self) -> Any:
        raise NotImplementedError

    def cancel(self) -> None:
        raise NotImplementedError


# -- threading ---------------------------------------------------------------


class _ThreadHandle(Handle):
    def __init__(self, world: "ThreadingWorld", body: Body, args: Tuple[Any, ...]) -> None:
        self.result: Any = None
        self.error: Optional[BaseException] = None

        def target() -> None:
            try:
                self.result = drive(body(world, *args))
            except BaseException as exc:  # reported by join()
                self.error = exc

        self.thread = threading.Thread(target=target, daemon=True)
        self.thread.start()

    async def join(self) -> Any:
        self.thread.join(30)
        if self.thread.is_alive():
            raise TimeoutError("spawned thread did not finish in 30 s")
        if self.error is not None:
            raise self.error
        return self.result

    def cancel(self) -> None:
        raise RuntimeError("threads cannot be cancelled")


class ThreadingWorld(World):
    name = "threading"
    library = "threading"
    is_async = False
    can_cancel = False

    def run(self, body: Body, *args: Any) -> Any:
        return drive(body(self, *args))

    async def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    async def spawn(self, body: Body, *args: Any) -> Handle:
        return _ThreadHandle(self, body, args)


# -- asyncio -----------------------------------------------------------------


class _AsyncioHandle(Handle):
    def __init__(self, task: Any) -> None:
        self.task = task

    async def join(self) -> Any:
        return await self.task

    def cancel(self) -> None:
        self.task.cancel()


class _AsyncioCancelAfter:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.cancelled = False

    async def __aenter__(self) -> "_AsyncioCancelAfter":
        import asyncio

        task = asyncio.current_task()
        assert task is not None

        def fire() -> None:
            self.cancelled = True
            task.cancel()

        self._handle = asyncio.get_running_loop().call_later(self.seconds, fire)
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        import asyncio

        self._handle.cancel()
        if self.cancelled and exc_type is asyncio.CancelledError:
            task = asyncio.current_task()
            if hasattr(task, "uncancel"):
                task.uncancel()  # type: ignore[union-attr]
            return True
        return False


class AsyncioWorld(World):
    name = "asyncio"
    library = "asyncio"
    requires: ClassVar[Tuple[str, ...]] = ("aiologic_asyncio",)
    features = frozenset({"asyncio"})

    def run(self, body: Body, *args: Any) -> Any:
        import asyncio

        return asyncio.run(body(self, *args))

    async def sleep(self, seconds: float) -> None:
        import asyncio

        await asyncio.sleep(seconds)

    async def spawn(self, body: Body, *args: Any) -> Handle:
        import asyncio

        return _AsyncioHandle(asyncio.ensure_future(body(self, *args)))

    def cancel_after(self, seconds: float) -> Any:
        return _AsyncioCancelAfter(seconds)

    def cancelled_exception(self) -> Any:
        import asyncio

        return asyncio.CancelledError


class UvloopWorld(AsyncioWorld):
    """asyncio on uvloop's event loop (CPython, POSIX)."""

    name = "uvloop"
    library = "asyncio"
    requires: ClassVar[Tuple[str, ...]] = ("uvloop", "aiologic_asyncio")

    def run(self, body: Body, *args: Any) -> Any:
        import uvloop

        # A loop of its own, not a policy: nothing leaks into other worlds
        # that run later in this thread or in parallel ones.
        loop = uvloop.new_event_loop()
        try:
            return loop.run_until_complete(body(self, *args))
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()


# -- trio --------------------------------------------------------------------


class _ScopedHandle(Handle):
    """A task started in a nursery or task group (trio, anyio), with a cancel
    scope of its own so that `cancel()` cancels just that task."""

    def __init__(
        self,
        world: World,
        body: Body,
        args: Tuple[Any, ...],
        *,
        start_soon: Callable[..., Any],
        event: Any,
        scope: Any,
        cancelled: Any,
        cancelled_error: Callable[[], BaseException],
    ) -> None:
        self.done = event
        self.scope = scope
        self.result: Any = None
        self.error: Optional[BaseException] = None

        async def runner() -> None:
            with scope:
                try:
                    self.result = await body(world, *args)
                except BaseException as exc:
                    self.error = exc
                    if isinstance(exc, cancelled):
                        raise
                finally:
                    self.done.set()
            if scope.cancelled_caught and self.error is None:
                self.error = cancelled_error()

        start_soon(runner)

    async def join(self) -> Any:
        await self.done.wait()
        if self.error is not None:
            raise self.error
        return self.result

    def cancel(self) -> None:
        self.scope.cancel()


class _ScopeCancelAfter:
    """`World.cancel_after` for libraries with cancel scopes (trio, anyio):
    a `move_on_after` scope, entered with `async with`."""

    def __init__(self, scope: Any) -> None:
        self._scope = scope

    @property
    def cancelled(self) -> bool:
        return bool(self._scope.cancelled_caught)

    async def __aenter__(self) -> "_ScopeCancelAfter":
        self._scope.__enter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> bool:
        return bool(self._scope.__exit__(*exc_info))


class TrioWorld(World):
    name = "trio"
    library = "trio"
    requires = ("trio", "aiologic_trio")
    features = frozenset({"trio"})
    resumes_in_wake_order = False

    def run(self, body: Body, *args: Any) -> Any:
        import trio

        async def main() -> Any:
            async with trio.open_nursery() as nursery:
                self.nursery = nursery
                result = await body(self, *args)
            return result

        return trio.run(main)

    async def sleep(self, seconds: float) -> None:
        import trio

        await trio.sleep(seconds)

    async def spawn(self, body: Body, *args: Any) -> Handle:
        import trio

        return _ScopedHandle(
            self,
            body,
            args,
            start_soon=self.nursery.start_soon,
            event=trio.Event(),
            scope=trio.CancelScope(),
            cancelled=trio.Cancelled,
            cancelled_error=lambda: RuntimeError("cancelled"),  # trio.Cancelled cannot be made
        )

    def cancel_after(self, seconds: float) -> Any:
        import trio

        return _ScopeCancelAfter(trio.move_on_after(seconds))

    def cancelled_exception(self) -> Any:
        import trio

        return trio.Cancelled


# -- curio -------------------------------------------------------------------


class _CurioHandle(Handle):
    def __init__(self, world: "CurioWorld", task: Any) -> None:
        self.world = world
        self.task = task

    async def join(self) -> Any:
        # Like asyncio's: the task's own exception (a cancelled task's
        # TaskCancelled included), not curio's TaskError wrapper.
        await self.task.wait()
        self.task.joined = True
        error = self.task.exception
        if error is not None:
            raise error
        return self.task.result

    def cancel(self) -> None:
        # `Task.cancel()` is a coroutine, and `Handle.cancel()` is not: call
        # the kernel's cancel trap itself, as a task's trap would (from a task
        # of the same kernel, in its thread). A running task gets the
        # cancellation at its next blocking call.
        import curio.meta

        kernel = curio.meta._locals.__dict__.get("kernel")
        if kernel is None or kernel is not self.world.kernel:
            raise RuntimeError("curio tasks are cancelled from a task of their own kernel")
        kernel._traps["trap_cancel_task"](self.task)


class _CurioCancelAfter:
    def __init__(self, seconds: float) -> None:
        import curio

        self._scope = curio.ignore_after(seconds)

    @property
    def cancelled(self) -> bool:
        return bool(self._scope.expired)

    async def __aenter__(self) -> "_CurioCancelAfter":
        await self._scope.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> bool:
        return bool(await self._scope.__aexit__(*exc_info))


class CurioWorld(World):
    name = "curio"
    library = "curio"
    requires = ("curio", "aiologic_curio")
    features = frozenset({"curio"})
    kernel: Any = None

    def run(self, body: Body, *args: Any) -> Any:
        import curio
        from curio.traps import _get_kernel

        async def main() -> Any:
            self.kernel = await _get_kernel()
            return await body(self, *args)

        return curio.run(main)

    async def sleep(self, seconds: float) -> None:
        import curio

        await curio.sleep(seconds)

    async def spawn(self, body: Body, *args: Any) -> Handle:
        import curio

        return _CurioHandle(self, await curio.spawn(body, self, *args))

    def cancel_after(self, seconds: float) -> Any:
        return _CurioCancelAfter(seconds)

    def cancelled_exception(self) -> Any:
        import curio

        return curio.TaskCancelled


# -- anyio (on any backend) --------------------------------------------------




class AnyioWorld(World):
    backend: ClassVar[str] = "asyncio"
    requires: ClassVar[Tuple[str, ...]] = ("anyio", "aiologic_asyncio")
    features = frozenset({"anyio", "asyncio"})

    def run(self, body: Body, *args: Any) -> Any:
        import anyio

        async def main() -> Any:
            async with anyio.create_task_group() as group:
                self.group = group
                result = await body(self, *args)
            return result

        return anyio.run(main, backend=self.backend)

    async def sleep(self, seconds: float) -> None:
        import anyio

        await anyio.sleep(seconds)

    async def spawn(self, body: Body, *args: Any) -> Handle:
        import anyio

        cancelled = anyio.get_cancelled_exc_class()
        return _ScopedHandle(
            self,
            body,
            args,
            start_soon=self.group.start_soon,
            event=anyio.Event(),
            scope=anyio.CancelScope(),
            cancelled=cancelled,
            cancelled_error=cancelled,
        )

    def cancel_after(self, seconds: float) -> Any:
        import anyio

        return _ScopeCancelAfter(anyio.move_on_after(seconds))

    def cancelled_exception(self) -> Any:
        import anyio

        return anyio.get_cancelled_exc_class()


class AnyioAsyncioWorld(AnyioWorld):
    name = "anyio-asyncio"
    library = "asyncio"
    backend = "asyncio"


class AnyioTrioWorld(AnyioWorld):
    name = "anyio-trio"
    library = "trio"
    backend = "trio"
    requires = ("anyio", "trio", "aiologic_trio")
    features = frozenset({"anyio", "trio"})
    resumes_in_wake_order = False


# -- gevent and eventlet (a hub in a dedicated thread, no monkey-patching) ----


def _in_dedicated_thread(name: str, function: Callable[[], Any]) -> Any:
    """Call `function` in a new thread and return its result (or raise its
    error) here: a hub lives and dies with the thread that made it."""
    box: Dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = function()
        except BaseException as exc:  # re-raised in the caller
            box["error"] = exc

    thread = threading.Thread(target=target, name=f"aiologic-testing-{name}", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("result")


class _GreenCancelAfter:
    """`World.cancel_after` for gevent and eventlet: the library's
    `Timeout`, thrown into the greenlet that entered the block."""

    def __init__(self, start: Callable[[], Any]) -> None:
        self._start = start
        self._timeout: Any = None
        self.cancelled = False

    async def __aenter__(self) -> "_GreenCancelAfter":
        self._timeout = self._start()
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        self._timeout.cancel()
        if exc is not None and exc is self._timeout:
            self.cancelled = True
            return True
        return False


class _GreenletHandle(Handle):
    def __init__(self, glet: Any, kill: Callable[[Any], None]) -> None:
        self.glet = glet
        self._kill = kill

    async def join(self) -> Any:
        raise NotImplementedError

    def cancel(self) -> None:
        self._kill(self.glet)


class _GeventHandle(_GreenletHandle):
    async def join(self) -> Any:
        from greenlet import GreenletExit

        self.glet.join(30)
        if not self.glet.ready():
            raise TimeoutError("spawned greenlet did not finish in 30 s")
        if isinstance(self.glet.value, GreenletExit):  # gevent reports a kill as a result
            raise self.glet.value
        return self.glet.get()


class _EventletHandle(_GreenletHandle):
    async def join(self) -> Any:
        return self.glet.wait()


class GeventWorld(World):
    """Greenlets of a gevent hub in a thread of its own (no patching)."""

    name = "gevent"
    library = "gevent"
    is_async = False
    requires = ("gevent", "aiologic_greenlet")
    features = frozenset({"gevent"})

    def run(self, body: Body, *args: Any) -> Any:
        def main() -> Any:
            import gevent

            hub = gevent.get_hub()  # the thread is gevent's from now on
            try:
                return drive(body(self, *args))
            finally:
                hub.destroy(destroy_loop=True)

        return _in_dedicated_thread(self.name, main)

    async def sleep(self, seconds: float) -> None:
        import gevent

        gevent.sleep(seconds)

    async def spawn(self, body: Body, *args: Any) -> Handle:
        import gevent

        return _GeventHandle(gevent.spawn(drive, body(self, *args)), lambda g: g.kill(block=False))

    def cancel_after(self, seconds: float) -> Any:
        import gevent

        return _GreenCancelAfter(lambda: gevent.Timeout.start_new(seconds))

    def cancelled_exception(self) -> Any:
        import gevent
        from greenlet import GreenletExit

        return (GreenletExit, gevent.Timeout)


class EventletWorld(World):
    """Greenthreads of an eventlet hub in a thread of its own (no patching)."""

    name = "eventlet"
    library = "eventlet"
    is_async = False
    requires = ("eventlet", "aiologic_greenlet")
    features = frozenset({"eventlet"})

    @classmethod
    def available(cls) -> bool:
        # eventlet's first import makes a copy of the threading module, whose
        # main-thread object takes over the importing thread's end-of-thread
        # lock: a thread that imports eventlet first can never be joined.
        # So it is imported here, in the thread that collects the tests.
        if not super().available():
            return False
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # eventlet announces its deprecation
            import eventlet.hubs  # noqa: F401
        return True

    def run(self, body: Body, *args: Any) -> Any:
        self.available()  # imported before any thread of ours (see above)

        def main() -> Any:
            import eventlet.hubs

            hub = eventlet.hubs.get_hub()  # the thread is eventlet's from now on
            try:
                return drive(body(self, *args))
            finally:
                # A hub left suspended in its loop would be killed when the
                # thread ends, and eventlet's loop swallows that and sleeps
                # on: let it finish its loop and return here first.
                if hub.running:
                    hub.abort(wait=True)

        return _in_dedicated_thread(self.name, main)

    async def sleep(self, seconds: float) -> None:
        import eventlet

        eventlet.sleep(seconds)

    async def spawn(self, body: Body, *args: Any) -> Handle:
        import eventlet

        return _EventletHandle(eventlet.spawn(drive, body(self, *args)), lambda g: g.kill())

    def cancel_after(self, seconds: float) -> Any:
        import eventlet

        return _GreenCancelAfter(lambda: eventlet.Timeout(seconds))

    def cancelled_exception(self) -> Any:
        import eventlet
        from greenlet import GreenletExit

        return (GreenletExit, eventlet.Timeout)


#: The built-in worlds, by name. One line per world.
WORLDS: Dict[str, Type[World]] = {
    "threading": ThreadingWorld,
    "asyncio": AsyncioWorld,
    "anyio-asyncio": AnyioAsyncioWorld,
    "trio": TrioWorld,
    "anyio-trio": AnyioTrioWorld,
    "uvloop": UvloopWorld,
    "curio": CurioWorld,
    "gevent": GeventWorld,
    "eventlet": EventletWorld,
}

#: The entry-point group through which other distributions add worlds
#: (name -> `World` subclass).
ENTRY_POINT_GROUP = "aiologic_testing.worlds"

_registered: Optional[Dict[str, Type[World]]] = None
_registering = threading.Lock()


def _load_registered() -> Dict[str, Type[World]]:
    if sys.version_info >= (3, 10):
        from importlib.metadata import entry_points
    else:
        from importlib_metadata import entry_points

    found: Dict[str, Type[World]] = {}
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
        dist = getattr(getattr(ep, "dist", None), "name", "?")
        if ep.name in WORLDS or ep.name in found:
            warnings.warn(f"aiologic-testing: {dist} registers a second world named {ep.name!r}; ignored", stacklevel=2)
            continue
        try:
            cls = ep.load()
        except Exception as exc:
            warnings.warn(f"aiologic-testing: the world {ep.name!r} of {dist} does not load: {exc!r}", stacklevel=2)
            continue
        if not (isinstance(cls, type) and issubclass(cls, World)):
            warnings.warn(f"aiologic-testing: {ep.value} ({dist}) is not a World subclass", stacklevel=2)
            continue
        found[ep.name] = cls
    return found


def all_worlds() -> Dict[str, Type[World]]:
    """The built-in worlds, then those other distributions register (their
    entry points are read once per process)."""
    global _registered
    with _registering:
        if _registered is None:
            _registered = _load_registered()
    return {**WORLDS, **_registered}


def available_worlds() -> List[str]:
    """The names of the worlds whose libraries are installed."""
    return [name for name, cls in all_worlds().items() if cls.available()]


def make_world(name: str) -> World:
    return all_worlds()[name]()


def run_in_threads(*jobs: Tuple[Any, ...], timeout: float = 30) -> List[Any]:
    """Run ``(world_name, body, *args)`` jobs at once, each in a thread of its
    own running its world; return their results in order, or raise the
    first error."""
    results: List[Any] = [None] * len(jobs)
    errors: List[Optional[BaseException]] = [None] * len(jobs)
    # Each world's libraries are imported here first: two threads importing
    # one library for the first time at once may see it half initialized
    # (trio's `_threads` has been seen failing so).
    for job in jobs:
        for module in all_worlds()[job[0]].requires:
            importlib.import_module(module)

    def target(index: int, world_name: str, body: Body, args: Tuple[Any, ...]) -> None:
        try:
            results[index] = make_world(world_name).run(body, *args)
        except BaseException as exc:
            errors[index] = exc

    threads = [
        threading.Thread(target=target, args=(i, job[0], job[1], job[2:]), daemon=True) for i, job in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    if any(thread.is_alive() for thread in threads):
        raise TimeoutError(f"cross-world jobs did not finish in {timeout} s")
    for error in errors:
        if error is not None:
            raise error
    return results
