"""A broken or malformed backend plugin is refused when it loads, with one
error naming its distribution and what is wrong; detection and
``python -m aiologic`` show that error instead of hiding the plugin."""

from __future__ import annotations

import pytest

from fake_plugins import run_with_plugins


def load_error(setup: str) -> str:
    """The error of loading the backend ``someio`` after `setup`."""
    return run_with_plugins(
        setup
        + """
try:
    _registry.get_backend("someio")
except BackendNotFoundError as exc:
    first = str(exc)
try:
    _registry.get_backend("someio")
except BackendNotFoundError as exc:
    assert str(exc) == first  # remembered
print(first)
"""
    )


def test_missing_abstract_member_named():
    # It used to surface as "unknown async library" (or a bare TypeError).
    error = load_error(
        """
class Partial(Backend):
    name, kind, root_module = "someio", "async", "someio"
    def running(self): return False
register("someio", lambda: Partial)
"""
    )
    assert "aiologic-someio" in error
    assert "create_waiter" in error and "current_task" in error and "shield" in error


def test_misspelled_kind_refused():
    error = load_error(
        """
class Misspelled(Someio):
    kind = "asnyc"
register("someio", Misspelled)
"""
    )
    assert "aiologic-someio" in error and "'asnyc'" in error


@pytest.mark.parametrize(
    "body, expected",
    [
        ("name = 'otherio'", "'otherio'"),
        ("api_version = 2", "upgrade aiologic-core"),
        ("api_version = '1'", "api_version"),
        ("api_version = True", "api_version"),
        ("api_version = 0", "api_version"),
        ("root_module = ''", "root_module"),
    ],
)
def test_malformed_identity_refused(body, expected):
    error = load_error(
        f"""
class Malformed(Someio):
    {body}
register("someio", Malformed)
"""
    )
    assert "aiologic-someio" in error and expected in error


def test_several_problems_in_one_error():
    error = load_error(
        """
class Bad(Backend):
    name, kind, root_module, api_version = "someio", "asnyc", "someio", 7
    def running(self): return False
register("someio", lambda: Bad)
"""
    )
    assert "'asnyc'" in error and "shield" in error and "upgrade aiologic-core" in error


def test_not_a_backend_refused():
    error = load_error('register("someio", lambda: object())')
    assert "aiologic-someio" in error and "not an aiologic.backends.Backend" in error


def test_import_error_names_the_distribution():
    error = load_error(
        """
def fail():
    raise ImportError("No module named 'someio_internals'")
register("someio", fail)
"""
    )
    assert "aiologic-someio" in error and "someio_internals" in error


def test_a_class_or_an_instance():
    out = run_with_plugins(
        """
register("someio", lambda: Someio)
class Otherio(Someio):
    name = root_module = "otherio"
register("otherio", Otherio)
print(type(_registry.get_backend("someio")).__name__, _registry.get_backend("otherio").name)
"""
    )
    assert out == "Someio otherio"


def test_detection_surfaces_a_broken_plugin():
    # The plugin's library is imported, nothing else answers: its error,
    # instead of "unknown async library". Where another library answers,
    # that library wins.
    out = run_with_plugins(
        """
import asyncio
from aiologic.lowlevel import current_async_library

class Misspelled(Someio):
    kind = "asnyc"
register("someio", Misspelled)
sys.modules["someio"] = types.ModuleType("someio")  # the library is in use
try:
    current_async_library()
except BackendNotFoundError as exc:
    print("error:", exc)
print(current_async_library(failsafe=True))

async def main():
    return current_async_library()

print(asyncio.run(main()))
"""
    )
    error, failsafe, in_asyncio = out.splitlines()
    assert error.startswith("error: ") and "aiologic-someio" in error and "'asnyc'" in error
    assert (failsafe, in_asyncio) == ("None", "asyncio")


def test_green_detection_surfaces_a_broken_green_plugin():
    out = run_with_plugins(
        """
import aiologic

class Partial(Backend):
    name, kind, root_module = "somelet", "green", "somelet"
    def running(self): return False
register("somelet", lambda: Partial, "aiologic-somelet")
sys.modules["greenlet"] = types.ModuleType("greenlet")
sys.modules["somelet"] = types.ModuleType("somelet")
try:
    with aiologic.Lock():
        pass
except BackendNotFoundError as exc:
    print(exc)
"""
    )
    assert "aiologic-somelet" in out and "create_waiter" in out


def test_a_broken_async_plugin_leaves_green_code_alone():
    out = run_with_plugins(
        """
import aiologic
from aiologic.lowlevel import current_green_library

def fail():
    raise ImportError("broken")
register("someio", fail)
sys.modules["greenlet"] = types.ModuleType("greenlet")
sys.modules["someio"] = types.ModuleType("someio")
with aiologic.Lock():
    pass
print(current_green_library())
"""
    )
    assert out == "threading"


def test_python_m_aiologic_shows_the_same_error():
    out = run_with_plugins(
        """
from aiologic.__main__ import report_backends

class Misspelled(Someio):
    kind = "asnyc"
register("someio", Misspelled)
sys.modules["someio"] = types.ModuleType("someio")
try:
    _registry.get_backend("someio")
except BackendNotFoundError as exc:
    error = str(exc)
lines = report_backends(_registry.installed_backends())
print("\\n".join(lines))
mentions = [line for line in lines if "someio" in line]
assert len(mentions) == 2 and all(line.endswith(f"(error: {error})") for line in mentions), mentions
assert not any("installed" in line for line in mentions), mentions
print("consistent")
"""
    )
    assert out.endswith("consistent"), out


def test_python_m_aiologic_shows_a_broken_builtin():
    out = run_with_plugins(
        """
from aiologic.__main__ import report_backends

sys.modules["aiologic_asyncio"] = None  # registered, but its module fails to import
lines = report_backends(_registry.installed_backends())
print("\\n".join(line for line in lines if "asyncio" in line))
"""
    )
    lines = out.splitlines()
    assert len(lines) == 2, out
    assert all("(error: " in line and "aiologic-asyncio" in line for line in lines), out
    assert not any("(installed)" in line for line in lines), out


# -- the optional members ---------------------------------------------------------


def test_original_lookup_registered_when_the_backend_loads():
    out = run_with_plugins(
        """
from aiologic.lowlevel import _originals

calls = []
_originals.add_lookup = lambda root, lookup: calls.append((root, lookup("time", "sleep")))

class Patching(Someio):
    def original(self, module, name):
        return f"original {module}.{name}"

class Otherio(Someio):
    name = root_module = "otherio"

register("someio", Patching)
register("otherio", Otherio)
_registry.get_backend("someio")
_registry.get_backend("otherio")  # does not override original(): no lookup
print(calls)
try:
    Otherio().original("time", "sleep")
except LookupError:
    print("LookupError")
"""
    )
    assert out.splitlines() == ["[('someio', 'original time.sleep')]", "LookupError"]
