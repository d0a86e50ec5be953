"""Model Lab's listings: the engine's paginator, plus other item models and DataFrames."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from .._engine._listing import Boundary, Listing, ListingClient, has_id, read_id
from .._engine._pages import ItemsPage
from .._engine._paginator import BasePaginator
from ..errors import DecodeError
from ..models.jsonapi import Page

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow

    from ..models import Project, Run

__all__ = ["DEFAULT_OVERLAP", "Changes", "Paginator", "page_decoder"]

#: How far behind the watermark `changes` looks again: equal timestamps, clock skew.
DEFAULT_OVERLAP = timedelta(seconds=10)
_NEWEST_FIRST = "-updated_at"
_EARLIEST = datetime.min.replace(tzinfo=UTC)

T = TypeVar("T")
ModelT = TypeVar("ModelT")
PageT = TypeVar("PageT", bound=ItemsPage[Any])
ItemT = TypeVar("ItemT")

_page_decoders: dict[type[Any], msgspec.json.Decoder[Page[Any]]] = {}


def page_decoder(model: type[T]) -> msgspec.json.Decoder[Page[T]]:
    """Return the decoder of pages of `model`, built once per model."""
    found = _page_decoders.get(model)
    if found is None:
        found = _page_decoders[model] = msgspec.json.Decoder(Page[model])  # type: ignore[valid-type]
    return found


class Paginator(BasePaginator[PageT, ItemT]):
    """An auto-paginating Model Lab listing: `async for` gives items, `.pages()` gives pages.

    Creating one sends nothing; each iteration walks the listing afresh, on its
    own. The next page is fetched while the caller works on the current one
    (`prefetch`); with `concurrency=N`, up to N pages are fetched at once and
    still yielded strictly in the server's order. `checkpoint` and `stats`
    describe the iteration started last.

    Example:
        >>> async for run in client.runs.list(project_id=7, status="completed"):
        ...     print(run.id, run.attributes.name)
        >>> runs = await client.runs.list(project_id=7, limit=500, concurrency=8).collect()

    Breaking out of the loop early cancels what was fetched ahead. Wrap the
    iterator in `contextlib.aclosing` to make that happen at once.
    """

    def decode_into(
        self: Paginator[Page[Any], Any], model: type[ModelT]
    ) -> Paginator[Page[ModelT], ModelT]:
        """Return the same listing with its items decoded into `model` instead.

        `model` is a msgspec Struct holding only the fields a pipeline needs;
        the decoder skips the rest, which is markedly faster than building the
        whole resource. `msgspec.Raw` keeps each item's JSON as the service
        sent it, decoded not at all (to forward or store it); its `id` is read
        from the JSON only when a checkpoint or `dedupe` needs it. A checkpoint
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
        listing = replace(
            self.listing,
            decoder=page_decoder(model),
            item_id=read_id if has_id(model) else None,
        )
        return Paginator(self._client, listing)

    async def live_ids(self: Paginator[Page[Any], Any], *, concurrency: int = 8) -> set[str]:
        """Return the ids of every item the listing holds now, fetching only the ids.

        Items are decoded into their `id` alone and pages fetched `concurrency` at
        a time: the cheap half of finding deletions (see `Runs.deleted`).
        """
        options = replace(self.listing.options, concurrency=concurrency, resume=None)
        listing = replace(self.listing, options=options)
        return {item.id async for item in Paginator(self._client, listing).decode_into(_Id)}

    def changes(
        self: Paginator[Page[ModelT], ModelT],
        since: datetime | None,
        *,
        overlap: timedelta = DEFAULT_OVERLAP,
    ) -> Changes[ModelT]:
        """Return the items of this listing changed since `since`, newest first, each once.

        The walk is sorted by `-updated_at` and stops at the first item older than
        `since - overlap`, so it costs about ceil(changed / page size) + 1 requests,
        not a full walk. Save `changes.watermark` once the iteration is done and
        pass it as `since` next time (`None`: everything, the first time).

        Nothing is lost when items change during the walk: an item updated
        mid-walk jumps to the front, behind the walk's position, with an
        `updated_at` above the new watermark, so the next call gets it. Items
        shifted onto a page twice are yielded once (`dedupe`). The overlap
        covers equal timestamps and clock skew: items updated up to `overlap`
        before `since` are yielded again, which an upsert absorbs.

        Example:
            >>> changes = client.runs.list(project_id=3).changes(since=saved)
            >>> async for run in changes:
            ...     upsert(run)
            >>> saved = changes.watermark
        """
        query = self.listing.request.query
        sort = dict(query).get("sort")
        if sort not in (None, _NEWEST_FIRST):
            raise ValueError(f"changes are walked by {_NEWEST_FIRST}; leave sort={sort!r} out")
        if overlap < timedelta(0):
            raise ValueError(f"overlap must not be negative, got {overlap!r}")
        filters = tuple(pair for pair in query if pair[0] != "sort")
        listing = replace(
            self.listing,
            request=replace(self.listing.request, query=(*filters, ("sort", _NEWEST_FIRST))),
            options=replace(self.listing.options, concurrency=1, dedupe=True),
            until=Boundary(_updated_at, _EARLIEST if since is None else since - overlap),
        )
        return Changes(self._client, listing, since)

    async def to_arrow(
        self: Paginator[Page[Run], Run] | Paginator[Page[Project], Project],
    ) -> pyarrow.Table:
        """Build a pyarrow Table of the listing, one row per run or project (extra: arrow).

        Columns are the attributes, then `param.<key>`, `tag.<key>` and
        `metric.<key>.<stat>`, as in mlflow's `search_runs`; see `modellab_async.frames`.
        """
        from ..frames import to_arrow  # noqa: PLC0415  # pyarrow loads only when asked for

        return await to_arrow(self.pages())

    async def to_polars(
        self: Paginator[Page[Run], Run] | Paginator[Page[Project], Project],
    ) -> polars.DataFrame:
        """Build a polars DataFrame of the listing, page by page (extra: polars).

        Example:
            >>> df = await client.runs.list(project_id=3).to_polars()
            >>> df.sort("metric.accuracy.max", descending=True).head(5)
        """
        from ..frames import to_polars  # noqa: PLC0415

        return await to_polars(self.pages())

    async def to_pandas(
        self: Paginator[Page[Run], Run] | Paginator[Page[Project], Project],
    ) -> pandas.DataFrame:
        """Build a pandas DataFrame of the listing, with Arrow-backed dtypes (extra: pandas)."""
        from ..frames import to_pandas  # noqa: PLC0415

        return await to_pandas(self.pages())


