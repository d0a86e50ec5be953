"""What every resource shares: the bound client, typed calls, and listings."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from .._bulk import BATCH_SIZE, Result, fetch_many
from .._pagination import Checkpoint, NumberedPages, Paginator
from .._params import MAX_PAGE_SIZE, Query, id_sequence, non_negative, page_size, positive
from .._protocol import Request
from ..models.jsonapi import Document, Page

if TYPE_CHECKING:
    from .._client import ModelLabClient

__all__ = ["ListOptions", "Resource", "decoder"]

T = TypeVar("T")
M = TypeVar("M")


@dataclass(frozen=True, slots=True)
class ListOptions:
    """How to walk a listing: the arguments every `list()` shares."""

    page_size: int | None = None
    start_page: int | None = None
    limit: int | None = None
    concurrency: int = 1
    prefetch: bool = True
    dedupe: bool = False
    resume: Checkpoint | None = None


def decoder(type_: type[T]) -> msgspec.json.Decoder[T]:
    """Build the one typed decoder a response type gets; resources build theirs at import."""
    return msgspec.json.Decoder(type_)


_page_decoders: dict[type[Any], msgspec.json.Decoder[Page[Any]]] = {}


def page_decoder(model: type[T]) -> msgspec.json.Decoder[Page[T]]:
    """Return the decoder of pages of `model`, built once per model (see `decode_into`)."""
    found = _page_decoders.get(model)
    if found is None:
        found = _page_decoders[model] = msgspec.json.Decoder(Page[model])  # type: ignore[valid-type]
    return found


class Resource:
    """Base of `Projects`, `Runs` and `Artifacts`: methods are thin, one per endpoint."""

    def __init__(self, client: ModelLabClient) -> None:
        self._client = client

    async def _get(
        self, path: str, decoder: msgspec.json.Decoder[Document[T]], query: Query = ()
    ) -> T:
        """GET a single-resource document and return its `data`."""
        document = await self._client._call(Request("GET", path, query), decoder)
        return document.data

    async def _command(self, method: str, path: str) -> None:
        """Send a request answered by 204 No Content (pin, star, delete ...)."""
        await self._client._send(Request(method, path))

    def _get_many(
        self,
        ids: Iterable[int | str],
        concurrency: int,
        ordered: bool,
        fetch_one: Callable[[str], Awaitable[T]],
        *,
        fetch_batch: Callable[[Sequence[str]], Awaitable[Mapping[str, T]]] | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> AsyncGenerator[Result[T], None]:
        """Return results for many ids; ids and options are checked before anything is sent."""
        return fetch_many(
            id_sequence(ids),
            host=self._client._task_host,
            concurrency=positive(concurrency, "concurrency"),
            ordered=ordered,
            fetch_one=fetch_one,
            fetch_batch=fetch_batch,
            batch_size=batch_size,
        )

    def _list(
        self,
        path: str,
        decoder: msgspec.json.Decoder[Page[T]],
        filters: Query,
        options: ListOptions,
    ) -> Paginator[Page[T], T]:
        """Return a paginator over a listing; sends nothing until iterated."""
        size = options.page_size
        limit = options.limit
        if limit is not None:
            non_negative(limit, "limit")
        if options.start_page is not None:
            non_negative(options.start_page, "start_page")
        if size is None:
            # Every page is a round trip: ask for the most the service allows,
            # unless the caller wants fewer items than that in all.
            size = min(MAX_PAGE_SIZE, limit) if limit else MAX_PAGE_SIZE
        else:
            page_size(size)
        start_page = options.start_page

        def fetcher(page: msgspec.json.Decoder[Page[M]]) -> Callable[[Query], Awaitable[Page[M]]]:
            async def fetch(query: Query) -> Page[M]:
                return await self._client._call(Request("GET", path, query), page)

            return fetch

        def strategy(cursor: int | str | None) -> NumberedPages:
            start = start_page if cursor is None else int(cursor)
            return NumberedPages(filters, size, start)

        return Paginator(
            fetcher(decoder),
            strategy,
            identity=(*filters, ("page[size]", str(size))),
            host=self._client._task_host,
            limit=limit,
            concurrency=options.concurrency,
            prefetch=options.prefetch,
            dedupe=options.dedupe,
            resume=options.resume,
            retype=lambda model: fetcher(page_decoder(model)),
        )
