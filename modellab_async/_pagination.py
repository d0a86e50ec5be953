"""The paginator engine: walk a listing page by page and yield its items in order.

How the next page is found is a strategy (`PageStrategy`): Model Lab numbers its
pages (`NumberedPages`), other services hand out tokens. The engine itself only
asks a strategy for the first query and, after each page, for the next one.
Each page's body is read and its response released before any item is yielded,
so no connection is held while the caller works.
"""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from typing import Any, Generic, Protocol, Self, TypeVar

from yarl import URL

from ._params import Query
from .errors import PaginationError
from .models.jsonapi import Links, Page, PageInfo

__all__ = ["NumberedPages", "PageStrategy", "Paginator", "next_page_number"]

ItemT = TypeVar("ItemT")
ItemT_co = TypeVar("ItemT_co", covariant=True)
PageT = TypeVar("PageT", bound="ItemsPage[Any]")
PageT_contra = TypeVar("PageT_contra", contravariant=True)


class ItemsPage(Protocol[ItemT_co]):
    """What the engine needs of a page: its items, and a copy holding only the first n."""

    @property
    def items(self) -> Sequence[ItemT_co]:
        """The page's items in the server's order."""

    def truncated(self, count: int) -> Self:
        """Return the page itself, or a copy holding only its first `count` items."""


class PageStrategy(Protocol[PageT_contra]):
    """How one walk through a listing finds its pages; a fresh one serves each walk."""

    def first_query(self) -> Query:
        """Return the query of the first page."""

    def next_query(self, page: PageT_contra) -> Query | None:
        """Return the query of the page after `page`, or `None` if `page` is the last.

        Raises:
            PaginationError: the next page would repeat one already fetched.
        """


def _link_page_number(link: str | None) -> int | None:
    if not link:
        return None
    try:
        number = URL(link).query.get("page[number]")
        return int(number) if number is not None else None
    except ValueError:
        return None


def next_page_number(
    info: PageInfo, links: Links | None, item_count: int, first_number: int
) -> int | None:
    """Decide the number of the page after this one, or `None` if this one is the last.

    The service's own numbers win (`next_number`, then `links.next`); where it
    gives neither, the next page is `number + 1`. The page is the last when it
    is empty or short, when `number` reaches `last_number`, or when the pages
    from `first_number` up to this one already hold `total` items, so a listing
    of T items in pages of S costs exactly ceil(T / S) requests.
    """
    if item_count == 0 or item_count < info.size:
        return None
    if info.last_number is not None and info.number >= info.last_number:
        return None
    pages_in_listing = math.ceil(info.total / info.size) if info.size > 0 else 0
    if info.number - first_number + 1 >= pages_in_listing:
        return None
    if info.next_number is not None:
        return info.next_number
    linked = _link_page_number(links.next if links is not None else None)
    return linked if linked is not None else info.number + 1


class NumberedPages:
    """Model Lab's page-number walk: `page[number]` from `meta.page` and `links`.

    The first request sends `page[number]` only if the caller gave `start_page`,
    since the service's numbering (0- or 1-based) is learned from its answer.
    Every next request repeats the caller's filters, sort and page size: links
    only supply a page number, and their host is never contacted.
    """

    def __init__(self, filters: Query, page_size: int, start_page: int | None = None) -> None:
        self._filters = filters
        self._size = str(page_size)
        self._start_page = start_page
        self._first_number: int | None = None
        self._requested: set[int] = set()

    def _query(self, number: int | None) -> Query:
        if number is None:
            return (*self._filters, ("page[size]", self._size))
        self._requested.add(number)
        return (*self._filters, ("page[number]", str(number)), ("page[size]", self._size))

    def first_query(self) -> Query:
        """Return the caller's query for the first page."""
        return self._query(self._start_page)

    def next_query(self, page: Page[Any]) -> Query | None:
        """Return the query of the page after `page`, or `None` after the last."""
        info = page.meta.page
        self._requested.add(info.number)
        if self._first_number is None:
            if info.first_number is not None:
                self._first_number = info.first_number
            elif self._start_page is None:
                self._first_number = info.number
            else:
                # Where numbering starts is unknown: assume the later start, 1, unless
                # this page is 0. Totals then count low, which can cost an extra empty
                # page but never skips one.
                self._first_number = min(info.number, 1)
        number = next_page_number(info, page.links, len(page.data), self._first_number)
        if number is None:
            return None
        if number <= info.number or number in self._requested:
            raise PaginationError(
                f"the service pointed from page {info.number} to page {number}, "
                "which was already fetched; stopping instead of looping"
            )
        return self._query(number)


class Paginator(Generic[PageT, ItemT]):
    """An auto-paginating listing: `async for` gives items, `.pages()` gives pages.

    Creating one sends nothing; each iteration walks the listing afresh.

    Example:
        >>> async for run in client.runs.list(project_id=7, status="completed"):
        ...     print(run.id, run.attributes.name)
        >>> runs = await client.runs.list(project_id=7, limit=500).collect()

    Breaking out of the loop early is safe: no connection is held between
    pages. Wrap the iterator in `contextlib.aclosing` to end it at once.
    """

    def __init__(
        self,
        fetch: Callable[[Query], Awaitable[PageT]],
        strategy: Callable[[], PageStrategy[PageT]],
        *,
        limit: int | None = None,
    ) -> None:
        self._fetch = fetch
        self._strategy = strategy
        self._limit = limit

    async def pages(self) -> AsyncGenerator[PageT, None]:
        """Yield the listing's pages in order; the last is cut short to honour `limit`."""
        remaining = self._limit
        if remaining == 0:
            return
        strategy = self._strategy()
        query: Query | None = strategy.first_query()
        while query is not None:
            page = await self._fetch(query)
            if remaining is not None:
                if len(page.items) >= remaining:
                    yield page.truncated(remaining)
                    return
                remaining -= len(page.items)
            yield page
            query = strategy.next_query(page)

    async def _items(self) -> AsyncGenerator[ItemT, None]:
        async for page in self.pages():
            for item in page.items:
                yield item

    def __aiter__(self) -> AsyncGenerator[ItemT, None]:  # noqa: PYI058  # callers may aclose() it
        return self._items()

    async def collect(self) -> list[ItemT]:
        """Fetch the whole listing (up to `limit`) into a list."""
        return [item async for item in self._items()]
