"""`BlockingModelLabClient`: `ModelLabClient` for synchronous code, one line per endpoint."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from .._blocking._runner import Runner
from .._blocking._surface import (
    BlockingBasePaginator,
    BlockingClient,
    BlockingResource,
    blocking,
    iterated,
    same_arguments,
    wrapped,
)
from .._engine._pages import ItemsPage
from ..models.jsonapi import Page
from . import Artifacts, Projects, Runs
from ._client import ModelLabClient
from ._paginator import DEFAULT_OVERLAP, Changes, Paginator

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow

    from ..models import Project, Run

__all__ = [
    "BlockingArtifacts",
    "BlockingChanges",
    "BlockingModelLabClient",
    "BlockingPaginator",
    "BlockingProjects",
    "BlockingRuns",
]

ModelT = TypeVar("ModelT")
PageT = TypeVar("PageT", bound=ItemsPage[Any])
ItemT = TypeVar("ItemT")


class BlockingPaginator(BlockingBasePaginator[PageT, ItemT]):
    """A Model Lab listing iterated from synchronous code: `Paginator`'s blocking twin.

    Example:
        >>> for run in client.runs.list(project_id=7, status="completed"):
        ...     print(run.id, run.attributes.name)
        >>> df = client.runs.list(project_id=7).to_polars()
    """

    _paginator: Paginator[PageT, ItemT]

    def __init__(self, runner: Runner, paginator: Paginator[PageT, ItemT]) -> None:
        super().__init__(runner, paginator)

    def decode_into(
        self: BlockingPaginator[Page[Any], Any], model: type[ModelT]
    ) -> BlockingPaginator[Page[ModelT], ModelT]:
        """Return the same listing with its items decoded into `model`; see `Paginator`."""
        return BlockingPaginator(self._runner, self._paginator.decode_into(model))

    def changes(
        self: BlockingPaginator[Page[ModelT], ModelT],
        since: datetime | None,
        *,
        overlap: timedelta = DEFAULT_OVERLAP,
    ) -> BlockingChanges[ModelT]:
        """Return the items changed since `since`, newest first; see `Paginator.changes`."""
        return BlockingChanges(self._runner, self._paginator.changes(since, overlap=overlap))

    def live_ids(self: BlockingPaginator[Page[Any], Any], *, concurrency: int = 8) -> set[str]:
        """Return the ids of every item the listing holds now; see `Paginator.live_ids`."""
        return self._runner.call(partial(self._paginator.live_ids, concurrency=concurrency))

    def to_arrow(
        self: BlockingPaginator[Page[Run], Run] | BlockingPaginator[Page[Project], Project],
    ) -> pyarrow.Table:
        """Build a pyarrow Table of the listing, one row per run or project (extra: arrow)."""
        return self._runner.call(self._paginator.to_arrow)

    def to_polars(
        self: BlockingPaginator[Page[Run], Run] | BlockingPaginator[Page[Project], Project],
    ) -> polars.DataFrame:
        """Build a polars DataFrame of the listing, page by page (extra: polars)."""
        return self._runner.call(self._paginator.to_polars)

    def to_pandas(
        self: BlockingPaginator[Page[Run], Run] | BlockingPaginator[Page[Project], Project],
    ) -> pandas.DataFrame:
        """Build a pandas DataFrame of the listing, with Arrow-backed dtypes (extra: pandas)."""
        return self._runner.call(self._paginator.to_pandas)


class BlockingChanges(BlockingPaginator[Page[ItemT], ItemT]):
    """The changes of a listing since a watermark: `Changes`'s blocking twin."""

    _paginator: Changes[ItemT]

    def __init__(self, runner: Runner, paginator: Changes[ItemT]) -> None:
        super().__init__(runner, paginator)

    def decode_into(self, model: type[ModelT]) -> BlockingChanges[ModelT]:
        """Return the same changes with their items decoded into `model`; see `Changes`."""
        return BlockingChanges(self._runner, self._paginator.decode_into(model))

    @property
    def since(self) -> datetime | None:
        """The watermark these changes were made with; `None` for the whole listing."""
        return self._paginator.since

    @property
    def watermark(self) -> datetime | None:
        """The `since` of the next call: the newest change seen by a finished iteration."""
        return self._paginator.watermark


class BlockingProjects(BlockingResource[Projects]):
    """`Projects` for synchronous code: the same methods, arguments and results."""

    list = wrapped(Projects.list, BlockingPaginator)
    get = blocking(Projects.get)
    get_many = iterated(Projects.get_many)
    deleted = blocking(Projects.deleted)
    star = blocking(Projects.star)
    unstar = blocking(Projects.unstar)
    facet_keys = blocking(Projects.facet_keys)
    facet_values = blocking(Projects.facet_values)
    artifacts = blocking(Projects.artifacts)


class BlockingRuns(BlockingResource[Runs]):
    """`Runs` for synchronous code: the same methods, arguments and results."""

    list = wrapped(Runs.list, BlockingPaginator)
    get = blocking(Runs.get)
    get_many = iterated(Runs.get_many)
    deleted = blocking(Runs.deleted)
    delete = blocking(Runs.delete)
    pin = blocking(Runs.pin)
    unpin = blocking(Runs.unpin)
    facet_keys = blocking(Runs.facet_keys)
    facet_values = blocking(Runs.facet_values)
    artifacts = blocking(Runs.artifacts)


class BlockingArtifacts(BlockingResource[Artifacts]):
    """`Artifacts` for synchronous code: `stream` gives a generator of chunks."""

    read = blocking(Artifacts.read)
    stream = iterated(Artifacts.stream)
    download = blocking(Artifacts.download)


class BlockingModelLabClient(BlockingClient[ModelLabClient]):
    """`ModelLabClient` for synchronous code: scripts, threads, notebooks.

    It takes `ModelLabClient`'s arguments and offers its resources with the
    same methods, each returning what the async one returns once awaited;
    listings are iterated with `for`, `get_many` and `artifacts.stream` give
    generators. The async client runs on an event loop in a thread of the
    blocking client's own, so it works inside a running event loop too (a
    notebook), with every async feature: prefetch, fan-out, retries, the
    rate-limit gate. Threads may share one client.

    Example:
        >>> with BlockingModelLabClient() as client:  # keys from DD_API_KEY / DD_APP_KEY
        ...     for run in client.runs.list(project_id=7, status="completed"):
        ...         print(run.id, run.attributes.name)
    """

    @same_arguments(ModelLabClient.__init__)
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(ModelLabClient(*args, **kwargs))
        self.projects = BlockingProjects(self._client.projects, self._runner)
        """Projects: list, get, star, unstar, facets and artifacts."""
        self.runs = BlockingRuns(self._client.runs, self._runner)
        """Runs: list, get, delete, pin, unpin, facets and artifacts."""
        self.artifacts = BlockingArtifacts(self._client.artifacts, self._runner)
        """Artifact content: read, stream and download."""
