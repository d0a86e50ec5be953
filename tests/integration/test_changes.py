"""Incremental listings against the fake: changes since a watermark, live ids, confirmed deletions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from aiohttp import web

from modellab_async import Changes, DecodeError, ModelLabClient
from modellab_async.testing import FakeModelLab
from tests.scripted import ScriptedServer, json_response, run_resource

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


class _Stamp(msgspec.Struct):
    updated_at: datetime


class _Slim(msgspec.Struct):
    id: str
    attributes: _Stamp


class _Id(msgspec.Struct):
    id: str


class _KeptRaw(msgspec.Struct):
    id: str
    attributes: msgspec.Raw


async def test_changes_decoded_into_another_model_are_changes_still(
    client: ModelLabClient,
) -> None:
    since = (await client.runs.list(sort="-updated_at", limit=150).collect())[-1]
    changes = client.runs.list().changes(since=since.attributes.updated_at)
    expected = [run.id async for run in changes]
    slims: list[Changes[_Slim] | Changes[_KeptRaw]] = [
        changes.decode_into(_Slim),
        changes.decode_into(_KeptRaw),
    ]
    for slim in slims:
        assert isinstance(slim, Changes)
        assert slim.since == changes.since == since.attributes.updated_at
        assert [item.id async for item in slim] == expected
        assert slim.watermark == changes.watermark
    with pytest.raises(TypeError, match="updated_at"):
        changes.decode_into(_Id)
    raw = changes.decode_into(msgspec.Raw)
    assert len([item async for item in raw]) == len(expected)
    assert raw.watermark == changes.watermark


async def _walk_pages(pages: list[list[dict[str, Any]]], since: datetime) -> tuple[list[str], Any]:
    """Walk `changes(since)` over a service answering `pages`, one per page number."""

    async def handler(request: web.Request) -> web.Response:
        number = int(request.query.get("page[number]", "0"))
        data = pages[number] if number < len(pages) else []
        total = sum(map(len, pages))
        page = {"number": number, "size": 3, "total": total}
        return json_response({"data": data, "meta": {"page": page}})

    async with (
        ScriptedServer(handler) as server,
        ModelLabClient(base_url=server.url, api_key="k", app_key="k", retries=0) as client,
    ):
        changes = client.runs.list(page_size=3).changes(since=since, overlap=timedelta(0))
        ids = [run.id async for run in changes]
        return ids, changes.watermark


def _at(hour: int) -> str:
    return f"2026-05-01T{hour:02d}:00:00Z"


async def test_a_page_out_of_order_is_read_past_the_boundary_and_loses_nothing() -> None:
    """The walk reads two keys per page: a page out of order costs requests, never an item."""
    pages = [
        [
            run_resource(1, updated_at=_at(20)),
            run_resource(2, updated_at=_at(3)),
            run_resource(3, updated_at=_at(19)),
        ],
        [
            run_resource(4, updated_at=_at(18)),
            run_resource(5, updated_at=_at(2)),
            run_resource(6, updated_at=_at(1)),
        ],
        [run_resource(7, updated_at=_at(17))],
    ]
    ids, watermark = await _walk_pages(pages, since=datetime(2026, 5, 1, 10, tzinfo=UTC))
    assert ids == ["1", "2", "3", "4"]  # every run newer than since; 2 is older, seen again
    assert watermark == datetime(2026, 5, 1, 20, tzinfo=UTC)


async def test_raw_attributes_without_an_updated_at_are_a_decode_error() -> None:
    run = run_resource(1)
    del run["attributes"]["updated_at"]
    pages = [[run]]

    async def handler(request: web.Request) -> web.Response:
        page = {"number": 0, "size": 100, "total": 1}
        return json_response({"data": pages[0], "meta": {"page": page}})

    async with (
        ScriptedServer(handler) as server,
        ModelLabClient(base_url=server.url, api_key="k", app_key="k", retries=0) as client,
    ):
        changes = client.runs.list().changes(since=None).decode_into(_KeptRaw)
        with pytest.raises(DecodeError, match="no valid updated_at"):
            [item async for item in changes]