class _Id(msgspec.Struct):
    id: str


class _Stamp(msgspec.Struct):
    updated_at: datetime


class _Stamped(msgspec.Struct):
    attributes: _Stamp


_stamp = msgspec.json.Decoder(_Stamp)
_stamped = msgspec.json.Decoder(_Stamped)


def _keeps_updated_at(model: type[Any]) -> bool:
    """Whether items decoded into `model` carry their `updated_at`, decoded or as raw JSON."""
    if model is msgspec.Raw:
        return True
    attributes = _field_type(msgspec.inspect.type_info(model), "attributes")
    return isinstance(attributes, msgspec.inspect.RawType) or (
        _field_type(attributes, "updated_at") is not None
    )


def _field_type(info: msgspec.inspect.Type | None, name: str) -> msgspec.inspect.Type | None:
    fields = getattr(info, "fields", ())
    return next((field.type for field in fields if field.name == name), None)


def _updated_at(item: Any) -> datetime:
    """Read an item's `updated_at`, decoding it alone from JSON kept raw (`msgspec.Raw`)."""
    attributes = item if isinstance(item, msgspec.Raw) else item.attributes
    if not isinstance(attributes, msgspec.Raw):
        return attributes.updated_at  # type: ignore[no-any-return]
    try:
        if attributes is item:
            return _stamped.decode(attributes).attributes.updated_at
        return _stamp.decode(attributes).updated_at
    except (msgspec.DecodeError, RecursionError) as exc:
        raise DecodeError(f"an item changes() walked has no valid updated_at: {exc}") from None


class Changes(Paginator[Page[ItemT], ItemT]):
    """The items of a listing changed since a watermark, and the watermark to save after.

    Iterate it like any paginator; `watermark` is the newest `updated_at`
    handed over once an iteration has run to its end, else the `since` it was
    made with, so a walk that failed half-way is simply done again.
    """

    def __init__(
        self,
        client: ListingClient,
        listing: Listing[Page[ItemT], ItemT],
        since: datetime | None,
    ) -> None:
        super().__init__(client, listing)
        self._since = since

    def decode_into(self, model: type[ModelT]) -> Changes[ModelT]:
        """Return the same changes with their items decoded into `model`, as `Paginator.decode_into`.

        The walk still reads each page's `updated_at`, so `model` keeps it:
        in its `attributes`, or in JSON kept as sent (`msgspec.Raw`, as the
        item or as its `attributes`).

        Raises:
            TypeError: `model` leaves `updated_at` out.
        """
        if not _keeps_updated_at(model):
            raise TypeError(
                f"changes are walked by updated_at: {model.__name__} must keep"
                " attributes.updated_at (or be msgspec.Raw, or keep its attributes raw)"
            )
        listing = Paginator.decode_into(self, model).listing
        return Changes(self._client, listing, self._since)

    @property
    def since(self) -> datetime | None:
        """The watermark these changes were made with; `None` for the whole listing."""
        return self._since

    @property
    def watermark(self) -> datetime | None:
        """The `since` of the next call: the newest change seen by a finished iteration."""
        walk = self._latest
        if walk is None or not walk.finished or walk.newest is None:
            return self._since
        newest: datetime = walk.newest
        return newest if self._since is None else max(newest, self._since)
