"""Checked by mypy --strict (python3 scripts/dev.py lint), not run: the
forms of aiologic.lowlevel's switches and helpers keep the types of what
they wrap. Each `type: ignore` below must be needed (--strict reports an
unused one), so it proves that mypy rejects that line."""

from __future__ import annotations

from typing import Any, Coroutine, Tuple

from typing_extensions import assert_type

from aiologic import lowlevel


def compute(x: int) -> str:
    return str(x)


async def fetch(x: int) -> bytes:
    return bytes(x)


with lowlevel.enable_checkpoints() as on:
    assert_type(on, bool)
with lowlevel.disable_signal_safety() as safe:
    assert_type(safe, bool)
assert_type(lowlevel.disable_checkpoints(compute)(1), str)
assert_type(lowlevel.enable_signal_safety(compute)(2), str)
assert_type(lowlevel.shield(compute)(3), str)
lowlevel.shield(compute)("3")  # type: ignore[arg-type]
lowlevel.enable_checkpoints(compute)()  # type: ignore[call-arg]
assert_type(lowlevel.green_clock(), float)
assert_type(lowlevel.green_checkpoint_enabled(), bool)
assert_type(lowlevel.signal_safety_enabled(), bool)
assert_type(lowlevel.current_green_task_ident(), Tuple[str, int])
lowlevel.green_sleep("1")  # type: ignore[arg-type]


async def use() -> None:
    async with lowlevel.disable_checkpoints() as off:
        assert_type(off, bool)
    assert_type(await lowlevel.enable_checkpoints(fetch)(1), bytes)
    assert_type(await lowlevel.shield(fetch)(1), bytes)
    assert_type(await lowlevel.shield(fetch(2)), bytes)
    proxy: Coroutine[Any, Any, bytes] = lowlevel.disable_checkpoints(fetch(3))
    assert_type(await proxy, bytes)
    assert_type(await lowlevel.enable_signal_safety(fetch(4)), bytes)
    assert_type(lowlevel.async_clock(), float)
    assert_type(lowlevel.current_async_task_ident(), Tuple[str, int])
    await lowlevel.async_sleep(0)
    await lowlevel.async_checkpoint(force=True)
    await lowlevel.async_checkpoint(True)  # type: ignore[call-arg]
