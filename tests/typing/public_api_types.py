"""Type-level checks of the public API: mypy --strict reads this file; it is never run."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any, assert_type

import msgspec

from modellab_async import (
    FacetKeys,
    FacetValues,
    Hooks,
    ListingProgress,
    ModelLabClient,
    Page,
    Paginator,
    Project,
    ProjectArtifacts,
    Run,
    RunArtifacts,
)
from modellab_async.models import MetricSummary, PageInfo


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


def show(progress: ListingProgress) -> None:
    assert_type(progress.items, int)
    assert_type(progress.total, int | None)


def check_hooks(delays: list[float]) -> None:
    client = ModelLabClient(hooks=Hooks(on_retry=lambda event: delays.append(event.delay)))
    assert_type(client.runs.list().with_progress(show), Paginator[Page[Run], Run])
