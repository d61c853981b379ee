"""aiologic's backend for trio (and anyio running on trio).

Registered in the ``aiologic.backends`` entry-point group as ``trio``;
aiologic loads it the first time a trio task uses a primitive.
"""

from ._backend import TrioBackend, TrioWaiter, backend

__all__ = ("TrioBackend", "TrioWaiter", "backend")
