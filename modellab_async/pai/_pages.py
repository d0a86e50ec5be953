"""PAI's token walk: `PageToken` / `MaxResults` paging for the engine; no I/O.

Each answer names the next page by an opaque `NextPageToken`; 0 means the
listing is done. Pages cannot be foreseen, so a walk fetches them one after
the other (prefetching the next while the caller works) and never fans out.

When the walk stops:

- quietly, when the token is 0, missing or empty, or the page is empty; an
  empty page that still carries a token is logged as a warning, since the
  service may have more items but gave none to go on;
- with `PaginationError`, when the service hands out a token the walk has
  already followed: following it would loop for ever.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .._core._params import Query, positive
from .._engine._pages import Cursor
from ..errors import PaginationError
from .models import TokenPage

__all__ = ["DONE_TOKEN", "MAX_RESULTS", "PAGE_TOKEN", "TokenPages", "TokenWalk"]

logger = logging.getLogger("modellab_async")

PAGE_TOKEN = "PageToken"
MAX_RESULTS = "MaxResults"
#: The `NextPageToken` of a listing's last page.
DONE_TOKEN = "0"


@dataclass(frozen=True, slots=True)
class TokenPages:
    """PAI's page scheme: pages of `size` items (`MaxResults`; `None`: the service's 10).

    A checkpoint's cursor is the token that fetched its page ("" for the first
    page), so a resumed walk asks for that page again.
    """

    size: int | None = None

    def __post_init__(self) -> None:
        if self.size is not None:
            positive(self.size, "page_size")

    def query(self) -> Query:
        """Return `MaxResults`, if set: a token means nothing under another page size."""
        return () if self.size is None else ((MAX_RESULTS, str(self.size)),)

    def walk(self, cursor: Cursor | None) -> TokenWalk:
        """Return a fresh walk from the page `cursor` (a token) fetched, or from the top."""
        return TokenWalk(self.query(), None if cursor is None else str(cursor))


class TokenWalk:
    """One walk through a token-paged listing: it follows tokens and refuses repeats.

    Args:
        paging: the paging every request carries (`MaxResults`, if set).
        start_token: resume from the page this token fetched; `None` or "" starts at the top.
    """

    def __init__(self, paging: Query, start_token: str | None = None) -> None:
        self._base = paging
        self._latest = start_token or ""
        self._followed = {self._latest} if self._latest else set()

    def _query(self, token: str) -> Query:
        return (*self._base, (PAGE_TOKEN, token)) if token else self._base

    def first_query(self) -> Query:
        """Return the paging of the first page, with the start token if resuming."""
        return self._query(self._latest)

    def cursor(self, page: TokenPage[Any]) -> str:
        """Return the token that fetched `page`: the latest one this walk asked with."""
        # A walk has at most one request in flight (plan() is None), so the
        # latest token handed out is the one that fetched the page just received.
        return self._latest

    def next_query(self, page: TokenPage[Any]) -> Query | None:
        """Return the paging of the page after `page`, or `None` if `page` is the last.

        Raises:
            PaginationError: the service handed out a token already followed.
        """
        token = page.next_token
        if not token or token == DONE_TOKEN:
            return None
        if not page.items:
            logger.warning(
                "PAI sent an empty page with next page token %r; stopping the listing there",
                token,
            )
            return None
        if token in self._followed:
            raise PaginationError(
                f"the service handed out page token {token!r} again; stopping instead of looping"
            )
        self._followed.add(token)
        self._latest = token
        return self._query(token)

    def plan(
        self, first: TokenPage[Any], wanted: int | None
    ) -> Iterator[tuple[Cursor, Query]] | None:
        """Return `None`: a token names only the next page, so none can be foreseen."""
        return None
