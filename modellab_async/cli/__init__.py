"""The `modellab` command line: an optional layer over the public API of `modellab_async`.

It needs the `cli` extra (`pip install "modellab-async[cli]"`), which brings
click and rich; `import modellab_async` never imports it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]

_CLI_MODULES = frozenset({"click", "rich"})


def main(argv: Sequence[str] | None = None) -> None:
    """Run the `modellab` command line with `argv` (default: `sys.argv[1:]`) and exit."""
    try:
        from ._app import app  # noqa: PLC0415  # click and rich are optional
    except ModuleNotFoundError as exc:
        if exc.name not in _CLI_MODULES:
            raise
        sys.exit(
            f"modellab: the command line needs {exc.name}; "
            "install it with: pip install 'modellab-async[cli]'"
        )
    app.main(args=list(argv) if argv is not None else None, prog_name="modellab")
