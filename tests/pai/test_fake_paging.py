"""The token walk of a PAIClient against the fake over HTTP: listings, resumes, misbehaving tokens."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from modellab_async import PaginationError
from modellab_async.pai import PAIClient, Signer
from modellab_async.testing import Fault, PageDrift
from modellab_async.testing._pai import FakePAI, TokenQuirks

pytestmark = pytest.mark.anyio


@pytest.fixture
async def pai(fake: FakePAI) -> AsyncIterator[PAIClient]:
    async with PAIClient(endpoint=fake.url, signer=Signer(fake.credentials)) as client:
        yield client


def expected_ids(fake: FakePAI) -> list[str]:
    """The default workspace's runs, newest first: ListRuns' default order."""
    default = fake.dataset.default_workspace
    runs = [run for run in fake.dataset.runs if run.workspace_id == default]
    return [run.run_id for run in sorted(runs, key=lambda run: run.created, reverse=True)]


@pytest.mark.parametrize("size", [1, 7, 100])
async def test_a_whole_listing_arrives_once_in_order(
    fake: FakePAI, pai: PAIClient, size: int
) -> None:
    listing = pai.runs.list(page_size=size)
    runs = await listing.collect()
    assert [run.run_id for run in runs] == expected_ids(fake)
    assert listing.stats.pages == max(1, -(-len(runs) // size))
    assert listing.stats.total_changes == 0
    tokens = [r.query.get("PageToken") for r in fake.requests]
    assert tokens[0] is None
    assert len(set(tokens)) == len(tokens)


async def test_metrics_of_a_run_walk_the_same_way(fake: FakePAI, pai: PAIClient) -> None:
    run = fake.dataset.runs[0]
    metrics = await pai.runs.metrics(run.run_id, "accuracy", page_size=3).collect()
    assert [metric.step for metric in metrics] == [
        point.step for point in run.metrics if point.key == "accuracy"
    ]
    assert len(fake.requests) > 1


async def test_a_checkpoint_resumes_over_http(fake: FakePAI, pai: PAIClient) -> None:
    first = pai.runs.list(page_size=5, limit=12, prefetch=False)
    head = await first.collect()
    rest = await pai.runs.list(page_size=5, resume=first.checkpoint).collect()
    assert [run.run_id for run in head + rest] == expected_ids(fake)


async def test_a_first_token_of_zero_ends_the_listing_after_one_page(
    fake: FakePAI, pai: PAIClient
) -> None:
    fake.quirks = TokenQuirks(first_token_zero=True)
    runs = await pai.runs.list(page_size=5).collect()
    assert [run.run_id for run in runs] == expected_ids(fake)[:5]
    assert len(fake.requests) == 1


async def test_a_repeated_token_raises_pagination_error(fake: FakePAI, pai: PAIClient) -> None:
    fake.quirks = TokenQuirks(repeat_token_at=3)
    seen: list[str] = []
    with pytest.raises(PaginationError, match="again") as raised:  # noqa: PT012
        async for run in pai.runs.list(page_size=4):
            seen.append(run.run_id)  # noqa: PERF401  # keep what came before the error
    assert seen == expected_ids(fake)[:12]
    assert raised.value.checkpoint is not None
    assert raised.value.checkpoint.last_id == seen[-1]
    assert len(fake.requests) == 3


async def test_an_empty_page_with_a_token_ends_the_listing(
    fake: FakePAI, pai: PAIClient, caplog: pytest.LogCaptureFixture
) -> None:
    fake.quirks = TokenQuirks(empty_page_at=2)
    with caplog.at_level(logging.WARNING, logger="modellab_async"):
        runs = await pai.runs.list(page_size=4).collect()
    assert [run.run_id for run in runs] == expected_ids(fake)[:4]
    assert "empty page" in caplog.text


async def test_runs_added_while_listing_show_as_drift(fake: FakePAI, pai: PAIClient) -> None:
    before = expected_ids(fake)
    fake.faults.add(Fault(PageDrift(runs=3), route="ListRuns", skip=1, times=1))
    listing = pai.runs.list(page_size=5, prefetch=False)
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
