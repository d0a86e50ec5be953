"""One iteration of a listing: it fetches the pages, owns the jobs that fetch ahead, keeps its place.

Pages fetched ahead run as `Job`s the client hosts, never inside the walk's
generators, and each page's body is read and released before any of its
items is handed over, so no connection is held while the caller works.

A walk traced by the client's hooks is one operation, made current only
while it fetches a page or starts a job (which copies the current context):
never across a yield, where the caller's own context runs.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

import anyio.lowlevel

from .._core._hooks import ListingProgress, Scope, notify, operation_of
from .._core._params import Query
from .._core._tasks import Job, settle
from ..errors import PaginationError
from ._checkpoint import Checkpoint, ListingStats
from ._listing import Boundary, Listing, ListingClient
from ._pages import Cursor, ItemsPage, PageStrategy
from ._window import Window

__all__ = ["Slice", "Walk"]

PageT = TypeVar("PageT", bound=ItemsPage[Any])
ItemT = TypeVar("ItemT")


@dataclass(slots=True)
class Slice(Generic[PageT, ItemT]):
    """The part of one page a walk hands over, and where each item sits in the page."""

    cursor: Cursor
    page: PageT
    items: Sequence[ItemT]
    offsets: Sequence[int]

    def as_page(self) -> PageT:
        """Return the page holding only the items handed over."""
        page = self.page
        return page if self.items is page.items else page.with_items(list(self.items))


class Walk(Generic[PageT, ItemT]):
    """One iteration of a listing: its fetches, its place, its counts.

    `slices()` fetches the pages in order; the caller notes each item it hands
    on with `handed_over`, so `checkpoint()` is always the place after the
    last one. The walk owns its fetches ahead and cancels them when it ends.
    """

    def __init__(self, client: ListingClient, listing: Listing[PageT, ItemT]) -> None:
        self._client = client
        self._listing = listing
        options = listing.options
        resume = options.resume
        self.stats = ListingStats()
        self._strategy: PageStrategy[PageT] = listing.pages.walk(
            resume.page if resume is not None else None
        )
        self._remaining = options.limit
        self._skip_to = resume
        self._seen: set[str | None] | None = set() if options.dedupe else None
        self._jobs: deque[tuple[Cursor, Job[PageT]]] = deque()
        self._window = Window(options.concurrency, client.stats)
        self._current: Slice[PageT, ItemT] | None = None
        self._mark: Checkpoint | None = None
        self._finished = resume is not None and resume.done
        self._pages_asked = 0
        self._scope: Scope | None = None
        #: How many items of the current slice the caller has been handed.
        self.handed_over = 0
        #: The largest `until.key` among the items kept so far (`None`: none yet, or no `until`).
        self.newest: Any = None

    @property
    def finished(self) -> bool:
        """Whether the walk has nothing more to fetch."""
        return self._finished

    def checkpoint(self) -> Checkpoint:
        """Return the place after the last item handed over."""
        query = self._listing.query
        if self._finished:
            return Checkpoint(query=query, done=True)
        current = self._current
        if current is None or self.handed_over == 0:
            return self._mark or self._skip_to or Checkpoint(query=query)
        index = self.handed_over - 1
        item_id = self._listing.item_id
        return Checkpoint(
            query=query,
            page=current.cursor,
            offset=current.offsets[index] + 1,
            last_id=item_id(current.items[index]) if item_id is not None else None,
        )

    def enter(self, piece: Slice[PageT, ItemT]) -> None:
        """Note that the caller moves on to `piece`, remembering where the last one ended."""
        if self._current is not None and self.handed_over:
            self._mark = self.checkpoint()
        self._current, self.handed_over = piece, 0

    async def slices(self) -> AsyncGenerator[Slice[PageT, ItemT], None]:
        """Fetch the pages in order and yield what of each the caller gets."""
        if self._finished or self._remaining == 0:
            return
        hooks = self._client._hooks
        if hooks is not None:
            self._scope = hooks.start(operation_of("listing", self._listing.request))
        ended: BaseException | None = None
        try:
            started = time.monotonic()
            page = await self._fetch(self._strategy.first_query())
            self._window.calibrate(time.monotonic() - started)
            cursor = self._strategy.cursor(page)
            plan = self._plan(page)
            if plan is not None:
                async for piece in self._fan_out(cursor, page, plan):
                    yield piece
            else:
                async for piece in self._sequential(cursor, page):
                    yield piece
        except BaseException as error:
            ended = error
            raise
        finally:
            await settle(job for _, job in self._jobs)
            if self._scope is not None:
                self._scope.end(ended)

    def _plan(self, first: PageT) -> Iterator[tuple[Cursor, Query]] | None:
        window = self._window
        if window.adaptive and not self._listing.options.prefetch:
            return None  # nothing ahead, as asked
        if not window.adaptive and window.size == 1:
            return None
        wanted = None if self._remaining is None else self._remaining - len(first.items)
        return self._strategy.plan(first, wanted)

    def _active(self) -> AbstractContextManager[object]:
        """Make the walk the current operation, so that the pages it fetches are its children."""
        return nullcontext() if self._scope is None else self._scope.active()

    def _page_fetch(self, paging: Query) -> Callable[[], Awaitable[PageT]]:
        """Return the fetch of one page, numbered in the order the walk asks for them."""
        listing = self._listing
        request = listing.page_request(paging)
        self._pages_asked += 1
        page = operation_of("page", request, page=self._pages_asked, paging=paging)
        return partial(self._client._call, request, listing.decoder, self.stats, page)

    async def _fetch(self, paging: Query) -> PageT:
        fetch = self._page_fetch(paging)
        with self._active():
            return await fetch()

    def _start(self, paging: Query) -> Job[PageT]:
        fetch = self._page_fetch(paging)
        with self._active():
            return self._client._spawn(Job(), fetch)

    async def _sequential(
        self, cursor: Cursor, page: PageT
    ) -> AsyncGenerator[Slice[PageT, ItemT], None]:
        """Walk page after page, fetching the next one while the caller works (prefetch)."""
        prefetch = self._listing.options.prefetch
        while True:
            piece = self._cut(cursor, page)
            if not self._wants_more():
                yield piece
                return
            error: PaginationError | None = None
            try:
                paging = self._strategy.next_query(page)
            except PaginationError as exc:
                paging, error = None, exc
            job = self._start(paging) if paging is not None and prefetch else None
            if job is not None:
                self._jobs.append((cursor, job))
                # One turn of the loop lets the job send its request now, so the service
                # works on the next page even while the caller computes without awaiting.
                await anyio.lowlevel.checkpoint()
            yield piece
            if error is not None:
                raise error
            if paging is None:
                self._finished = True
                return
            if job is not None:
                page = await job.wait()
                self._jobs.popleft()
            else:
                page = await self._fetch(paging)
            cursor = self._strategy.cursor(page)

    async def _fan_out(
        self, cursor: Cursor, page: PageT, plan: Iterator[tuple[Cursor, Query]]
    ) -> AsyncGenerator[Slice[PageT, ItemT], None]:
        """Fetch the foreseen pages with a bounded number in flight; yield them in order."""
        window = self._window
        size = len(page.items)
        jobs = self._jobs

        def top_up() -> None:
            while len(jobs) < window.size:
                planned = next(plan, None)
                if planned is None:
                    return
                expected, paging = planned
                jobs.append((expected, self._start(paging)))

        top_up()
        await anyio.lowlevel.checkpoint()  # the requests leave before the caller gets the page
        yield self._cut(cursor, page)
        while jobs and self._wants_more():
            expected, job = jobs[0]
            wanted = time.monotonic()
            page = await job.wait()
            jobs.popleft()
            window.answered(time.monotonic() - wanted)
            cursor = self._strategy.cursor(page)
            if cursor != expected:
                raise PaginationError(
                    f"asked for page {expected} but the service sent page {cursor}"
                )
            if len(page.items) < size:
                plan = iter(())  # a short page ends the listing, whatever meta.page foretold
            top_up()
            yield self._cut(cursor, page)
        if not self._wants_more():
            return
        # The listing may have grown while it was read: finish it page by page.
        paging = self._strategy.next_query(page)
        if paging is None:
            self._finished = True
            return
        page = await self._fetch(paging)
        async for piece in self._sequential(self._strategy.cursor(page), page):
            yield piece

    def _wants_more(self) -> bool:
        return not self._finished and (self._remaining is None or self._remaining > 0)

    def _cut(self, cursor: Cursor, page: PageT) -> Slice[PageT, ItemT]:
        """Count the page, then keep what the caller has not had and still wants."""
        self.stats.saw(page.total)
        items: Sequence[ItemT] = page.items
        piece = Slice(cursor, page, items, range(len(items)))
        if self._skip_to is not None:
            piece = self._skip_resumed(piece, self._skip_to)
            self._skip_to = None
        if self._listing.until is not None:
            piece = self._stop_at_boundary(piece, self._listing.until)
        if self._seen is not None:
            piece = self._drop_seen(piece, self._seen)
        if self._remaining is not None:
            piece = self._take_up_to_limit(piece, self._remaining)
            self._remaining -= len(piece.items)
        self.stats.items += len(piece.items)
        progress = self._listing.options.progress
        if progress is not None:
            notify(progress, self._progress(page.total))
        return piece

    def _progress(self, total: int | None) -> ListingProgress:
        limit = self._listing.options.limit
        if total is not None and limit is not None:
            total = min(total, limit)
        return ListingProgress(self.stats.items, total, self.stats.pages)

    def _skip_resumed(
        self, piece: Slice[PageT, ItemT], checkpoint: Checkpoint
    ) -> Slice[PageT, ItemT]:
        """Drop what a resumed walk handed over before: up to `last_id`, wherever it moved to."""
        items = piece.items
        start = min(checkpoint.offset, len(items))
        item_id = self._listing.item_id
        last_id = checkpoint.last_id
        moved = start == 0 or (item_id is not None and item_id(items[start - 1]) != last_id)
        if item_id is not None and last_id is not None and moved:
            found = (i + 1 for i, item in enumerate(items) if item_id(item) == last_id)
            start = next(found, start)
        if not start:
            return piece
        return Slice(piece.cursor, piece.page, items[start:], piece.offsets[start:])

    def _stop_at_boundary(self, piece: Slice[PageT, ItemT], until: Boundary) -> Slice[PageT, ItemT]:
        """Keep the items up to the first one older than the boundary; end the walk there.

        A page comes sorted newest first, so its first item is its newest and
        only a page whose last item is older holds the boundary: two keys are
        read per page, not one per item. Should a page come out of order, the
        walk reads on past the boundary and notes an older newest key: more
        requests, more items seen again, never one missed.
        """
        items = piece.items
        if not items:
            return piece
        key, oldest = until.key, until.oldest
        end = None
        if key(items[-1]) < oldest:
            end = next(i for i, item in enumerate(items) if key(item) < oldest)
        if end != 0:
            newest = key(items[0])
            self.newest = newest if self.newest is None else max(self.newest, newest)
        if end is None:
            return piece
        self._finished = True
        return Slice(piece.cursor, piece.page, items[:end], piece.offsets[:end])

    def _drop_seen(self, piece: Slice[PageT, ItemT], seen: set[str | None]) -> Slice[PageT, ItemT]:
        """Drop items already handed over, should writes have shifted them across pages."""
        item_id = self._listing.item_id
        assert item_id is not None  # a listing with dedupe has ids (Listing checks)
        ids = list(map(item_id, piece.items))
        if seen.isdisjoint(ids):  # the common case: each id read once, the page kept as it is
            seen.update(ids)
            return piece
        kept = []
        for offset, item, id_ in zip(piece.offsets, piece.items, ids, strict=True):
            if id_ not in seen:
                seen.add(id_)
                kept.append((offset, item))
        self.stats.duplicates_skipped += len(piece.items) - len(kept)
        return Slice(
            piece.cursor, piece.page, [item for _, item in kept], [offset for offset, _ in kept]
        )

    @staticmethod
    def _take_up_to_limit(piece: Slice[PageT, ItemT], remaining: int) -> Slice[PageT, ItemT]:
        if len(piece.items) <= remaining:
            return piece
        return Slice(piece.cursor, piece.page, piece.items[:remaining], piece.offsets[:remaining])
