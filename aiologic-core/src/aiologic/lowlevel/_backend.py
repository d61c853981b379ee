"""The backend interface: what the core asks of a concurrency library.

The core knows no library by itself. Everything library-specific (how to tell
that code runs inside the library, which task is calling, how to suspend and
wake that task, checkpoints, time, shielding) is behind this one abstract
class. The threading backend in `aiologic.lowlevel._threading_backend` and the
`aiologic-asyncio` plugin are complete implementations to copy from;
``docs/writing-a-backend.md`` walks through a third party's, the
`aiologic-exampleloop` distribution in ``examples/exampleloop/``.

A plugin publishes one instance through the entry-point group
``aiologic.backends``, under the library's name as sniffio says it::

    [project.entry-points."aiologic.backends"]
    someio = "aiologic_someio:backend"

Two kinds exist. An *async* backend serves coroutines: its `create_waiter`
returns an `AsyncWaiter`, and `checkpoint`, `checkpoint_before`,
`checkpoint_after`, `sleep` are coroutine functions. A *green* backend serves
code that blocks the calling thread or greenlet: the same members are plain
functions and `create_waiter` returns a `GreenWaiter`.

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
#: accepts older ones for as long as their members keep their meaning. Changes
#: follow the deprecation policy of ``docs/writing-a-backend.md``.
API_VERSION = 1


class Backend(ABC):
    """One concurrency library, as the aiologic core sees it."""

    #: The interface version this backend implements (see `API_VERSION`).
    api_version: ClassVar[int] = API_VERSION

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
        Green: this thread has a hub (running or not) and the caller is not
        the hub itself (the hub cannot block; see `current_task`)."""

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

        It is created in the task that will wait, in its own thread. Its
        `wake()` may be called from any thread, event loop, finalizer or
        signal handler, any number of times, and never blocks: in the
        waiter's own thread it goes through the library's local scheduling,
        from another thread through its thread-safe path. A wake-up that
        comes before the wait starts must not be lost.

        Waiting returns True when woken and False when the timeout expired
        (never before `timeout` seconds of `time.monotonic()` have passed);
        cancellation propagates as the library's own exception. With
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

    #: The longest single sleep the library performs, in seconds; longer
    #: ones are split by the caller.
    seconds_per_sleep: ClassVar[float] = float("inf")

    #: The longest timeout the library accepts in one call, in seconds.
    seconds_per_timeout: ClassVar[float] = float("inf")

    @abstractmethod
    def shield(self, wrapped: Any) -> Any:
        """Run an awaitable (async) or a call (green) to completion even if
        the calling task is cancelled meanwhile, then re-raise the
        cancellation."""

    # -- optional hooks --------------------------------------------------------

    #: A cheaper `current_task` for hot paths, if the library has one: a
    #: callable (ideally a C function) that returns the current task, or None
    #: when the caller does not run in this library in this thread. It must
    #: never raise: the core calls it to ask both questions at once.
    fast_current_task: Optional[Callable[[], Any]] = None

    #: Likewise for `task_ident_number(current_task())`, when the library can
    #: answer without the task object (threading: `threading.get_ident`).
    fast_task_ident_number: Optional[Callable[[], int]] = None

    def __repr__(self) -> str:
        return f"<aiologic backend {self.name!r} ({self.kind}) from {type(self).__module__}>"
