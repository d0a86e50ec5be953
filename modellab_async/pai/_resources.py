"""PAI runs and experiments: thin methods, one per operation, on the token paginator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from .._core._params import boolean, build_query, key_values, required_text, text
from .._core._protocol import Request
from .._engine._checkpoint import Checkpoint
from .._engine._listing import Listing, WalkOptions
from .._engine._paginator import BasePaginator
from ._dialect import api_path
from ._pages import TokenPages
from .models import Experiment, ExperimentsPage, Metric, MetricsPage, Run, RunsPage, TokenPage

if TYPE_CHECKING:
    from .._core._client import BaseClient

__all__ = ["PAIExperiments", "PAIRuns"]

PageT = TypeVar("PageT", bound=TokenPage[Any])

_run = msgspec.json.Decoder(Run)
_runs = msgspec.json.Decoder(RunsPage)
_metrics = msgspec.json.Decoder(MetricsPage)
_experiments = msgspec.json.Decoder(ExperimentsPage)


def _ordering(
    order_by: str | None, sort_by: str | None, order: str | None
) -> tuple[tuple[str, str | None], ...]:
    """Return the sort parameters PAI lists share: `OrderBy`, or `SortBy` with `Order`."""
    return (
        ("OrderBy", text(order_by, "order_by")),
        ("SortBy", text(sort_by, "sort_by")),
        ("Order", text(order, "order")),
    )


class _PAIResource:
    def __init__(self, client: BaseClient) -> None:
        self._client = client

    def _list(
        self,
        request: Request,
        decoder: msgspec.json.Decoder[PageT],
        pages: TokenPages,
        options: WalkOptions,
    ) -> BasePaginator[PageT, Any]:
        """Return a paginator over a token-paged listing; sends nothing until iterated."""
        return BasePaginator(self._client, Listing(request, decoder, pages, options))


class PAIRuns(_PAIResource):
    """PAI runs: ListRuns, GetRun and ListRunMetrics."""

    def list(
        self,
        *,
        name: str | None = None,
        workspace_id: str | None = None,
        experiment_id: str | None = None,
        source_type: str | None = None,
        source_id: str | None = None,
        labels: Mapping[str, object] | str | None = None,
        verbose: bool | None = None,
        order_by: str | None = None,
        sort_by: str | None = None,
        order: str | None = None,
        page_size: int | None = None,
        limit: int | None = None,
        prefetch: bool = True,
        resume: Checkpoint | None = None,
    ) -> BasePaginator[RunsPage, Run]:
        """List runs (ListRuns, `GET /api/v1/runs`), following `NextPageToken`.

        `labels` match exactly, all of them (`{"is_evaluation": True}` or
        `"is_evaluation:true"`); `order_by` is e.g. `"GmtCreateTime DESC,Name ASC"`;
        `verbose=True` adds metrics, params and labels; `page_size` is `MaxResults`.
        """
        filters = build_query(
            ("Name", text(name, "name")),
            ("WorkspaceId", text(workspace_id, "workspace_id")),
            ("ExperimentId", text(experiment_id, "experiment_id")),
            ("SourceType", text(source_type, "source_type")),
            ("SourceId", text(source_id, "source_id")),
            ("Labels", key_values(labels, "labels")),
            ("Verbose", boolean(verbose, "verbose")),
            *_ordering(order_by, sort_by, order),
        )
        options = WalkOptions(limit=limit, prefetch=prefetch, resume=resume)
        request = Request("GET", api_path("runs"), filters, operation="ListRuns")
        return self._list(request, _runs, TokenPages(page_size), options)

    async def get(self, run_id: str, *, verbose: bool | None = None) -> Run:
        """Get one run (GetRun, `GET /api/v1/runs/{RunId}`)."""
        path = f"runs/{required_text(run_id, 'run_id')}"
        query = build_query(("Verbose", boolean(verbose, "verbose")))
        request = Request("GET", api_path(path), query, operation="GetRun")
        return await self._client._call(request, _run)

    def metrics(
        self,
        run_id: str,
        key: str,
        *,
        page_size: int | None = None,
        limit: int | None = None,
        prefetch: bool = True,
        resume: Checkpoint | None = None,
    ) -> BasePaginator[MetricsPage, Metric]:
        """List the recorded values of one metric of a run (ListRunMetrics), page by page."""
        path = f"runs/{required_text(run_id, 'run_id')}/metrics"
        filters = build_query(("Key", required_text(key, "key")))
        options = WalkOptions(limit=limit, prefetch=prefetch, resume=resume)
        request = Request("GET", api_path(path), filters, operation="ListRunMetrics")
        return self._list(request, _metrics, TokenPages(page_size), options)


class PAIExperiments(_PAIResource):
    """PAI experiments: ListExperiment."""

    def list(
        self,
        *,
        name: str | None = None,
        workspace_id: str | None = None,
        labels: Mapping[str, object] | str | None = None,
        order_by: str | None = None,
        sort_by: str | None = None,
        order: str | None = None,
        page_size: int | None = None,
        limit: int | None = None,
        prefetch: bool = True,
        resume: Checkpoint | None = None,
    ) -> BasePaginator[ExperimentsPage, Experiment]:
        """List experiments (ListExperiment, `GET /api/v1/experiments`), following tokens."""
        filters = build_query(
            ("Name", text(name, "name")),
            ("WorkspaceId", text(workspace_id, "workspace_id")),
            ("Labels", key_values(labels, "labels")),
            *_ordering(order_by, sort_by, order),
        )
        options = WalkOptions(limit=limit, prefetch=prefetch, resume=resume)
        request = Request("GET", api_path("experiments"), filters, operation="ListExperiment")
        return self._list(request, _experiments, TokenPages(page_size), options)
