"""The plugin interface: how a distribution adds aiologic support for a
concurrency library.

A plugin subclasses `Backend`, implements its abstract members and publishes
an instance (or the class) in the entry-point group ``aiologic.backends``,
under the library's name as users and sniffio say it::

    [project.entry-points."aiologic.backends"]
    someio = "aiologic_someio:backend"

The core loads it the first time the library is in use, checks it (its kind,
its name, every abstract member, its `api_version` against `API_VERSION`) and
raises `BackendNotFoundError` naming the distribution if it does not load.
``docs/writing-a-backend.md`` walks through a complete third-party backend.
"""

from .lowlevel._backend import API_VERSION, Backend
from .lowlevel._registry import BackendNotFoundError, get_backend, installed_backends
from .lowlevel._wakeups import at_batch_end
from .meta import export as _export

__all__ = ("API_VERSION", "Backend", "BackendNotFoundError", "at_batch_end", "get_backend", "installed_backends")

_export(globals())  # their public names: aiologic.backends.Backend...
