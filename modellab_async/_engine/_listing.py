"""A listing as one immutable value, and the narrow client interface the engine runs it on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import msgspec

from .._core._hooks import Dispatch, ListingProgress, Operation
from .._core._params import Query, non_negative, positive
from .._core._protocol import Request
from .._core._tasks import Job
from .._core._throttle import ClientStats
from .._core._traffic import Traffic
from ._checkpoint import Checkpoint
from ._pages import ItemsPage, Pages

__all__ = [
    "Boundary",
    "ItemId",
    "Listing",
    "ListingClient",
    "WalkOptions",
    "has_id",
    "read_id",
]

T = TypeVar("T")
PageT = TypeVar("PageT", bound=ItemsPage[Any])
ItemT = TypeVar("ItemT")

#: Reads an item's id as text, `None` if it has none: what checkpoints and `dedupe` compare.
ItemId = Callable[[Any], str | None]


class ListingClient(Protocol):
    """What the engine needs of a client: send one request and decode it, start one job."""

    @property
    def stats(self) -> ClientStats:
        """The client's counters: what its rate limit and concurrency limit allow now."""

    @property
    def _hooks(self) -> Dispatch | None:
        """The caller's hooks, which trace a walk; `None` if there are none."""

    async def _call(
        self,
        request: Request,
        decoder: msgspec.json.Decoder[T],
        meter: Traffic | None = None,
        operation: Operation | None = None,
    ) -> T:
        """Send `request`, retrying as the client's policy allows, and decode its answer.

        `operation` is what hooks are told the request is (a page of a walk).
        """

    def _spawn(self, job: Job[T], call: Callable[[], Awaitable[T]]) -> Job[T]:
        """Run `call` in the background as `job`, which the client cancels when it closes."""


@dataclass(frozen=True, slots=True)
class WalkOptions:
    """How a listing is walked, checked when made.

    Args:
        limit: stop after this many items (`None`: all of them).
        concurrency: pages fetched at once where the pages can be foreseen; `None`
            lets the walk choose, within the client's limits (see `Window`).
        prefetch: fetch the next page while the caller works on this one.
        dedupe: skip items already yielded, should writes shift them across pages.
        resume: a checkpoint of an earlier walk of the same listing to carry on from.
        progress: called with a `ListingProgress` as each page is handed over; what
            it raises is logged, not propagated.
    """

    limit: int | None = None
    concurrency: int | None = None
    prefetch: bool = True
    dedupe: bool = False
    resume: Checkpoint | None = None
    progress: Callable[[ListingProgress], object] | None = None

    def __post_init__(self) -> None:
        if self.limit is not None:
            non_negative(self.limit, "limit")
        if self.concurrency is not None:
            positive(self.concurrency, "concurrency")
        if self.resume is not None and not isinstance(self.resume, Checkpoint):
            raise TypeError(f"resume must be a Checkpoint, got {type(self.resume).__name__}")


class _Identified(msgspec.Struct):
    id: str | int | None = None


_identified = msgspec.json.Decoder(_Identified)


def read_id(item: Any) -> str | None:
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


def has_id(model: type[Any]) -> bool:
    """Whether items of `model` carry an `id` that `read_id` can read."""
    fields = getattr(model, "__struct_fields__", ()) or getattr(model, "__dataclass_fields__", ())
    return model is msgspec.Raw or "id" in fields


@dataclass(frozen=True, slots=True)
class Boundary:
    """Where a listing sorted newest first ends: before its first item older than `oldest`.

    `key` reads the sort key of an item (e.g. its `updated_at`); the walk stops
    fetching once a page holds an older item, and notes the newest key it handed over.
    """

    key: Callable[[Any], Any]
    oldest: Any


@dataclass(frozen=True, slots=True)
class Listing(Generic[PageT, ItemT]):
    """What a listing is: enough to walk it any number of times, in any process.

    Variations derive a new listing by replacing one field
    (`dataclasses.replace(listing, decoder=..., item_id=...)`), and every field
    is checked here, when the listing is made, before anything is sent.

    Args:
        request: the request of the first page, holding the caller's filters;
            the page scheme adds its paging parameters to the query of each page.
        decoder: the typed decoder of one page.
        pages: how pages are found (page numbers, tokens ...).
        options: limit, concurrency, prefetch, dedupe and resume.
        item_id: reads an item's id for checkpoints and `dedupe`; `None` if the
            items have none (they then resume by position, and cannot be deduped).
        until: where a listing sorted newest first ends (`None`: at its last page).
    """

    request: Request
    decoder: msgspec.json.Decoder[PageT]
    pages: Pages[PageT]
    options: WalkOptions = field(default_factory=WalkOptions)
    item_id: ItemId | None = read_id
    until: Boundary | None = None

    def __post_init__(self) -> None:
        if self.options.dedupe and self.item_id is None:
            raise TypeError("dedupe=True tells items apart by `id`, which these items lack")
        resume = self.options.resume
        if resume is None:
            return
        if tuple(map(tuple, resume.query)) != self.query:
            raise ValueError(
                "this checkpoint was made for a different listing (filters or page size)"
            )
        if not resume.done:
            self.pages.walk(resume.page)  # refuses a page this scheme cannot start from

    @property
    def query(self) -> Query:
        """What names the listing: its filters and paging settings, as its checkpoints hold them."""
        return (*self.request.query, *self.pages.query())

    def page_request(self, paging: Query) -> Request:
        """Return the request of one page: the listing's query, then `paging`."""
        request = self.request
        return Request(
            request.method,
            request.path,
            (*request.query, *paging),
            request.accept,
            request.operation,
        )
