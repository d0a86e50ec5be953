"""What every Model Lab resource shares: the bound client, typed calls, listings, bulk gets."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from .._core._params import Query, id_sequence, positive
from .._core._protocol import Request
from .._engine._bulk import BATCH_SIZE, Result, fetch_many
from .._engine._listing import Listing, WalkOptions
from ..errors import NotFoundError
from ..models.jsonapi import Document, Page
from ._dialect import api_path
from ._pages import NumberedPages
from ._paginator import Paginator

if TYPE_CHECKING:
    from .._core._client import BaseClient

__all__ = ["Collection", "Resource", "decoder"]

T = TypeVar("T")


def decoder(type_: type[T]) -> msgspec.json.Decoder[T]:
    """Build the one typed decoder a response type gets; resources build theirs at import."""
    return msgspec.json.Decoder(type_)


class Resource:
    """Base of `Projects`, `Runs` and `Artifacts`: methods are thin, one per endpoint."""

    def __init__(self, client: BaseClient) -> None:
        self._client = client

    async def _get(
        self, path: str, decoder: msgspec.json.Decoder[Document[T]], query: Query = ()
    ) -> T:
        """GET a single-resource document and return its `data`."""
        document = await self._client._call(Request("GET", api_path(path), query), decoder)
        return document.data

    async def _command(self, method: str, path: str) -> None:
        """Send a request answered by 204 No Content (pin, star, delete ...)."""
        await self._client._send(Request(method, api_path(path)))

    def _list(
        self,
        path: str,
        decoder: msgspec.json.Decoder[Page[T]],
        filters: Query,
        pages: NumberedPages,
        options: WalkOptions,
    ) -> Paginator[Page[T], T]:
        """Return a paginator over a listing; sends nothing until iterated."""
        listing: Listing[Page[T], T] = Listing(
            Request("GET", api_path(path), filters), decoder, pages, options
        )
        return Paginator(self._client, listing)

    def _get_many(
        self,
        ids: Iterable[int | str],
        concurrency: int | None,
        ordered: bool,
        fetch_one: Callable[[str], Awaitable[T]],
        *,
        fetch_batch: Callable[[Sequence[str]], Awaitable[Mapping[str, T]]] | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> AsyncGenerator[Result[T], None]:
        """Return results for many ids; ids and options are checked before anything is sent."""
        return fetch_many(
            self._client,
            id_sequence(ids),
            concurrency=None if concurrency is None else positive(concurrency, "concurrency"),
            ordered=ordered,
            fetch_one=fetch_one,
            fetch_batch=fetch_batch,
            batch_size=batch_size,
        )


class Collection(Resource):
    """Base of `Projects` and `Runs`: resources with ids, fetched one by one or in bulk."""

    def get_many(
        self, ids: Iterable[int | str], *, concurrency: int | None = None, ordered: bool = True
    ) -> AsyncGenerator[Result[Any], None]:
        """Fetch many resources by id: one `Result` per id."""
        raise NotImplementedError

    async def deleted(
        self, ids: Iterable[int | str], *, concurrency: int | None = None
    ) -> list[str]:
        """Return those of `ids` the service answers 404 for: deleted, or never there.

        Use it on the ids a copy holds that a listing no longer returns
        (`ids - await listing.live_ids()`): each is confirmed before it counts
        as deleted, so an item that merely left the listing's filters is kept.
        Other errors are raised: a deletion is never guessed.

        Example:
            >>> listing = client.runs.list(project_id=3)
            >>> gone = await client.runs.deleted(held_ids - await listing.live_ids())
        """
        deleted = []
        async for result in self.get_many(ids, concurrency=concurrency, ordered=False):
            if isinstance(result.error, NotFoundError):
                deleted.append(result.id)
            elif result.error is not None:
                raise result.error
        return deleted
