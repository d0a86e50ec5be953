"""One file's content read over one or more answers: resume, skip, and refuse; no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..errors import DecodeError, TransportError
from ._protocol import Request

__all__ = ["Content"]

_CONTENT_RANGE = re.compile(r"bytes ([0-9]{1,19})-([0-9]{1,19})/([0-9]{1,19})")
_CONTENT_LENGTH = re.compile(r"[0-9]{1,19}")


class Content:
    """One file's content read over one or more answers: what was delivered, and checks.

    Every answer after the first must continue the same content: a 206 must
    start exactly where delivery stopped, and no answer may name another
    length or `ETag` than the first one did.
    """

    def __init__(self, request: Request, max_bytes: int | None) -> None:
        self._request = request
        self._max_bytes = max_bytes
        self.delivered = 0
        self._skip = 0
        self._size: int | None = None
        self._etag: str | None = None

    def _refuse(self, reason: str) -> DecodeError:
        return DecodeError(f"{self._request.describe()}: {reason}")

    def start(self, status: int, headers: Mapping[str, str]) -> None:
        """Check a new answer and note how many of its first bytes were delivered already."""
        size: int | None
        if status == 206:
            size = self._resumed_size(headers.get("Content-Range", ""))
            self._skip = 0
        else:  # the whole content, from its first byte
            size = _content_length(headers)
            self._skip = self.delivered
        etag = headers.get("ETag")
        if self.delivered and (
            (size is not None and self._size is not None and size != self._size)
            or (etag is not None and self._etag is not None and etag != self._etag)
        ):
            raise self._refuse("the content changed between tries")
        self._size = size if self._size is None else self._size
        self._etag = etag if self._etag is None else self._etag
        if self._size is not None and self._max_bytes is not None and self._size > self._max_bytes:
            raise self._refuse(
                f"content of {self._size} bytes exceeds the {self._max_bytes}-byte limit"
            )

    def _resumed_size(self, content_range: str) -> int:
        match = _CONTENT_RANGE.fullmatch(content_range.strip())
        if match is None:
            raise self._refuse(f"206 answer with an unusable Content-Range {content_range!r}")
        first, last, size = (int(group) for group in match.groups())
        if not self.delivered or first != self.delivered or last != size - 1:
            raise self._refuse(
                f"asked for bytes {self.delivered}- but the Content-Range is {content_range!r}"
            )
        return size

    def take(self, chunk: bytes) -> bytes:
        """Return the part of `chunk` not delivered yet, counting it as delivered."""
        if self._skip:
            skipped = min(self._skip, len(chunk))
            self._skip -= skipped
            chunk = chunk[skipped:]
        self.delivered += len(chunk)
        if self._max_bytes is not None and self.delivered > self._max_bytes:
            raise self._refuse(f"content exceeds the {self._max_bytes}-byte limit")
        if self._size is not None and self.delivered > self._size:
            raise self._refuse(f"content longer than the {self._size} bytes announced")
        return chunk

    def finish(self) -> None:
        """Check that the answer ended where the content does."""
        if self._skip:
            raise self._refuse("the content changed between tries: it is shorter now")
        if self._size is not None and self.delivered < self._size:
            raise TransportError(f"{self._request.describe()}: content cut short")


def _content_length(headers: Mapping[str, str]) -> int | None:
    value = headers.get("Content-Length", "")
    return int(value) if _CONTENT_LENGTH.fullmatch(value) else None
