"""aiologic's backend for exampleloop: a third-party backend, as an example.

Registered in the ``aiologic.backends`` entry-point group as ``exampleloop``;
aiologic loads it the first time an exampleloop task waits on a primitive.
With ``aiologic-testing`` installed, the world ``exampleloop`` (see
`aiologic_exampleloop.testing`) joins aiologic's world-parametrized tests.
"""

from ._backend import ExampleloopBackend, ExampleloopWaiter, backend

__all__ = ("ExampleloopBackend", "ExampleloopWaiter", "backend")
