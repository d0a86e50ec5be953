"""Serve token pages: opaque but reproducible tokens, and the quirks a client must survive."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from ._errors import PAIError

T = TypeVar("T")

#: `MaxResults` when the request gives none, as documented for ListRuns.
DEFAULT_PAGE_SIZE = 10
# ASCII digits only (str.isdigit() accepts "²"), and few enough for int() to take.
_NUMBER = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True)
class TokenQuirks:
    """Ways the fake's page tokens misbehave, to test how a client walks them.

    Pages count from 1 in steps of the request's `MaxResults`.

    Attributes:
        first_token_zero: the first page answers `NextPageToken` 0 although more
            items follow.
        repeat_token_at: page n (n >= 2) hands out the token that fetched it, so a
            client that follows it loops.
        empty_page_at: page n comes back empty, still with the next page's token.
    """

    first_token_zero: bool = False
    repeat_token_at: int | None = None
    empty_page_at: int | None = None


class TokenBook:
    """Hand out page tokens and remember which offset each one stands for.

    A token is a large integer derived from the seed and the offset, as opaque
    to clients as the real service's, and the same on every run. 0 means "the
    listing is done" in an answer and "from the start" in a request, as documented.
    """

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._offsets: dict[str, int] = {"0": 0}

    def token_for(self, offset: int) -> int:
        """Return the token of the page starting at `offset` (> 0)."""
        digest = hashlib.sha256(f"{self._seed}:{offset}".encode()).digest()
        token = int.from_bytes(digest[:6]) + 1
        self._offsets[str(token)] = offset
        return token

    def offset_of(self, token: str) -> int:
        """Return the offset a token stands for.

        Raises:
            PAIError: the fake never handed out this token.
        """
        offset = self._offsets.get(token)
        if offset is None:
            raise PAIError(400, "InvalidParameter.PageToken", f"The PageToken {token} is invalid.")
        return offset


@dataclass(frozen=True)
class PageRequest:
    """Where a requested page starts and how long it is."""

    offset: int
    size: int
    token: str | None


def page_request(query: Mapping[str, str], book: TokenBook) -> PageRequest:
    """Read `PageToken` and `MaxResults`, or the documented `PageNumber` and `PageSize`."""
    token = query.get("PageToken") or None
    if token is not None:
        return PageRequest(book.offset_of(token), _positive(query, "MaxResults"), token)
    if "PageNumber" in query:
        size = _positive(query, "PageSize")
        return PageRequest((_positive(query, "PageNumber", 1) - 1) * size, size, None)
    return PageRequest(0, _positive(query, "MaxResults"), None)


def serve_page(
    items: Sequence[T], request: PageRequest, book: TokenBook, quirks: TokenQuirks
) -> tuple[list[T], int]:
    """Return the page's items and its `NextPageToken` (0 after the last page)."""
    page = list(items[request.offset : request.offset + request.size])
    end = request.offset + len(page)
    next_token = book.token_for(end) if end < len(items) else 0
    number = request.offset // request.size + 1
    if quirks.first_token_zero and number == 1:
        next_token = 0
    if quirks.repeat_token_at == number and request.token is not None:
        next_token = int(request.token)
    if quirks.empty_page_at == number:
        page = []
    return page, next_token


def _positive(query: Mapping[str, str], name: str, default: int = DEFAULT_PAGE_SIZE) -> int:
    text = query.get(name)
    if text is None:
        return default
    if not _NUMBER.fullmatch(text) or int(text) < 1:
        raise PAIError(400, f"InvalidParameter.{name}", f"The {name} {text!r} is invalid.")
    return int(text)
