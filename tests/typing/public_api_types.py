"""Type-level checks of the public API: mypy --strict reads this file; it is never run."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from pathlib import Path
from typing import Any, assert_type

import msgspec

from modellab_async import (
    BlockingBasePaginator,
    BlockingModelLabClient,
    BlockingPaginator,
    Checkpoint,
    ClientStats,
    FacetKeys,
    FacetValues,
    Hooks,
    ListingProgress,
    ModelLabClient,
    Page,
    Paginator,
    Project,
    ProjectArtifacts,
    Result,
    Run,
    RunArtifacts,
)
from modellab_async.models import MetricSummary, PageInfo
from modellab_async.pai import BlockingPAIClient
from modellab_async.pai import Run as PAIRun
from modellab_async.pai.models import RunsPage


async def check(client: ModelLabClient) -> None:
    runs = client.runs.list(project_id=1, status="completed")
    assert_type(runs, Paginator[Page[Run], Run])
    async for run in runs:
        assert_type(run, Run)
        assert_type(run.id, str)
        assert_type(run.attributes.status, str)
        assert_type(run.attributes.metric_summaries[0], MetricSummary)
        assert_type(run.attributes.metric_summaries[0].max, float | None)
        assert_type(run.attributes.duration, float | None)
        assert_type(run.metric("accuracy"), MetricSummary | None)
        assert_type(run.params, dict[str, str])
        assert_type(run.tags, dict[str, str])
        assert_type(run.to_dict(), dict[str, Any])
        assert_type(run.to_json(), bytes)
    async for page in runs.pages():
        assert_type(page, Page[Run])
        assert_type(page.items, list[Run])
        assert_type(page.meta.page, PageInfo)
    assert_type(await runs.collect(), list[Run])
    assert_type(await client.runs.get(1), Run)
    assert_type(await client.runs.delete(1), None)
    assert_type(await client.runs.facet_keys(1), FacetKeys)
    assert_type(await client.runs.facet_values(1, "tag", "model"), FacetValues)
    assert_type(await client.runs.artifacts(1), RunArtifacts)
    assert_type(client.projects.list(), Paginator[Page[Project], Project])

    class Slim(msgspec.Struct):
        id: str

    assert_type(client.runs.list().decode_into(Slim), Paginator[Page[Slim], Slim])
    assert_type(
        client.runs.list().decode_into(msgspec.Raw), Paginator[Page[msgspec.Raw], msgspec.Raw]
    )
    assert_type(await client.projects.get("2"), Project)
    assert_type((await client.projects.get("2")).tags, dict[str, str])
    assert_type((await client.projects.get("2")).to_dict(), dict[str, Any])
    assert_type(await client.projects.artifacts(2), ProjectArtifacts)
    assert_type(await client.artifacts.read(1, "a"), bytes)
    assert_type(client.artifacts.stream(1, "a"), AsyncGenerator[bytes, None])
    assert_type(await client.artifacts.download(1, "a", Path()), Path)


def check_blocking(client: BlockingModelLabClient, pai: BlockingPAIClient) -> None:
    runs = client.runs.list(project_id=1, status="completed")
    assert_type(runs, BlockingPaginator[Page[Run], Run])
    for run in runs:
        assert_type(run, Run)
    for page in runs.pages():
        assert_type(page, Page[Run])
    assert_type(runs.collect(), list[Run])
    assert_type(runs.checkpoint, Checkpoint)
    assert_type(client.runs.get(1), Run)
    assert_type(client.runs.delete(1), None)
    assert_type(client.runs.facet_values(1, "tag", "model"), FacetValues)
    for result in client.runs.get_many([1, 2], concurrency=4):
        assert_type(result, Result[Run])
    assert_type(client.projects.get_many([1]), Generator[Result[Project], None, None])
    assert_type(client.projects.list().collect(), list[Project])

    class Slim(msgspec.Struct):
        id: str

    assert_type(client.runs.list().decode_into(Slim), BlockingPaginator[Page[Slim], Slim])
    assert_type(client.artifacts.read(1, "a"), bytes)
    assert_type(client.artifacts.stream(1, "a"), Generator[bytes, None, None])
    assert_type(client.artifacts.download(1, "a", Path()), Path)
    assert_type(client.stats, ClientStats)
    assert_type(client.close(), None)
    assert_type(pai.runs.list(workspace_id="1"), BlockingBasePaginator[RunsPage, PAIRun])
    assert_type(pai.runs.get("run-1"), PAIRun)
    BlockingModelLabClient(retries=3, max_concurrency=8)
    BlockingModelLabClient(retries="3")  # type: ignore[arg-type]
    client.runs.get(1, verbose=True)  # type: ignore[call-arg]
    client.runs.list(project_id=1).to_polars()
    pai.runs.list().decode_into(Slim)  # type: ignore[attr-defined]


def show(progress: ListingProgress) -> None:
    assert_type(progress.items, int)
    assert_type(progress.total, int | None)


def check_hooks(delays: list[float]) -> None:
    client = ModelLabClient(hooks=Hooks(on_retry=lambda event: delays.append(event.delay)))
    assert_type(client.runs.list().with_progress(show), Paginator[Page[Run], Run])
