"""Which distribution owns the `aiologic` package you import?

In 0.17 the `aiologic` distribution held the code. Here the code lives in
`aiologic-core`; `aiologic` is a meta-package that installs the core and
every backend. A dependent pinned to `aiologic<0.18` can make pip install
0.17 over it, and both then write into the same `aiologic/` folder.
`python -m aiologic` warns about that; this is the gist of the check.
"""

import sys
from pathlib import Path

if sys.version_info >= (3, 10):
    from importlib.metadata import PackageNotFoundError, distribution
else:
    from importlib_metadata import PackageNotFoundError, distribution

import aiologic

init = Path(aiologic.__file__).resolve()
core = distribution("aiologic-core")
owned = {Path(core.locate_file(f)).resolve() for f in core.files or ()}
# an editable install lists no package files: then the source folder counts
editable = not any(path.name == "__init__.py" for path in owned)
assert editable or init in owned, f"{init} does not belong to aiologic-core"
assert aiologic.__version__ == core.version

try:
    meta = distribution("aiologic")
except PackageNotFoundError:
    meta = None  # aiologic-core and chosen backends only: fine too
if meta is not None:
    assert meta.version == core.version, "the aiologic meta-package and aiologic-core differ"
print(f"aiologic {aiologic.__version__} from aiologic-core ({'editable' if editable else init.parent})")
