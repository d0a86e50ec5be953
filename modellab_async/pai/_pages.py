"""PAI's token walk: `PageToken` / `MaxResults` queries for the paginator engine.

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
from collections.abc import Callable, Iterator
from typing import Any

from .._pagination import Cursor
from .._params import Query
from ..errors import PaginationError
from .models import TokenPage

__all__ = ["DONE_TOKEN", "MAX_RESULTS", "PAGE_TOKEN", "TokenPages", "token_listing"]

logger = logging.getLogger("modellab_async")

PAGE_TOKEN = "PageToken"
MAX_RESULTS = "MaxResults"
#: The `NextPageToken` of a listing's last page.
DONE_TOKEN = "0"


class TokenPages:
    """One walk through a token-paged PAI listing; a fresh one serves each walk.

    `cursor(page)` is the token that fetched `page` ("" for a first page fetched
    without one), so a checkpoint resumes by asking for that page again.

    Args:
        filters: the caller's query parameters, repeated on every request.
        page_size: `MaxResults`; `None` leaves the service's default (10).
        start_token: resume from the page this token fetched; `None` or "" starts at the top.
    """

    def __init__(
        self, filters: Query, page_size: int | None = None, start_token: str | None = None
    ) -> None:
        self._base = _listing_query(filters, page_size)
        self._latest = start_token or ""
        self._followed = {self._latest} if self._latest else set()

    def _query(self, token: str) -> Query:
        return (*self._base, (PAGE_TOKEN, token)) if token else self._base

    def first_query(self) -> Query:
        """Return the caller's query, with the start token if resuming."""
        return self._query(self._latest)

    def cursor(self, page: TokenPage[Any]) -> str:
        """Return the token that fetched `page`: the latest one this walk asked with."""
        # A walk has at most one request in flight (plan() is None), so the
        # latest token handed out is the one that fetched the page just received.
        return self._latest

    def next_query(self, page: TokenPage[Any]) -> Query | None:
        """Return the query of the page after `page`, or `None` if `page` is the last.

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


def token_listing(
    filters: Query, page_size: int | None = None
) -> tuple[Query, Callable[[Cursor | None], TokenPages]]:
    """Return a listing's identity (what its checkpoints must match) and its strategy factory.

    Example:
        >>> identity, strategy = token_listing((("WorkspaceId", "145883"),), page_size=50)
        >>> Paginator(fetch_runs_page, strategy, identity=identity, host=...)
    """

    def strategy(cursor: Cursor | None) -> TokenPages:
        return TokenPages(filters, page_size, None if cursor is None else str(cursor))

    return _listing_query(filters, page_size), strategy


def _listing_query(filters: Query, page_size: int | None) -> Query:
    return filters if page_size is None else (*filters, (MAX_RESULTS, str(page_size)))
