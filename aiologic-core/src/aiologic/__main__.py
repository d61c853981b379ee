"""``python -m aiologic``: what is installed, and a short cross-world demo.

It prints the aiologic version and where it was imported from, the installed
backends, the libraries found in the environment with the backend each needs
(``trio -> aiologic-trio (installed)``), a warning if the ``aiologic``
package on disk is not the one that ``aiologic-core`` installed, and then
shares one `aiologic.Lock` between a plain thread and async tasks running in
event loops of their own threads.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from importlib import metadata

import aiologic

HOLD = 0.1  # seconds each participant keeps the lock per round
ROUNDS = 2  # rounds per participant
DEADLINE = 30.0  # a demo that has not finished by then is reported as hung


# -- identity -------------------------------------------------------------------


def _hash_of(path: Path, algorithm: str) -> Optional[str]:
    import base64
    import hashlib

    try:
        digest = hashlib.new(algorithm, path.read_bytes()).digest()
    except (OSError, ValueError):
        return None
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _editable_root(dist: Any) -> Optional[Path]:
    """The project folder of an editable install (PEP 610), else None."""
    import json
    from urllib.parse import unquote, urlparse

    try:
        text = dist.read_text("direct_url.json")
        info = json.loads(text) if text else {}
    except (OSError, ValueError):
        return None
    if not info.get("dir_info", {}).get("editable"):
        return None
    url = urlparse(info.get("url", ""))
    if url.scheme != "file":
        return None
    return Path(unquote(url.path)).resolve()


def _owners_of_package() -> List[str]:
    """Every installed distribution whose file list has aiologic/__init__.py."""
    owners = []
    for dist in metadata.distributions():
        for file in dist.files or ():
            if file.as_posix() == "aiologic/__init__.py":
                owners.append(f"{dist.metadata['Name']} {dist.version}")
                break
    return sorted(set(owners))


def identity_problems() -> List[str]:
    """Why the imported `aiologic` may not be aiologic-core's (empty if it is).

    A dependent pinned to the existing aiologic series can make pip install
    that library over our meta-package; its files then overwrite
    aiologic-core's in the same ``aiologic/`` folder (see the README).
    """
    here = Path(aiologic.__file__).resolve()
    try:
        core = metadata.distribution("aiologic-core")
    except metadata.PackageNotFoundError:
        owners = ", ".join(_owners_of_package()) or "no installed distribution"
        return [f"aiologic-core is not installed; this aiologic package comes from {owners}"]
    problems = []
    version = getattr(aiologic, "__version__", None)
    if version != core.version:
        problems.append(f"the imported aiologic says version {version!r}, aiologic-core is {core.version}")
    listed = [file for file in core.files or () if file.as_posix() == "aiologic/__init__.py"]
    if listed:
        file = listed[0]
        expected = Path(str(core.locate_file(file))).resolve()
        if expected != here:
            problems.append(f"aiologic-core installed aiologic/__init__.py at {expected}, not the imported one")
        elif file.hash is not None and _hash_of(here, file.hash.mode) != file.hash.value:
            problems.append(f"{here} was changed after aiologic-core installed it (another distribution overwrote it?)")
    else:
        root = _editable_root(core)
        if root is None:
            problems.append("aiologic-core's file list has no aiologic/__init__.py and it is not an editable install")
        elif root not in here.parents:
            problems.append(f"aiologic-core is an editable install of {root}, but aiologic was imported from {here}")
    others = [owner for owner in _owners_of_package() if not owner.startswith("aiologic-core ")]
    if others:
        problems.append("other distributions also install aiologic/__init__.py: " + ", ".join(others))
    strays = stray_files(core, here.parent)
    if strays:
        shown = ", ".join(strays[:5]) + (f" and {len(strays) - 5} more" if len(strays) > 5 else "")
        problems.append(f"{len(strays)} files in {here.parent} were not installed by aiologic-core: {shown}")
        if any(stray.startswith("aiologic/meta/") for stray in strays):
            problems.append("the package aiologic/meta/ (not aiologic-core's) shadows aiologic.meta")
    return problems


def stray_files(core: Any, folder: Path) -> List[str]:
    """The files in the imported package folder that aiologic-core's file
    list does not name (another distribution's leftovers: a subpackage that
    shadows one of our modules, ``.pyi`` stubs that type checkers prefer to
    our code). Empty for an editable install, whose list names no files."""
    listed = {file.as_posix() for file in core.files or ()}
    if not any(name.startswith("aiologic/") and name.endswith(".py") for name in listed):
        return []
    strays = []
    for path in sorted(folder.rglob("*")):
        if path.is_dir() or "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        name = "aiologic/" + path.relative_to(folder).as_posix()
        if name not in listed:
            strays.append(name)
    return strays


def repair_advice(python: str = sys.executable) -> List[str]:
    """The commands that give back a clean aiologic-core install: both
    distributions' files go (uninstalling each removes the files its list
    names, the other's leftovers included), then aiologic-core is installed
    afresh, without its dependencies, which are still there."""
    version = getattr(aiologic, "__version__", None)
    try:
        version = metadata.version("aiologic-core")
    except metadata.PackageNotFoundError:
        pass
    pin = f"=={version}" if version else ""
    return [
        "to repair it, remove both distributions' files, then install aiologic-core again:",
        f"    {python} -m pip uninstall -y aiologic aiologic-core",
        f"    {python} -m pip install --no-deps aiologic-core{pin}",
        "(add the --find-links or index options you installed aiologic-core with; with uv:"
        " uv pip uninstall aiologic aiologic-core, then uv pip install --no-deps aiologic-core)."
        " A dependent pinned to aiologic<0.18, such as culsans, goes next to it with"
        " pip install --no-deps; see the README.",
    ]


# -- libraries and backends ----------------------------------------------------------


def library_map(backends: Dict[str, str]) -> Tuple[List[Tuple[str, str]], List[str]]:
    """The libraries importable in this environment, each with the
    distribution of its backend and what state that is in
    (``("trio", "aiologic-trio (installed)")``), and the known libraries
    that are not importable here. Nothing is imported to find a library;
    the registered backends are loaded (and so checked), which imports
    their libraries. A backend that does not load shows its error, the same
    text a program using it gets."""
    import importlib.util

    from .lowlevel._registry import KNOWN_LIBRARIES, get_backend

    def importable(module: str) -> bool:
        try:
            return importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            return False

    found: List[Tuple[str, str]] = []
    absent: List[str] = []
    for known in KNOWN_LIBRARIES:
        if not importable(known.root_module):
            absent.append(known.name)
        elif known.name not in backends:
            found.append((known.name, f"{known.distribution} (not installed)"))
        else:
            found.append((known.name, _state(known.name, backends[known.name])))
    known_names = {known.name for known in KNOWN_LIBRARIES}
    for name, dist in backends.items():
        if name in known_names:
            continue
        state = _state(name, dist)
        if state.endswith("(installed)"):
            root = get_backend(name).root_module
            if not importable(root):
                state = f"{dist} (installed; its library {root!r} is not)"
        found.append((name, state))
    return found, absent


def _state(name: str, dist: str) -> str:
    """``dist (installed)``, or ``dist (error: ...)`` with the error of
    using the backend `name`."""
    from .lowlevel._registry import load_error

    error = load_error(name)
    return f"{dist} (installed)" if error is None else f"{dist} (error: {error})"


def report_backends(backends: Dict[str, str]) -> List[str]:
    """The lines of the report on the installed `backends` (as
    `installed_backends()` gives them) and the libraries found here."""
    from .lowlevel._registry import load_error

    width = max(map(len, backends), default=0)
    lines = ["installed backends:"]
    for name, dist in backends.items():
        error = load_error(name)
        lines.append(f"  {name:<{width}} from {dist}" + ("" if error is None else f" (error: {error})"))
    if not backends:
        lines.append("  (none found)")
    lines.append("libraries found here, and the backend each needs:")
    found, absent = library_map(backends)
    width = max([len(name) for name, _ in found] + [10])
    for name, line in found:
        lines.append(f"  {name:<{width}} -> {line}")
    if absent:
        lines.append(f"  (not found here: {', '.join(absent)})")
    return lines


# -- the demo -------------------------------------------------------------------


class Demo:
    """Participants from several worlds take turns with one lock; a counter
    of how many are inside at once proves mutual exclusion."""

    def __init__(self) -> None:
        self.lock = aiologic.Lock()
        self.start = time.monotonic()
        self._guard = threading.Lock()  # held for microseconds, never across a wait
        self.inside = 0
        self.most_inside = 0
        self.turns = 0

    def enter(self, who: str) -> None:
        with self._guard:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
            self.turns += 1
        world = self.lock.owner[0] if self.lock.owner else "?"
        print(f"  {time.monotonic() - self.start:5.2f} s  {who:<22} holds the lock (aiologic sees: {world})")

    def leave(self) -> None:
        with self._guard:
            self.inside -= 1

    # One function per world; each takes the lock ROUNDS times.

    def plain_thread(self) -> None:
        for _ in range(ROUNDS):
            with self.lock:
                self.enter("plain thread")
                time.sleep(HOLD)
                self.leave()
            time.sleep(0)

    def asyncio_loop(self, name: str) -> None:
        import asyncio

        async def task(j: int) -> None:
            for _ in range(ROUNDS):
                async with self.lock:
                    self.enter(f"{name} task {j}")
                    await asyncio.sleep(HOLD)
                    self.leave()
                await asyncio.sleep(0)

        async def main() -> None:
            await asyncio.gather(task(0), task(1))

        asyncio.run(main())

    def anyio_loop(self, name: str, backend: str) -> None:
        import anyio

        async def task(j: int) -> None:
            for _ in range(ROUNDS):
                async with self.lock:
                    self.enter(f"{name} task {j}")
                    await anyio.sleep(HOLD)
                    self.leave()
                await anyio.sleep(0)

        async def main() -> None:
            async with anyio.create_task_group() as tasks:
                for j in range(2):
                    tasks.start_soon(task, j)

        anyio.run(main, backend=backend)

    def curio_kernel(self) -> None:
        import curio

        async def task(j: int) -> None:
            for _ in range(ROUNDS):
                async with self.lock:
                    self.enter(f"curio task {j}")
                    await curio.sleep(HOLD)
                    self.leave()
                await curio.sleep(0)

        async def main() -> None:
            tasks = [await curio.spawn(task, j) for j in range(2)]
            for spawned in tasks:
                await spawned.join()

        curio.run(main)

    def gevent_hub(self, name: str) -> None:
        import gevent

        def greenlet(j: int) -> None:
            for _ in range(ROUNDS):
                with self.lock:
                    self.enter(f"{name} greenlet {j}")
                    gevent.sleep(HOLD)
                    self.leave()
                gevent.sleep(0)

        hub = gevent.get_hub()  # this thread's own hub, no monkey-patching
        try:
            gevent.joinall([gevent.spawn(greenlet, j) for j in range(2)], raise_error=True)
        finally:
            hub.destroy(destroy_loop=True)

    def eventlet_hub(self, name: str) -> None:
        import eventlet

        def greenthread(j: int) -> None:
            for _ in range(ROUNDS):
                with self.lock:
                    self.enter(f"{name} greenthread {j}")
                    eventlet.sleep(HOLD)
                    self.leave()
                eventlet.sleep(0)

        hub = eventlet.hubs.get_hub()  # this thread's own hub, no monkey-patching
        try:
            for thread in [eventlet.spawn(greenthread, j) for j in range(2)]:
                thread.wait()
        finally:
            if hub.running:  # let the hub leave its loop before the thread ends
                hub.abort(wait=True)


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def run_demo(backends: Dict[str, str]) -> int:
    demo = Demo()
    participants: List[Tuple[str, Callable[..., None], Tuple[Any, ...], int]] = [
        ("plain thread", demo.plain_thread, (), 1),
    ]
    if "asyncio" in backends:
        participants.append(("asyncio loop A", demo.asyncio_loop, ("asyncio A",), 2))
        participants.append(("asyncio loop B", demo.asyncio_loop, ("asyncio B",), 2))
        if _importable("anyio"):
            participants.append(("anyio loop (asyncio)", demo.anyio_loop, ("anyio/asyncio", "asyncio"), 2))
    if "trio" in backends and _importable("trio") and _importable("anyio"):
        participants.append(("anyio loop (trio)", demo.anyio_loop, ("anyio/trio", "trio"), 2))
    if "curio" in backends and _importable("curio"):
        participants.append(("curio kernel", demo.curio_kernel, (), 2))
    if "gevent" in backends and _importable("gevent"):
        participants.append(("gevent hub", demo.gevent_hub, ("gevent",), 2))
    if "eventlet" in backends and _importable("eventlet"):
        import warnings

        # Imported here, in the main thread: a thread that imports eventlet
        # first can never be joined (its copy of the threading module takes
        # over that thread's end-of-thread lock).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # eventlet announces its deprecation
            import eventlet.hubs  # noqa: F401
        participants.append(("eventlet hub", demo.eventlet_hub, ("eventlet",), 2))
    skipped = [] if "asyncio" in backends else ["asyncio (aiologic-asyncio is not installed)"]
    if "asyncio" in backends and not _importable("anyio"):
        skipped.append("anyio (not installed)")

    print(f"demo: one aiologic.Lock shared by {len(participants)} threads:")
    for name, *_ in participants:
        print(f"  - {name}")
    for what in skipped:
        print(f"  (skipped: {what})")
    expected_turns = ROUNDS * sum(tasks for *_, tasks in participants)

    errors: List[str] = []

    def guarded(name: str, target: Callable[..., None], args: Tuple[Any, ...]) -> None:
        try:
            target(*args)
        except BaseException as exc:  # reported below, not lost in a thread
            errors.append(f"{name}: {exc!r}")

    threads = [
        threading.Thread(target=guarded, args=(name, target, args), name=name, daemon=True)
        for name, target, args, _ in participants
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, DEADLINE - (time.monotonic() - demo.start)))
    elapsed = time.monotonic() - demo.start

    hung = [thread.name for thread in threads if thread.is_alive()]
    if hung:
        errors.append(f"still running after {DEADLINE:.0f} s: {', '.join(hung)}")
    if demo.most_inside != 1:
        errors.append(f"{demo.most_inside} participants held the lock at the same time")
    if demo.turns != expected_turns:
        errors.append(f"{demo.turns} turns taken, {expected_turns} expected")
    if demo.lock.locked():
        errors.append("the lock is still held at the end")
    if errors:
        for error in errors:
            print(f"FAILED: {error}")
        return 1
    print(
        f"ok: {demo.turns} turns in {len(participants)} threads, never more than one holder,"
        f" {elapsed:.2f} s"
    )
    return 0


def main() -> int:
    print(f"aiologic {getattr(aiologic, '__version__', '(unknown version)')}")
    print(f"  imported from {Path(aiologic.__file__).resolve().parent}")
    print(f"  Python {sys.version.split()[0]} ({sys.implementation.name}) at {sys.executable}")

    problems = identity_problems()
    for problem in problems:
        print(f"WARNING: {problem}")
    if problems:
        print(
            "WARNING: this 'aiologic' package may not be aiologic-core's; another distribution"
            " (such as the existing aiologic series, pulled in by a pinned dependent) may have"
            " replaced its files or left its own next to them."
        )
        for line in repair_advice():
            print(f"WARNING: {line}")

    try:
        from .backends import installed_backends
    except ImportError:
        print("FAILED: this aiologic has no aiologic.backends; it is not aiologic-core's")
        return 1
    backends = installed_backends()
    for line in report_backends(backends):
        print(line)
    print()
    return run_demo(_usable(backends))


def _usable(backends: Dict[str, str]) -> Dict[str, str]:
    """The `backends` that load (the report above shows the others' errors)."""
    from .lowlevel._registry import load_error

    return {name: dist for name, dist in backends.items() if load_error(name) is None}


if __name__ == "__main__":
    sys.exit(main())
