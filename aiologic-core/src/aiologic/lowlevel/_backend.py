"""The backend interface: what the core asks of a concurrency library.

The core knows no library by itself. Everything library-specific (how to tell
that code runs inside the library, which task is calling, how to suspend and
wake that task, checkpoints, time, shielding, the unpatched originals of a
library that monkey-patches) is behind this one abstract class, public as
`aiologic.backends.Backend`. The threading backend in
`aiologic.lowlevel._threading_backend` and the `aiologic-asyncio` plugin are
complete implementations to copy from; ``docs/writing-a-backend.md`` walks
through a third party's, the `aiologic-exampleloop` distribution in
``examples/exampleloop/``.

A plugin publishes one instance through the entry-point group
``aiologic.backends``, under the library's name as sniffio says it::

    [project.entry-points."aiologic.backends"]
    someio = "aiologic_someio:backend"

Two kinds exist. An *async* backend serves coroutines: its `create_waiter`
returns an `AsyncWaiter`, and `checkpoint`, `checkpoint_before`,
`checkpoint_after`, `sleep` are coroutine functions. A *green* backend serves
code that blocks the calling thread or greenlet: the same members are plain
functions and `create_waiter` returns a `GreenWaiter`. A green library's
hub (its scheduler, the greenlet that runs the event loop) cannot block:
`running()` is true in every greenlet of a thread whose hub exists, the hub
included, and `create_waiter()` raises `RuntimeError` when called from the
hub greenlet itself, so that a blocking call made from the hub fails loudly
instead of hanging the thread.

A backend keeps its per-scheduler state (what a task is waiting for, a
cached "current task") where the scheduler itself keeps its own: in the
event loop, kernel or hub object, or in a thread-local for a library with one
scheduler per thread. A library without a synchronous "current task" (curio:
only a coroutine can ask its kernel) records the task per kernel or thread
when it can (a task factory, a kernel hook) and answers `fast_current_task`
from that record; the core calls it on every hot path, so it must never
import, ask the library's scheduler or raise.

Contract for every member marked *cheap*: it runs on the hot paths of the
primitives, so it must not import, allocate more than it returns, take locks,
or ask other libraries. It may read a thread-local, a context variable, or a
module that the library itself has already imported.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable, ClassVar, Optional

__all__ = ("API_VERSION", "Backend")

#: The version of this interface. A backend states the version it was written
#: for in `Backend.api_version`; the registry refuses a backend whose version
#: is newer than the core's (it may use members the core does not call) and
#: accepts older ones for as long as their members keep their meaning.
#:
#: Deprecation policy: a new optional member, with a default here that keeps
#: the former behaviour, does not change the version (`original` and the
#: documented rules for green hubs, wake-ups and timeouts came that way). A
#: new required member, or a member whose meaning changes, raises the version
#: by one; for at least one further release series the core keeps serving
#: backends of the previous version, with a `DeprecationWarning` naming their
#: distribution when they load, and only then refuses them.
API_VERSION = 1


class Backend(ABC):
    """One concurrency library, as the aiologic core sees it."""

    #: The interface version this backend was written for: write the number
    #: (`API_VERSION` would claim versions the backend has never seen). A
    #: backend that does not say is taken as written for version 1.
    api_version: ClassVar[int] = 1

    #: The library's name as users and sniffio say it: ``"asyncio"``,
    #: ``"trio"``, ``"gevent"``... Also the entry point's name. Detection
    #: loads a third-party backend once a module of this name is imported
    #: (loading it imports the library), so it is normally the name of
    #: `root_module`; a library named otherwise is found through sniffio's
    #: markers only.
    name: ClassVar[str]

    #: ``"async"`` or ``"green"`` (see the module docstring).
    kind: ClassVar[str]

    #: The top-level module of the library. Its presence in `sys.modules`
    #: tells the core that the library may be in use; the core never imports
    #: it on the library's behalf.
    root_module: ClassVar[str]

    #: The distribution to install for this backend, for error messages.
    distribution: ClassVar[str] = ""

    #: Whether Trio-style checkpoints are on by default for this library
    #: (true for trio; false for everything else unless a library's
    #: conventions say otherwise). Environment variables and
    #: `enable_checkpoints()` override it.
    checkpoints_default: ClassVar[bool] = False

    #: Detection priority when several libraries run in one thread: the
    #: highest value that answers `running()` wins. trio 30, curio 20,
    #: third-party loops 15, asyncio 10; green: gevent 20, eventlet 10.
    priority: ClassVar[int] = 15

    # -- detection and identity ------------------------------------------------

    @abstractmethod
    def running(self) -> bool:
        """Whether the calling code runs inside this library in this thread.

        *Cheap.* Async: a loop of this library is running in this thread.
        Green: this thread has a hub, running or not; the hub greenlet
        itself counts too (it cannot block: see `create_waiter`)."""

    @abstractmethod
    def current_task(self) -> Any:
        """The task that is calling: an asyncio `Task`, a trio `Task`, a
        greenlet, a `threading.Thread`... *Cheap.* Its `id()` is the
        identifier of ownership (`Lock.owner`): it must stay the same object
        for the task's whole life."""

    @abstractmethod
    def current_token(self) -> Any:
        """The scheduler the calling task runs under: the event loop, the
        trio token, the hub, or the thread."""

    def task_ident_number(self, task: Any) -> int:
        """The number in a task identifier ``(name, number)``; `id(task)` by
        default. The threading backend uses the thread identifier."""
        return id(task)

    def runs_in_this_thread(self, number: int) -> bool:
        """Whether the task whose identifier number is `number` belongs to a
        scheduler of this library running in the calling thread. The core
        asks before it blocks a whole thread for a lock that such a task
        holds (a certain deadlock, reported as an error instead). May be
        slow; the default answers False."""
        return False

    # -- waiting -------------------------------------------------------------

    @abstractmethod
    def create_waiter(self, *, shield: bool = False) -> Any:
        """A new one-shot waiter for the calling task: a `GreenWaiter` for a
        green backend, an `AsyncWaiter` for an async one.

        It is created in the task that will wait, in its own thread. A green
        backend raises `RuntimeError` when it is called from its hub greenlet
        (a blocking call from the hub would hang the whole thread).

        Its `wake()` may be called from any thread, event loop, finalizer or
        signal handler, any number of times, and never blocks nor raises. It
        goes through the library's local scheduling only when the caller is
        a task of the waiter's own scheduler, running in that scheduler's
        thread; from anywhere else it takes the library's thread-safe path
        (at most one system call). That includes the scheduler's own thread
        between tasks: a signal handler or a garbage-collector finalizer may
        run there while the loop is about to sleep in ``select()``, and a
        wake-up scheduled locally then would be lost until something else
        wakes the loop. A wake-up that comes before the wait starts must not
        be lost.

        Waiting returns True when woken and False when the timeout expired;
        cancellation propagates as the library's own exception. A timeout is
        never longer than `seconds_per_timeout` (the core splits longer waits
        and re-waits against its deadline), and it must be measured on fresh
        time: never return False before `timeout` seconds of
        `time.monotonic()` have passed, even where the library's loop clock
        lags behind (gevent's is updated once per loop iteration). With
        ``shield=True`` the wait ignores outside cancellation and any
        timeout, and a cancellation that arrived meanwhile is re-raised after
        the wake-up."""

    # -- checkpoints -----------------------------------------------------------

    @abstractmethod
    def checkpoint(self) -> Any:
        """One checkpoint: a schedule point and a cancel point (a coroutine
        function for async backends). A threading checkpoint yields the
        processor."""

    @abstractmethod
    def checkpoint_before(self) -> Any:
        """The first half of a checkpoint that surrounds an action: raises
        the pending cancellation, if any, before the action changes state.
        Together with `checkpoint_after` it makes exactly one checkpoint (one
        context switch). Trio checks for cancellation without switching; a
        library that cannot ask whether it is cancelled switches here."""

    @abstractmethod
    def checkpoint_after(self) -> Any:
        """The second half: the schedule point, if `checkpoint_before` did
        not make it. Never raises cancellation (the action has happened)."""

    # -- time and shielding ----------------------------------------------------

    @abstractmethod
    def clock(self) -> float:
        """The library's own monotonic clock."""

    @abstractmethod
    def sleep(self, seconds: float) -> Any:
        """Suspend the calling task for `seconds` (a coroutine function for
        async backends). `seconds` is already validated and finite."""

    #: The longest single sleep the library performs, in seconds; the core
    #: splits longer ones.
    seconds_per_sleep: ClassVar[float] = float("inf")

    #: The longest timeout the library accepts in one call, in seconds. The
    #: core never passes a waiter a longer one: it splits a longer wait and
    #: waits again until its own deadline has passed.
    seconds_per_timeout: ClassVar[float] = float("inf")

    @abstractmethod
    def shield(self, wrapped: Any) -> Any:
        """Protect an operation from outside cancellation.

        Async backends: given an awaitable, return an awaitable that runs it
        to completion even if the calling task is cancelled meanwhile, then
        re-raises that cancellation. Green backends: given a callable that
        takes no arguments, return a callable that takes none and does the
        same for the call (gevent and eventlet hold back `GreenletExit` and
        `Timeout` until it returns; threading has nothing to hold back and
        returns `wrapped` itself). Only the library's own cancellation is
        held back, never `KeyboardInterrupt`. `aiologic.lowlevel.shield`
        is built on this."""

    # -- optional hooks --------------------------------------------------------

    #: A cheaper `current_task` for hot paths, if the library has one: a
    #: callable (ideally a C function) that returns the current task, or None
    #: when the caller does not run in this library in this thread. It must
    #: never raise: the core calls it to ask both questions at once.
    fast_current_task: Optional[Callable[[], Any]] = None

    #: Likewise for `task_ident_number(current_task())`, when the library can
    #: answer without the task object (threading: `threading.get_ident`).
    fast_task_ident_number: Optional[Callable[[], int]] = None

    #: True if the library always names itself in one of sniffio's markers
    #: (``sniffio.thread_local.name`` or the context variable) while its code
    #: runs, as trio does. Since the markers are read first, the core then
    #: never needs to probe this library when both markers are empty: the
    #: hot paths of the other libraries skip its probe.
    sets_sniffio_marker: ClassVar[bool] = False

    def original(self, module: str, name: str) -> Any:
        """The object `module.name` as it was before this library
        monkey-patched it (``original("_thread", "allocate_lock")``), for a
        library that patches the standard library as gevent and eventlet do.

        The core keeps its own locks, thread identifiers and thread-locals at
        the level of OS threads whatever is patched. When a backend that
        overrides this method loads, the core adds it to the lookups it asks
        for those originals while `root_module` is imported. Raises
        `LookupError` for an object the library did not patch; the default
        (a library that patches nothing) always does."""
        raise LookupError(f"{self.name} does not patch {module}.{name}")

    def __repr__(self) -> str:
        return f"<aiologic backend {self.name!r} ({self.kind}) from {type(self).__module__}>"
