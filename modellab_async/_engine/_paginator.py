"""The iterable listing users hold: `async for` gives items, `.pages()` gives pages."""

from __future__ import annotations

import copy
import os
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import replace
from typing import Any, Generic, Self, TypeVar

from .._core._hooks import ListingProgress
from ..errors import ModelLabError
from ._checkpoint import Checkpoint, ListingStats
from ._listing import Listing, ListingClient, WalkOptions
from ._pages import ItemsPage
from ._walk import Walk

__all__ = ["BasePaginator"]

PageT = TypeVar("PageT", bound=ItemsPage[Any])
ItemT = TypeVar("ItemT")


class BasePaginator(Generic[PageT, ItemT]):
    """An auto-paginating listing of any API: `async for` gives items, `.pages()` gives pages.

    Creating one sends nothing; each iteration walks the listing afresh, on its
    own: two tasks iterating one paginator at once each get the whole listing.
    The next page is fetched while the caller works on the current one
    (`prefetch`); with `concurrency=N`, up to N pages are fetched at once and
    still yielded strictly in the server's order.

    `checkpoint` and `stats` describe the iteration started last; an error
    raised while iterating carries the checkpoint of its own iteration.

    Breaking out of the loop early cancels what was fetched ahead. Wrap the
    iterator in `contextlib.aclosing` to make that happen at once.
    """

    def __init__(self, client: ListingClient, listing: Listing[PageT, ItemT]) -> None:
        self._client = client
        self._listing = listing
        self._latest: Walk[PageT, ItemT] | None = None

    @property
    def listing(self) -> Listing[PageT, ItemT]:
        """What this paginator walks: request, decoder, page scheme and options."""
        return self._listing

    @property
    def checkpoint(self) -> Checkpoint:
        """Where the latest iteration stands: pass it as `resume=` to carry on from there."""
        if self._latest is None:
            return self._listing.options.resume or Checkpoint(query=self._listing.query)
        return self._latest.checkpoint()

    @property
    def stats(self) -> ListingStats:
        """What the latest iteration saw: pages, items, duplicates skipped, drift."""
        return self._latest.stats if self._latest is not None else ListingStats()

    def resumed(self, checkpoint: Checkpoint) -> Self:
        """Return the same listing, resuming from `checkpoint` (of an earlier walk of it).

        Raises:
            ValueError: the checkpoint was made for another listing.
        """
        return self._derived(replace(self._listing.options, resume=checkpoint))

    async def to_jsonl(self, path: str | os.PathLike[str], *, state: str | os.PathLike[str]) -> int:
        """Write the listing to `path` as JSON lines, exactly once per item; return the count.

        `state` names a file that records how far the export got, after each
        page: rerun the same call after a crash or a kill and it resumes where
        the last page written ended, cutting off anything written after it, so
        every item is in the file once. The state file is removed when done.

        Example:
            >>> await client.runs.list(project_id=3).to_jsonl("runs.jsonl", state="runs.state")
        """
        from .._jsonl import write_jsonl  # noqa: PLC0415  # file work only when asked for

        return await write_jsonl(self, path, state)

    def with_progress(self, callback: Callable[[ListingProgress], object] | None) -> Self:
        """Return the same listing, telling `callback` how far each iteration has got.

        `callback` receives a `ListingProgress` (items handed over, the listing's
        total when its pages say it, pages received) as each page is handed
        over; what it raises is logged, not propagated. `None` removes it.

        Example:
            >>> def show(progress: ListingProgress) -> None:
            ...     print(f"{progress.items} of {progress.total or '?'} runs")
            >>> runs = await client.runs.list(project_id=3).with_progress(show).collect()
        """
        return self._derived(replace(self._listing.options, progress=callback))

    def _derived(self, options: WalkOptions) -> Self:
        """Return a paginator like this one (its subclass and state kept) with other options."""
        derived = copy.copy(self)
        derived._listing = replace(self._listing, options=options)
        derived._latest = None
        return derived

    def _walk(self) -> Walk[PageT, ItemT]:
        walk = self._latest = Walk(self._client, self._listing)
        return walk

    async def pages(self) -> AsyncGenerator[PageT, None]:
        """Yield the listing's pages in order, holding only the items the caller gets."""
        walk = self._walk()
        try:
            async with aclosing(walk.slices()) as slices:
                async for piece in slices:
                    walk.enter(piece)
                    walk.handed_over = len(piece.items)
                    yield piece.as_page()
        except ModelLabError as exc:
            exc.checkpoint = walk.checkpoint()
            raise

    async def _items(self) -> AsyncGenerator[ItemT, None]:
        walk = self._walk()
        try:
            async with aclosing(walk.slices()) as slices:
                async for piece in slices:
                    walk.enter(piece)
                    for item in piece.items:
                        walk.handed_over += 1
                        yield item
        except ModelLabError as exc:
            exc.checkpoint = walk.checkpoint()
            raise

    def __aiter__(self) -> AsyncGenerator[ItemT, None]:  # noqa: PYI058  # callers may aclose() it
        return self._items()

    async def collect(self) -> list[ItemT]:
        """Fetch the whole listing (up to `limit`) into a list."""
        return [item async for item in self._items()]
