"""The paginator engine: walk a listing and yield its items in the server's order.

How pages are found is a strategy (`PageStrategy`): Model Lab numbers its pages
(`NumberedPages`), other services hand out tokens. The engine asks a strategy
for the first query, for the next query after a page, and, when fetching
concurrently, for every later page it can foresee. Pages fetched ahead run as
`Job`s hosted by the client, never inside this generator, and each
page's body is read and released before any item is yielded, so no connection
is held while the caller works.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar

import anyio.lowlevel
import msgspec
from yarl import URL

from ._params import Query, positive
from ._tasks import Job, TaskHost, settle
from .errors import ModelLabError, PaginationError
from .models.jsonapi import Links, Page, PageInfo

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow

    from .models import Project, Run

__all__ = [
    "Checkpoint",
    "ListingStats",
    "NumberedPages",
    "PageStrategy",
    "Paginator",
    "next_page_number",
]

logger = logging.getLogger("modellab_async")

ItemT = TypeVar("ItemT")
ModelT = TypeVar("ModelT")
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
    """How one walk through a listing finds its pages; a fresh one serves each walk."""

    def first_query(self) -> Query:
        """Return the query of the first page."""

    def next_query(self, page: PageT_contra) -> Query | None:
        """Return the query of the page after `page`, or `None` if `page` is the last.

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


class Checkpoint(msgspec.Struct, frozen=True, kw_only=True):
    """How far a listing has been yielded: enough to resume it, even in another process.

    Example:
        >>> runs = client.runs.list(project_id=7, resume=Checkpoint.from_json(saved))
        >>> async for run in runs:
        ...     process(run)
        ...     saved = runs.checkpoint.to_json()
    """

    query: tuple[tuple[str, str], ...]
    page: int | str | None = None
    offset: int = 0
    last_id: str | None = None
    done: bool = False

    def to_json(self) -> bytes:
        """Encode the checkpoint as JSON."""
        return msgspec.json.encode(self)

    @classmethod
    def from_json(cls, data: bytes | str) -> Checkpoint:
        """Decode a checkpoint saved with `to_json`."""
        return msgspec.json.decode(data, type=cls)


@dataclass
class ListingStats:
    """What one walk through a listing saw, for judging it under concurrent writes.

    `total_changes` counts the pages whose `total` differed from the page before;
    `possibly_missed` adds up the drops in `total` (deleted items shift later
    ones onto pages already fetched); `duplicates_skipped` counts items that
    `dedupe=True` did not yield again.
    """

    pages: int = 0
    items: int = 0
    duplicates_skipped: int = 0
    total_changes: int = 0
    possibly_missed: int = 0
    first_total: int | None = None
    last_total: int | None = None

    def saw(self, total: int | None) -> None:
        """Count one page and what its `total` says about drift."""
        self.pages += 1
        if total is None:
            return
        if self.last_total is None:
            self.first_total = total
        elif total != self.last_total:
            self.total_changes += 1
            self.possibly_missed += max(0, self.last_total - total)
            logger.warning(
                "the listing changed while being read: total went from %d to %d",
                self.last_total,
                total,
            )
        self.last_total = total


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
    """Return the number of the listing's last page: `last_number`, or counted from `total`."""
    if info.last_number is not None:
        return info.last_number
    pages = math.ceil(info.total / info.size) if info.size > 0 else 0
    return first_number + max(pages, 1) - 1


class NumberedPages:
    """Model Lab's page-number walk: `page[number]` from `meta.page` and `links`.

    The first request sends `page[number]` only if the caller gave a start page,
    since the service's numbering (0- or 1-based) is learned from its answer.
    Every later request repeats the caller's filters, sort and page size: links
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
        """Return the caller's query for the first page."""
        return self._query(self._start_page)

    def cursor(self, page: Page[Any]) -> int:
        """Return the page's number."""
        return page.meta.page.number

    def next_query(self, page: Page[Any]) -> Query | None:
        """Return the query of the page after `page`, or `None` after the last."""
        info = page.meta.page
        self._requested.add(info.number)
        first = self._first_number_of(info)
        number = next_page_number(info, page.links, len(page.data), first)
        if number is None:
            return None
        if number <= info.number or number in self._requested:
            raise PaginationError(
                f"the service pointed from page {info.number} to page {number}, "
                "which was already fetched; stopping instead of looping"
            )
        return self._query(number)

    def plan(self, first: Page[Any], wanted: int | None) -> Iterator[tuple[Cursor, Query]]:
        """Return the queries of every later page, numbered from `meta.page`, lazily."""
        info = first.meta.page
        self._requested.add(info.number)
        start = self._first_number_of(info)
        if next_page_number(info, first.links, len(first.data), start) is None:
            return iter(())
        numbers = range(info.number + 1, last_page_number(info, start) + 1)
        if wanted is not None:
            numbers = numbers[: math.ceil(wanted / info.size)]
        return ((number, self._query(number)) for number in numbers)


