"""Model Lab's listings: the engine's paginator, plus other item models and DataFrames."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from .._engine._listing import has_id, read_id
from .._engine._pages import ItemsPage
from .._engine._paginator import BasePaginator
from ..models.jsonapi import Page

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow

    from ..models import Project, Run

__all__ = ["Paginator", "page_decoder"]

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
