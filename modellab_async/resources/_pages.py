"""Model Lab's page-number walk: `page[number]` from `meta.page` and `links`; no I/O.

The first request sends `page[number]` only if the caller gave a start page,
since the service's numbering (0- or 1-based) is learned from its answer.
Links only ever supply a page number: their host is never contacted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from yarl import URL

from .._core._params import MAX_PAGE_SIZE, Query, non_negative, page_size
from .._engine._pages import Cursor
from ..errors import PaginationError
from ..models.jsonapi import Links, Page, PageInfo

__all__ = ["NumberedPages", "NumberedWalk", "last_page_number", "next_page_number"]

#: Page numbers beyond this are refused: no real listing has that many pages.
MAX_PAGE_NUMBER = 2**53


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
    if info.number >= last_page_number(info, first_number):
        return None
    if info.next_number is not None:
        return info.next_number
    linked = _link_page_number(links.next if links is not None else None)
    return linked if linked is not None else info.number + 1


def last_page_number(info: PageInfo, first_number: int) -> int:
    """Return the number of the listing's last page: `last_number`, or counted from `total`.

    Integer arithmetic only, so absurd totals cannot overflow; a size of 0 counts one page.
    """
    if info.last_number is not None:
        return info.last_number
    pages = -(-info.total // info.size) if info.size > 0 else 0
    return first_number + max(pages, 1) - 1


@dataclass(frozen=True, slots=True)
class NumberedPages:
    """Model Lab's page scheme: pages of `size` items, from `start` (`None`: the first).

    Args:
        size: items per request, 1 to 100.
        start: the page number to start from, as the service numbers them.
    """

    size: int = MAX_PAGE_SIZE
    start: int | None = None

    def __post_init__(self) -> None:
        page_size(self.size)
        if self.start is not None:
            non_negative(self.start, "start_page")

    def query(self) -> Query:
        """Return the page size: a checkpoint's page number means nothing under another."""
        return (("page[size]", str(self.size)),)

    def walk(self, cursor: Cursor | None) -> NumberedWalk:
        """Return a fresh walk from page `cursor`, or from `start`."""
        if cursor is None:
            return NumberedWalk(self.size, self.start)
        if isinstance(cursor, bool) or not str(cursor).isdecimal():
            raise ValueError(f"a numbered listing cannot resume from page {cursor!r}")
        return NumberedWalk(self.size, int(cursor))


class NumberedWalk:
    """One walk's way through numbered pages: it learns the numbering, refuses loops."""

    def __init__(self, size: int, start_page: int | None) -> None:
        self._size = str(size)
        self._start_page = start_page
        self._first_number: int | None = None
        self._requested: set[int] = set()

    def _query(self, number: int | None) -> Query:
        if number is None:
            return (("page[size]", self._size),)
        self._requested.add(number)
        return (("page[number]", str(number)), ("page[size]", self._size))

    def _first_number_of(self, info: PageInfo) -> int:
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
        return self._first_number

    def first_query(self) -> Query:
        """Return the paging of the first page: the start page, if the caller gave one."""
        return self._query(self._start_page)

    def cursor(self, page: Page[Any]) -> int:
        """Return the page's number."""
        return page.meta.page.number

    def next_query(self, page: Page[Any]) -> Query | None:
        """Return the paging of the page after `page`, or `None` after the last.

        Raises:
            PaginationError: the service points back to a page already fetched,
                or to a page number no listing can have.
        """
        info = page.meta.page
        self._requested.add(info.number)
        first = self._first_number_of(info)
        number = next_page_number(info, page.links, len(page.data), first)
        if number is None:
            return None
        if number <= info.number or number in self._requested or number > MAX_PAGE_NUMBER:
            raise PaginationError(
                f"the service pointed from page {info.number} to page {number}, "
                "which was already fetched or cannot exist; stopping instead of looping"
            )
        return self._query(number)

    def plan(self, first: Page[Any], wanted: int | None) -> Iterator[tuple[Cursor, Query]]:
        """Return the paging of every later page, numbered from `meta.page`, lazily."""
        info = first.meta.page
        self._requested.add(info.number)
        start = self._first_number_of(info)
        if next_page_number(info, first.links, len(first.data), start) is None:
            return iter(())
        if info.size <= 0:
            return iter(())  # pages of no announced size cannot be foreseen
        numbers = range(info.number + 1, min(last_page_number(info, start), MAX_PAGE_NUMBER) + 1)
        if wanted is not None:
            numbers = numbers[: -(-wanted // info.size)]
        return ((number, self._query(number)) for number in numbers)