@dataclass
class _Slice(Generic[PageT, ItemT]):
    """The part of one page a walk yields, and where it sits in the page."""

    cursor: Cursor
    page: PageT
    items: Sequence[ItemT]
    offsets: Sequence[int]


@dataclass
class _Walk(Generic[PageT, ItemT]):
    """One iteration of a listing: fetches pages, skips what it must, keeps its place."""

    listing: Paginator[PageT, ItemT]
    strategy: PageStrategy[PageT]
    stats: ListingStats
    remaining: int | None
    skip_to: Checkpoint | None
    seen: set[str | None] | None
    jobs: deque[tuple[Cursor, Job[PageT]]] = field(default_factory=deque)
    current: _Slice[PageT, ItemT] | None = None
    yielded: int = 0
    mark: Checkpoint | None = None
    finished: bool = False

    def enter(self, piece: _Slice[PageT, ItemT], query: Query) -> None:
        """Note that the caller moves on to `piece`, remembering where the last one ended."""
        if self.current is not None and self.yielded:
            self.mark = self.checkpoint(query)
        self.current, self.yielded = piece, 0

    def checkpoint(self, query: Query) -> Checkpoint:
        """Return the place after the last item yielded."""
        if self.finished:
            return Checkpoint(query=query, done=True)
        if self.current is None or self.yielded == 0:
            return self.mark or self.skip_to or Checkpoint(query=query)
        index = self.yielded - 1
        return Checkpoint(
            query=query,
            page=self.current.cursor,
            offset=self.current.offsets[index] + 1,
            last_id=self.listing._item_id(self.current.items[index]),
        )

    def _cut(self, cursor: Cursor, page: PageT) -> _Slice[PageT, ItemT]:
        """Drop what was yielded before a resume, what dedupe skips, and what exceeds limit."""
        self.stats.saw(page.total)
        items: Sequence[ItemT] = page.items
        start = 0
        if self.skip_to is not None:
            start = self._resume_offset(items, self.skip_to)
            self.skip_to = None
        offsets: Sequence[int] = range(start, len(items))
        if start:
            items = items[start:]
        if self.seen is not None:
            item_id = self.listing._item_id
            kept = [
                (i, item)
                for i, item in zip(offsets, items, strict=True)
                if item_id(item) not in self.seen
            ]
            self.stats.duplicates_skipped += len(items) - len(kept)
            self.seen.update(item_id(item) for _, item in kept)
            offsets = [i for i, _ in kept]
            items = [item for _, item in kept]
        if self.remaining is not None:
            if len(items) > self.remaining:
                items = items[: self.remaining]
            self.remaining -= len(items)
        self.stats.items += len(items)
        return _Slice(cursor, page, items, offsets)

    def _resume_offset(self, items: Sequence[ItemT], checkpoint: Checkpoint) -> int:
        """Find where to resume in the first page: after `last_id`, wherever it moved to."""
        offset = min(checkpoint.offset, len(items))
        if checkpoint.last_id is None:
            return offset
        item_id = self.listing._item_id
        if offset and item_id(items[offset - 1]) == checkpoint.last_id:
            return offset
        for index, item in enumerate(items):
            if item_id(item) == checkpoint.last_id:
                return index + 1
        return offset

    def _wants_more(self) -> bool:
        return self.remaining is None or self.remaining > 0

    async def slices(self) -> AsyncGenerator[_Slice[PageT, ItemT], None]:
        """Fetch the pages in order and yield what of each the caller gets."""
        listing = self.listing
        try:
            page = await listing._fetch(self.strategy.first_query())
            cursor = self.strategy.cursor(page)
            if listing._concurrency > 1:
                wanted = None if self.remaining is None else self.remaining - len(page.items)
                plan = self.strategy.plan(page, wanted)
                if plan is not None:
                    async for piece in self._fan_out(cursor, page, plan):
                        yield piece
                    return
            async for piece in self._sequential(cursor, page):
                yield piece
        finally:
            await settle(job for _, job in self.jobs)

    async def _sequential(
        self, cursor: Cursor, page: PageT
    ) -> AsyncGenerator[_Slice[PageT, ItemT], None]:
        """Walk page after page, fetching the next one while the caller works (prefetch)."""
        listing = self.listing
        while True:
            piece = self._cut(cursor, page)
            if not self._wants_more():
                yield piece
                return
            error: PaginationError | None = None
            try:
                query = self.strategy.next_query(page)
            except PaginationError as exc:
                query, error = None, exc
            job = listing._start(query) if query is not None and listing._prefetch else None
            if job is not None:
                self.jobs.append((cursor, job))
                # One turn of the loop lets the job send its request now, so the service
                # works on the next page even while the caller computes without awaiting.
                await anyio.lowlevel.checkpoint()
            yield piece
            if error is not None:
                raise error
            if query is None:
                self.finished = True
                return
            page = await job.wait() if job is not None else await listing._fetch(query)
            if job is not None:
                self.jobs.popleft()
            cursor = self.strategy.cursor(page)

    async def _fan_out(
        self, cursor: Cursor, page: PageT, plan: Iterator[tuple[Cursor, Query]]
    ) -> AsyncGenerator[_Slice[PageT, ItemT], None]:
        """Fetch the foreseen pages with a bounded number in flight; yield them in order."""
        listing = self.listing
        size = len(page.items)

        def top_up() -> None:
            while len(self.jobs) < listing._concurrency:
                planned = next(plan, None)
                if planned is None:
                    return
                expected, query = planned
                self.jobs.append((expected, listing._start(query)))

        top_up()
        yield self._cut(cursor, page)
        while self.jobs and self._wants_more():
            expected, job = self.jobs[0]
            page = await job.wait()
            self.jobs.popleft()
            cursor = self.strategy.cursor(page)
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
        query = self.strategy.next_query(page)
        if query is None:
            self.finished = True
            return
        page = await listing._fetch(query)
        async for piece in self._sequential(self.strategy.cursor(page), page):
            yield piece


