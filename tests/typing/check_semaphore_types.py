"""Checked by mypy --strict (python3 scripts/dev.py lint), not run: every
semaphore constructor call has its real type, so misuse is a type error.
An unused `type: ignore` is an error under --strict, so each ignore below
proves that mypy rejects that line."""

from __future__ import annotations

import aiologic

plain: aiologic.Semaphore = aiologic.Semaphore(2)
bounded: aiologic.BoundedSemaphore = aiologic.Semaphore(2, 5)
bounded_by_keyword: aiologic.BoundedSemaphore = aiologic.Semaphore(max_value=5)
bounded_binary: aiologic.BoundedBinarySemaphore = aiologic.BinarySemaphore(1, 1)
binary: aiologic.BinarySemaphore = aiologic.BinarySemaphore(0)
bounded_direct: aiologic.BoundedSemaphore = aiologic.BoundedSemaphore(3)
max_value: int = aiologic.BoundedSemaphore(3).max_value

aiologic.Semaphore(2).no_such_method()  # type: ignore[attr-defined]
aiologic.BinarySemaphore(1).no_such_method()  # type: ignore[attr-defined]
aiologic.BoundedSemaphore(2).no_such_method()  # type: ignore[attr-defined]
aiologic.Semaphore(2).max_value  # type: ignore[attr-defined]
not_bounded: aiologic.BoundedSemaphore = aiologic.Semaphore(2)  # type: ignore[assignment]
