"""How a walk finds its pages: the protocols an API's page scheme implements; no I/O."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol, Self, TypeVar

from .._core._params import Query

__all__ = ["Cursor", "ItemsPage", "PageStrategy", "Pages"]

ItemT_co = TypeVar("ItemT_co", covariant=True)
PageT = TypeVar("PageT", bound="ItemsPage[Any]")
PageT_contra = TypeVar("PageT_contra", contravariant=True)

#: Where a page starts: a page number, or an opaque token.
Cursor = int | str


class ItemsPage(Protocol[ItemT_co]):
    """What the engine needs of a page: its items, its total, and a copy with other items."""

    @property
    def items(self) -> Sequence[ItemT_co]:
        """The page's items in the server's order."""

    @property
    def total(self) -> int | None:
        """How many items the whole listing holds, as this page says."""

    def with_items(self, items: list[Any]) -> Self:
        """Return a copy of the page holding `items` instead."""


class PageStrategy(Protocol[PageT_contra]):
    """One walk's way through a listing's pages; it remembers what the walk has fetched.

    Each method returns only the paging part of a query (page number, size,
    token); the engine puts the listing's own filters in front of it.
    """

    def first_query(self) -> Query:
        """Return the paging parameters of the first page."""

    def next_query(self, page: PageT_contra) -> Query | None:
        """Return the paging parameters of the page after `page`, or `None` after the last.

        Raises:
            PaginationError: the next page would repeat one already fetched.
        """

    def plan(
        self, first: PageT_contra, wanted: int | None
    ) -> Iterator[tuple[Cursor, Query]] | None:
        """Return every later page of the listing, lazily, or `None` if none can be foreseen.

        `wanted` is how many more items the caller wants (`None`: all); pages past
        those are left out. The engine draws from the plan only as it fetches, so
        a service claiming a huge last page costs nothing up front.
        """

    def cursor(self, page: PageT_contra) -> Cursor:
        """Return where `page` starts, to resume from it later."""


class Pages(Protocol[PageT_contra]):
    """An API's page scheme as an immutable value: its settings, and a fresh walk from them."""

    def query(self) -> Query:
        """Return the paging settings that make a listing what it is (its page size)."""

    def walk(self, cursor: Cursor | None) -> PageStrategy[PageT_contra]:
        """Return the strategy of one walk, starting at `cursor` (`None`: the first page).

        Raises:
            ValueError: `cursor` cannot be a page of this scheme (a resumed checkpoint
                made for another kind of listing).
        """