class _Identified(msgspec.Struct):
    id: str | int | None = None


_identified = msgspec.json.Decoder(_Identified)


def _resource_id(item: Any) -> str | None:
    """Return an item's `id` as text, or `None` if it has none.

    An item kept as raw JSON (`msgspec.Raw`) has its `id` read, and nothing else decoded.
    """
    if isinstance(item, msgspec.Raw):
        try:
            item = _identified.decode(item)
        except (msgspec.DecodeError, RecursionError):
            return None
    value = getattr(item, "id", None)
    return None if value is None else str(value)


def _has_id(model: type[Any]) -> bool:
    fields = getattr(model, "__struct_fields__", ()) or getattr(model, "__dataclass_fields__", ())
    return model is msgspec.Raw or "id" in fields


class Paginator(Generic[PageT, ItemT]):
    """An auto-paginating listing: `async for` gives items, `.pages()` gives pages.

    Creating one sends nothing; each iteration walks the listing afresh. The
    next page is fetched while the caller works on the current one (`prefetch`);
    with `concurrency=N`, up to N pages are fetched at once and still yielded
    strictly in the server's order.

    Example:
        >>> async for run in client.runs.list(project_id=7, status="completed"):
        ...     print(run.id, run.attributes.name)
        >>> runs = await client.runs.list(project_id=7, limit=500, concurrency=8).collect()

    Breaking out of the loop early cancels what was fetched ahead. Wrap the
    iterator in `contextlib.aclosing` to make that happen at once.
    """

    def __init__(
        self,
        fetch: Callable[[Query], Awaitable[PageT]],
        strategy: Callable[[Cursor | None], PageStrategy[PageT]],
        *,
        identity: Query,
        host: Callable[[], TaskHost],
        limit: int | None = None,
        concurrency: int = 1,
        prefetch: bool = True,
        dedupe: bool = False,
        resume: Checkpoint | None = None,
        item_id: Callable[[ItemT], str | None] = _resource_id,
        retype: Callable[[type[Any]], Callable[[Query], Awaitable[Any]]] | None = None,
    ) -> None:
        positive(concurrency, "concurrency")
        if resume is not None and tuple(map(tuple, resume.query)) != identity:
            raise ValueError(
                "this checkpoint was made for a different listing (query or page size)"
            )
        self._fetch = fetch
        self._strategy = strategy
        self._identity = identity
        self._host = host
        self._limit = limit
        self._concurrency = concurrency
        self._prefetch = prefetch
        self._dedupe = dedupe
        self._resume = resume
        self._item_id = item_id
        self._retype = retype
        self._walk: _Walk[PageT, ItemT] | None = None

    def decode_into(
        self: Paginator[Page[Any], Any], model: type[ModelT]
    ) -> Paginator[Page[ModelT], ModelT]:
        """Return the same listing with its items decoded into `model` instead.

        `model` is a msgspec Struct holding only the fields a pipeline needs;
        the decoder skips the rest, which is markedly faster than building the
        whole resource. `msgspec.Raw` keeps each item's JSON as the service
        sent it, decoded not at all (to forward or store it). A checkpoint
        notes the last item's `id` when the model has one, so a resumed
        listing finds its place even if items moved; without it, it resumes
        by position. `dedupe=True` needs the `id`.

        Example:
            >>> class Summary(msgspec.Struct):
            ...     name: str
            ...     status: str
            >>> class SlimRun(msgspec.Struct):
            ...     id: str
            ...     attributes: Summary
            >>> async for run in client.runs.list(project_id=7).decode_into(SlimRun):
            ...     print(run.id, run.attributes.status)
        """
        if self._retype is None:
            raise TypeError("this listing cannot decode its items into another model")
        if self._dedupe and not _has_id(model):
            raise TypeError(f"dedupe=True tells items apart by `id`, which {model!r} lacks")
        return Paginator(
            self._retype(model),
            self._strategy,
            identity=self._identity,
            host=self._host,
            limit=self._limit,
            concurrency=self._concurrency,
            prefetch=self._prefetch,
            dedupe=self._dedupe,
            resume=self._resume,
            retype=self._retype,
        )

    @property
    def checkpoint(self) -> Checkpoint:
        """Where the latest iteration stands: pass it as `resume=` to carry on from there."""
        if self._walk is None:
            return self._resume or Checkpoint(query=self._identity)
        return self._walk.checkpoint(self._identity)

    @property
    def stats(self) -> ListingStats:
        """What the latest iteration saw: pages, items, duplicates skipped, drift."""
        return self._walk.stats if self._walk is not None else ListingStats()

    def _start(self, query: Query) -> Job[PageT]:
        return self._host().spawn(Job(), lambda: self._fetch(query))

    def _new_walk(self) -> _Walk[PageT, ItemT] | None:
        resume = self._resume
        if resume is not None and resume.done:
            return None
        walk = _Walk(
            listing=self,
            strategy=self._strategy(resume.page if resume is not None else None),
            stats=ListingStats(),
            remaining=self._limit,
            skip_to=resume,
            seen=set() if self._dedupe else None,
        )
        self._walk = walk
        return walk

    async def pages(self) -> AsyncGenerator[PageT, None]:
        """Yield the listing's pages in order, holding only the items the caller gets."""
        walk = self._new_walk() if self._limit != 0 else None
        if walk is None:
            return
        async with aclosing(walk.slices()) as slices:
            async for piece in slices:
                walk.enter(piece, self._identity)
                walk.yielded = len(piece.items)
                page = piece.page
                yield page if piece.items is page.items else page.with_items(list(piece.items))

    async def _items(self) -> AsyncGenerator[ItemT, None]:
        walk = self._new_walk() if self._limit != 0 else None
        if walk is None:
            return
        try:
            async with aclosing(walk.slices()) as slices:
                async for piece in slices:
                    walk.enter(piece, self._identity)
                    for item in piece.items:
                        walk.yielded += 1
                        yield item
        except ModelLabError as exc:
            exc.checkpoint = walk.checkpoint(self._identity)
            raise

    def __aiter__(self) -> AsyncGenerator[ItemT, None]:  # noqa: PYI058  # callers may aclose() it
        return self._items()

    async def collect(self) -> list[ItemT]:
        """Fetch the whole listing (up to `limit`) into a list."""
        return [item async for item in self._items()]

    async def to_arrow(
        self: Paginator[Page[Run], Run] | Paginator[Page[Project], Project],
    ) -> pyarrow.Table:
        """Build a pyarrow Table of the listing, one row per run or project (extra: arrow).

        Columns are the attributes, then `param.<key>`, `tag.<key>` and
        `metric.<key>.<stat>`, as in mlflow's `search_runs`; see `modellab_async.frames`.
        """
        from .frames import to_arrow  # noqa: PLC0415  # pyarrow loads only when asked for

        return await to_arrow(self.pages())

    async def to_polars(
        self: Paginator[Page[Run], Run] | Paginator[Page[Project], Project],
    ) -> polars.DataFrame:
        """Build a polars DataFrame of the listing, page by page (extra: polars).

        Example:
            >>> df = await client.runs.list(project_id=3).to_polars()
            >>> df.sort("metric.accuracy.max", descending=True).head(5)
        """
        from .frames import to_polars  # noqa: PLC0415

        return await to_polars(self.pages())

    async def to_pandas(
        self: Paginator[Page[Run], Run] | Paginator[Page[Project], Project],
    ) -> pandas.DataFrame:
        """Build a pandas DataFrame of the listing, with Arrow-backed dtypes (extra: pandas)."""
        from .frames import to_pandas  # noqa: PLC0415

        return await to_pandas(self.pages())
