"""What every resource shares: the bound client, typed calls, and listings."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, TypeVar

import msgspec

from .._pagination import NumberedPages, Paginator
from .._params import MAX_PAGE_SIZE, Query, non_negative, page_size
from .._protocol import Request
from ..models.jsonapi import Document, Page

if TYPE_CHECKING:
    from .._client import ModelLabClient

__all__ = ["Resource", "decoder"]

T = TypeVar("T")


def decoder(type_: type[T]) -> msgspec.json.Decoder[T]:
    """Build the one typed decoder a response type gets; resources build theirs at import."""
    return msgspec.json.Decoder(type_)


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

    def _list(
        self,
        path: str,
        decoder: msgspec.json.Decoder[Page[T]],
        filters: Query,
        *,
        size: int | None,
        start_page: int | None,
        limit: int | None,
    ) -> Paginator[Page[T], T]:
        """Return a paginator over a listing; sends nothing until iterated."""
        if limit is not None:
            non_negative(limit, "limit")
        if start_page is not None:
            non_negative(start_page, "start_page")
        if size is None:
            # Every page is a round trip: ask for the most the service allows,
            # unless the caller wants fewer items than that in all.
            size = min(MAX_PAGE_SIZE, limit) if limit else MAX_PAGE_SIZE
        else:
            page_size(size)

        async def fetch(query: Query) -> Page[T]:
            return await self._client._call(Request("GET", path, query), decoder)

        return Paginator(fetch, partial(NumberedPages, filters, size, start_page), limit=limit)
