"""aiologic's backend for curio.

Registered in the ``aiologic.backends`` entry-point group as ``curio``;
aiologic loads it the first time a curio task uses a primitive.
"""

from ._backend import CurioBackend, CurioWaiter, backend

__all__ = ("CurioBackend", "CurioWaiter", "backend")
