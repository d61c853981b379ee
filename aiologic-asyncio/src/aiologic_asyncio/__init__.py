"""aiologic's backend for asyncio (and anyio running on asyncio).

Registered in the ``aiologic.backends`` entry-point group as ``asyncio``;
aiologic loads it the first time an asyncio task uses a primitive.
"""

from ._backend import AsyncioBackend, AsyncioWaiter, backend

__all__ = ("AsyncioBackend", "AsyncioWaiter", "backend")
