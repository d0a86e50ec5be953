r"""Server text shown on a terminal: control characters made visible, never interpreted.

Names, paths and error details come from the service, and anyone who can name
a run chooses them. A terminal would act on the escape sequences they hold
(clear the screen, set the clipboard, draw hyperlinks), so every such
character is written as a visible escape such as `\x1b` instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["first_names", "printable", "printable_json_lines"]

# C0 and C1 controls, DEL, and the bidirectional overrides that reorder what is shown.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """Return `text` with every control character replaced by its visible escape."""
    return _UNPRINTABLE.sub(_escape, text)


def _json_escape(match: re.Match[str]) -> str:
    return match[0] if match[0] == "\n" else f"\\u{ord(match[0]):04x}"


def printable_json_lines(lines: str) -> str:
    r"""Return JSON lines with each control character in their strings as a `\uXXXX` escape.

    JSON escapes the C0 controls itself; DEL, the C1 controls and the
    bidirectional overrides are legal raw in a string, and a terminal acts on them.
    """
    return _UNPRINTABLE.sub(_json_escape, lines)


def first_names(names: Sequence[str], shown: int = 5) -> str:
    """Return the first `shown` of `names`, printable, and how many more there are."""
    listed = printable(", ".join(names[:shown]))
    return f"{listed} and {len(names) - shown} more" if len(names) > shown else listed
