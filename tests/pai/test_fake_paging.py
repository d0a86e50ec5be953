"""The token walk against the fake over HTTP: whole listings, resumes, and misbehaving tokens."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from modellab_async import PaginationError, Paginator
from modellab_async._engine._tasks import TaskHost
from modellab_async._params import Query
from modellab_async.pai._pages import token_listing
from modellab_async.pai.models import Metric, MetricsPage, Run, RunsPage
from modellab_async.testing import Fault, PageDrift
from modellab_async.testing._pai import FakePAI, TokenQuirks

from .conftest import SignedSession

pytestmark = pytest.mark.anyio


def runs_listing(
    pai: SignedSession, host: TaskHost, size: int, filters: Query = (), **options: Any
) -> Paginator[RunsPage, Run]:
    identity, strategy = token_listing(filters, size)
    fetch = pai.fetcher("ListRuns", "/api/v1/runs", RunsPage)
    return Paginator(fetch, strategy, identity=identity, host=lambda: host, **options)


def expected_ids(fake: FakePAI) -> list[str]:
    """The default workspace's runs, newest first: ListRuns' default order."""
    default = fake.dataset.default_workspace
    runs = [run for run in fake.dataset.runs if run.workspace_id == default]
    return [run.run_id for run in sorted(runs, key=lambda run: run.created, reverse=True)]


@pytest.mark.parametrize("size", [1, 7, 100])
async def test_a_whole_listing_arrives_once_in_order(
    fake: FakePAI, pai: SignedSession, host: TaskHost, size: int
) -> None:
    listing = runs_listing(pai, host, size)
    runs = await listing.collect()
    assert [run.run_id for run in runs] == expected_ids(fake)
    assert listing.stats.pages == max(1, -(-len(runs) // size))
    assert listing.stats.total_changes == 0
    tokens = [r.query.get("PageToken") for r in fake.requests]
    assert tokens[0] is None
    assert len(set(tokens)) == len(tokens)


async def test_metrics_of_a_run_walk_the_same_way(
    fake: FakePAI, pai: SignedSession, host: TaskHost
) -> None:
    run = fake.dataset.runs[0]
    identity, strategy = token_listing((("Key", "accuracy"),), 3)
    fetch = pai.fetcher("ListRunMetrics", f"/api/v1/runs/{run.run_id}/metrics", MetricsPage)
    listing: Paginator[MetricsPage, Metric] = Paginator(
        fetch, strategy, identity=identity, host=lambda: host
    )
    steps = [metric.step for metric in await listing.collect()]
    assert steps == [point.step for point in run.metrics if point.key == "accuracy"]


async def test_a_checkpoint_resumes_over_http(
    fake: FakePAI, pai: SignedSession, host: TaskHost
) -> None:
    first = runs_listing(pai, host, 5, limit=12, prefetch=False)
    head = await first.collect()
    rest = await runs_listing(pai, host, 5, resume=first.checkpoint).collect()
    assert [run.run_id for run in head + rest] == expected_ids(fake)


async def test_a_first_token_of_zero_ends_the_listing_after_one_page(
    fake: FakePAI, pai: SignedSession, host: TaskHost
) -> None:
    fake.quirks = TokenQuirks(first_token_zero=True)
    runs = await runs_listing(pai, host, 5).collect()
    assert [run.run_id for run in runs] == expected_ids(fake)[:5]
    assert len(fake.requests) == 1


async def test_a_repeated_token_raises_pagination_error(
    fake: FakePAI, pai: SignedSession, host: TaskHost
) -> None:
    fake.quirks = TokenQuirks(repeat_token_at=3)
    seen: list[str] = []
    with pytest.raises(PaginationError, match="again") as raised:  # noqa: PT012
        async for run in runs_listing(pai, host, 4):
            seen.append(run.run_id)  # noqa: PERF401  # keep what came before the error
    assert seen == expected_ids(fake)[:12]
    assert raised.value.checkpoint is not None
    assert len(fake.requests) == 3


async def test_an_empty_page_with_a_token_ends_the_listing(
    fake: FakePAI, pai: SignedSession, host: TaskHost, caplog: pytest.LogCaptureFixture
) -> None:
    fake.quirks = TokenQuirks(empty_page_at=2)
    with caplog.at_level(logging.WARNING, logger="modellab_async"):
        runs = await runs_listing(pai, host, 4).collect()
    assert [run.run_id for run in runs] == expected_ids(fake)[:4]
    assert "empty page" in caplog.text


async def test_runs_added_while_listing_show_as_drift(
    fake: FakePAI, pai: SignedSession, host: TaskHost
) -> None:
    before = expected_ids(fake)
    fake.faults.add(Fault(PageDrift(runs=3), route="ListRuns", skip=1, times=1))
    listing = runs_listing(pai, host, 5, prefetch=False)
    runs = await listing.collect()
    stats = listing.stats
    assert stats.total_changes == 1
    assert stats.first_total is not None
    assert stats.last_total is not None
    added = stats.last_total - stats.first_total  # those of the 3 in the default workspace
    assert added > 0
    # New runs go to the top, so the second page repeats the end of the first one.
    assert [run.run_id for run in runs[:5]] == before[:5]
    assert [run.run_id for run in runs[5:10]] == before[5 - added : 10 - added]
