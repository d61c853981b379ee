"""Every example of the documentation runs: each docs/examples/**/*.py (the
pages include them with ``literalinclude``) is run as a script by this
interpreter, in a subprocess with a time limit, and must exit 0. The examples
check their own results with ``assert``.

An example that needs a library missing here (gevent on PyPy, say) is
skipped: it names it in a ``# requires: NAME`` line, and any top-level
import of a module that cannot be found counts the same way."""

import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs" / "examples"
LIMIT = 45  # seconds per example; every one takes a few seconds at most

paths = sorted(EXAMPLES.rglob("*.py"))


def _missing_modules(source: str) -> List[str]:
    wanted = re.findall(r"^#\s*requires:\s*(.+)$", source, re.MULTILINE)
    names = [name.strip() for line in wanted for name in line.split(",") if name.strip()]
    for node in ast.parse(source).body:  # the top-level imports
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    missing = []
    for name in names:
        top = name.split(".")[0]
        if top not in sys.builtin_module_names and importlib.util.find_spec(top) is None:
            missing.append(top)
    return sorted(set(missing))


def test_there_are_examples() -> None:
    names = {path.name for path in paths}
    assert {"seed.py", "thread_asyncio_queue.py", "gevent_asyncio_limiter.py"} <= names


@pytest.mark.timeout(LIMIT + 15)
@pytest.mark.parametrize("path", paths, ids=[str(path.relative_to(EXAMPLES)) for path in paths])
def test_example_runs(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    missing = _missing_modules(source)
    if missing:
        pytest.skip(f"needs {', '.join(missing)}, not installed here")
    result = subprocess.run(
        [sys.executable, str(path)],
        cwd=str(path.parent),
        capture_output=True,
        text=True,
        timeout=LIMIT,
    )
    assert result.returncode == 0, f"{path.name} exited with {result.returncode}:\n{result.stdout}\n{result.stderr}"
