"""Incremental listings against the fake: changes since a watermark, live ids, confirmed deletions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from modellab_async import ModelLabClient
from modellab_async.testing import FakeModelLab

pytestmark = pytest.mark.anyio


@pytest.fixture
async def fake() -> AsyncIterator[FakeModelLab]:
    async with FakeModelLab(runs=600, projects=3, seed=7) as server:
        yield server


@pytest.fixture
async def client(fake: FakeModelLab) -> AsyncIterator[ModelLabClient]:
    async with ModelLabClient(
        base_url=fake.url, api_key=fake.api_key, app_key=fake.app_key, retries=0
    ) as client:
        yield client


def listed(fake: FakeModelLab) -> list[dict[str, str]]:
    return [dict(request.query) for request in fake.requests if request.path.endswith("/runs")]


async def test_the_first_changes_are_the_whole_listing_newest_first(
    client: ModelLabClient, fake: FakeModelLab
) -> None:
    everything = await client.runs.list(project_id=2).collect()
    fake.requests.clear()
    changes = client.runs.list(project_id=2, page_size=50).changes(since=None)
    assert changes.watermark is None  # nothing walked yet
    runs = [run async for run in changes]
    assert sorted(run.id for run in runs) == sorted(run.id for run in everything)
    stamps = [run.attributes.updated_at for run in runs]
    assert stamps == sorted(stamps, reverse=True)
    assert changes.watermark == stamps[0]
    assert {query["sort"] for query in listed(fake)} == {"-updated_at"}
    assert len(listed(fake)) == -(-len(runs) // 50)


async def test_a_second_call_with_nothing_changed_costs_one_request(
    client: ModelLabClient, fake: FakeModelLab
) -> None:
    first = client.runs.list().changes(since=None)
    async for _ in first:
        pass
    fake.requests.clear()
    second = client.runs.list().changes(since=first.watermark, overlap=timedelta(0))
    again = [run async for run in second]
    assert len(listed(fake)) == 1
    assert all(run.attributes.updated_at >= first.watermark for run in again)  # type: ignore[operator]
    assert second.watermark == first.watermark


async def test_the_overlap_yields_the_recent_past_again(client: ModelLabClient) -> None:
    runs = await client.runs.list(sort="-updated_at", limit=40).collect()
    since = runs[20].attributes.updated_at
    overlap = since - runs[30].attributes.updated_at
    changes = client.runs.list().changes(since=since, overlap=overlap)
    got = [run.id async for run in changes]
    assert got == [run.id for run in runs if run.attributes.updated_at >= since - overlap]
    assert len(got) >= 31


async def test_a_watermark_moves_only_after_a_finished_walk(client: ModelLabClient) -> None:
    changes = client.runs.list(limit=10).changes(since=None)
    async for _ in changes:
        pass
    assert changes.watermark is None  # cut by limit: not every change was handed over


async def test_changes_refuse_another_sort_and_a_negative_overlap(client: ModelLabClient) -> None:
    with pytest.raises(ValueError, match="-updated_at"):
        client.runs.list(sort="name").changes(since=None)
    with pytest.raises(ValueError, match="overlap"):
        client.runs.list().changes(since=None, overlap=timedelta(seconds=-1))


async def test_projects_have_changes_too(client: ModelLabClient) -> None:
    changes = client.projects.list().changes(since=None)
    projects = [project async for project in changes]
    assert len(projects) == 3
    assert changes.watermark == max(p.attributes.updated_at for p in projects)


async def test_deletions_are_found_and_confirmed(
    client: ModelLabClient, fake: FakeModelLab
) -> None:
    listing = client.runs.list(project_id=1)
    held = await listing.live_ids()
    victims = sorted(held)[:3]
    for run_id in victims:
        await client.runs.delete(run_id)
    elsewhere = [run.id for run in await client.runs.list(project_id=2, limit=2).collect()]
    live = await listing.live_ids()
    assert live == held - set(victims)
    # Runs that only left the listing's filters are not deleted.
    assert sorted(await client.runs.deleted([*(held - live), *elsewhere])) == victims
    assert await client.projects.deleted([1, 2]) == []
