"""A fake that changes while it serves: add, update, delete, restore, churn, and reading back."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import aiohttp
import anyio
import pytest

from modellab_async.testing import (
    RUN_STATUSES,
    FakeModelLab,
    MetricSummary,
    Param,
    Run,
    Tag,
)

from .conftest import API, auth, get_json
from .reference import expected_runs

pytestmark = pytest.mark.anyio


def _stamp(item: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(item["attributes"]["updated_at"])


async def _top(session: aiohttp.ClientSession, **query: str) -> list[dict[str, Any]]:
    _, document = await get_json(session, "/runs", {"page[size]": "100", **query})
    items: list[dict[str, Any]] = document["data"]
    return items


async def _walk_ids(session: aiohttp.ClientSession, query: dict[str, str]) -> list[int]:
    ids: list[int] = []
    for number in itertools.count():
        params = {**query, "page[size]": "100", "page[number]": str(number)}
        status, document = await get_json(session, "/runs", params)
        assert status == 200, document
        ids += [int(item["id"]) for item in document["data"]]
        if document["meta"]["page"]["next_number"] is None:
            return ids
    raise AssertionError("unreachable")


def _latest(fake: FakeModelLab) -> datetime:
    return max(run.updated_at for run in fake.runs(include_deleted=True))


async def test_an_added_run_is_served_at_the_top(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    before = _latest(fake)
    added = fake.add_run(project_id=2, name="baseline", status="completed", tags=[Tag("k", "v")])
    assert added.id == max(run.id for run in fake.dataset.runs)
    assert added.updated_at > before
    assert added.created_at == added.started_at == added.updated_at
    [top] = await _top(session, **{"page[size]": "1"})
    assert int(top["id"]) == added.id
    status, document = await get_json(session, f"/runs/{added.id}")
    assert status == 200
    attributes = document["data"]["attributes"]
    assert (attributes["name"], attributes["status"], attributes["project_id"]) == (
        "baseline",
        "completed",
        2,
    )
    assert attributes["tags"] == [{"key": "k", "value": "v"}]
    assert added in fake.runs()


async def test_a_run_added_without_a_place_goes_to_a_live_project(fake: FakeModelLab) -> None:
    projects = fake.projects()
    added = fake.add_run()
    assert added.project_id in {project.id for project in projects}
    assert (added.parent_run_id, added.status) == (None, "running")
    assert [project.id for project in projects] == [1, 2, 3, 4]
    projects[0].tags.append(Tag("mine", "only"))
    assert fake.projects()[0].tags == fake.dataset.projects[0].tags != projects[0].tags


async def test_a_child_goes_to_its_parents_project(fake: FakeModelLab) -> None:
    parent = fake.runs()[0]
    child = fake.add_run(parent_run_id=parent.id)
    assert (child.project_id, child.parent_run_id) == (parent.project_id, parent.id)
    with pytest.raises(ValueError, match="parent run"):
        fake.add_run(parent_run_id=parent.id, project_id=parent.project_id % 4 + 1)


@pytest.mark.parametrize(
    "options",
    [{"project_id": 99}, {"parent_run_id": 99_999}, {"parent_run_id": -1}],
)
async def test_adding_to_an_unknown_project_or_parent_raises(
    fake: FakeModelLab, options: dict[str, Any]
) -> None:
    count = len(fake.dataset.runs)
    with pytest.raises(KeyError):
        fake.add_run(**options)
    assert len(fake.dataset.runs) == count


async def test_an_update_moves_updated_at_past_every_timestamp(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    run = fake.runs()[-1]
    params = [Param("learning_rate", "0.5")]
    summaries = [MetricSummary("loss", 3, 0, 2, 0.1, 0.9, 0.4, 0.1)]
    for _ in range(3):
        before = _latest(fake)
        updated = fake.update_run(run.id, params=params, metric_summaries=summaries)
        assert updated.updated_at > before
    status, document = await get_json(session, f"/runs/{run.id}")
    assert status == 200
    attributes = document["data"]["attributes"]
    assert attributes["params"] == [{"key": "learning_rate", "value": "0.5"}]
    assert attributes["metric_summaries"][0]["key"] == "loss"
    assert _stamp(document["data"]) == updated.updated_at
    top = await _top(session, **{"page[size]": "1"})
    assert int(top[0]["id"]) == run.id


async def test_copies_do_not_change_with_the_fake(fake: FakeModelLab) -> None:
    [first, *_] = fake.runs()
    copy = fake.runs()[0]
    copy.tags.append(Tag("mine", "only"))
    fake.update_run(first.id, name="renamed")
    assert fake.runs()[0].name == "renamed"
    assert first.name != "renamed"
    assert Tag("mine", "only") not in fake.runs()[0].tags


async def test_update_of_an_unknown_field_or_run_raises(fake: FakeModelLab) -> None:
    live = fake.runs()[0]
    deleted = next(run for run in fake.runs(include_deleted=True) if run.deleted_at)
    with pytest.raises(TypeError, match="updated_at"):
        fake.update_run(live.id, updated_at=live.updated_at)  # type: ignore[call-arg]
    with pytest.raises(KeyError):
        fake.update_run(deleted.id, name="x")
    with pytest.raises(KeyError):
        fake.update_run(10**6)
    assert fake.runs()[0] == live


async def test_delete_and_restore_as_the_service_does(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    run = fake.runs()[5]
    deleted = fake.delete_run(run.id)
    assert deleted.deleted_at is not None
    assert (await get_json(session, f"/runs/{run.id}"))[0] == 404
    assert run.id not in await _walk_ids(session, {"filter[project_id]": str(run.project_id)})
    assert run.id not in {r.id for r in fake.runs()}
    assert run.id in {r.id for r in fake.runs(include_deleted=True)}
    with pytest.raises(KeyError):
        fake.delete_run(run.id)

    before = _latest(fake)
    restored = fake.restore_run(run.id)
    assert restored.deleted_at is None
    assert restored.updated_at > before
    assert (await get_json(session, f"/runs/{run.id}"))[0] == 200
    [top] = await _top(session, **{"page[size]": "1"})
    assert int(top["id"]) == run.id
    with pytest.raises(KeyError):
        fake.restore_run(run.id)


async def test_a_delete_over_http_shows_in_the_copies(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    run = fake.runs()[0]
    async with session.delete(f"{API}/runs/{run.id}") as response:
        assert response.status == 204
    [copy] = [r for r in fake.runs(include_deleted=True) if r.id == run.id]
    assert copy.deleted_at is not None


_QUERIES = [
    {},
    {"sort": "name"},
    {"sort": "-duration"},
    {"filter[project_id]": "2"},
    {"filter[project_id]": "3", "sort": "created_at"},
    {"filter[status]": "running"},
    {"filter[status]": "completed", "sort": "-name"},
    {"filter[parent_run_id]": "null"},
    {"filter[owner_id]": "OWNER"},
    {"filter[project_id]": "1", "filter[status]": "failed", "filter[parent_run_id]": "null"},
    {"filter[project_id]": "2", "include_descendant_matches": "true"},
    {"filter[status]": "paused", "include_descendant_matches": "true"},
    {"filter[project_id]": "4", "include_pinned": "true"},
    {"filter[tags]": "stage:prod", "sort": "updated_at"},
]


async def test_every_listing_stays_right_through_changes(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    owner = next(run.owner_id for run in fake.runs() if run.owner_id)
    queries = [
        {key: owner if value == "OWNER" else value for key, value in query.items()}
        for query in _QUERIES
    ]
    async with session.post(f"{API}/runs/{fake.runs()[0].id}/pin") as response:
        assert response.status == 204
    # The first pass builds the indexes; the changes must then keep every one of them in order.
    for _ in range(3):
        for query in queries:
            got = await _walk_ids(session, query)
            assert got == [i for i, _ in expected_runs(fake.dataset, query, fake.app_key)], query
        churn = fake.start_churn(0, seed=2)
        churn.make(60)
        first = fake.runs()[0]
        fake.update_run(first.id, status=RUN_STATUSES[first.id % len(RUN_STATUSES)])
        fake.restore_run(next(r.id for r in fake.runs(include_deleted=True) if r.deleted_at))
        fake.add_run(parent_run_id=fake.runs()[-1].id, status="paused")
        assert churn.inserted + churn.updated + churn.deleted == 60


def _shape(runs: list[Run]) -> list[tuple[Any, ...]]:
    """Everything about the runs but the times the clock gave them."""
    return [
        (r.id, r.project_id, r.name, r.status, r.deleted_at is None, r.metric_summaries)
        for r in runs
    ]


async def test_churn_is_reproducible_by_seed() -> None:
    shapes = []
    for _ in range(2):
        async with FakeModelLab(runs=100, projects=3, seed=1) as fake:
            churn = fake.start_churn(0, seed=9, inserts=1, updates=1, deletes=1)
            churn.make(150)
            assert not churn.running
            assert min(churn.inserted, churn.updated, churn.deleted) > 0
            shapes.append(_shape(fake.runs(include_deleted=True)))
    assert shapes[0] == shapes[1]


async def test_churn_on_an_empty_fake_changes_nothing() -> None:
    async with FakeModelLab(runs=0, projects=0) as fake:
        churn = fake.start_churn(0, seed=1)
        churn.make(30)
        assert (churn.inserted, churn.updated, churn.deleted) == (0, 0, 0)
        assert fake.runs() == []
        assert repr(churn) == "<Churn 0/s inserted=0 updated=0 deleted=0 stopped>"


async def test_churn_runs_in_the_background_until_stopped_or_closed() -> None:
    fake = FakeModelLab(runs=200, projects=3, seed=2)
    with pytest.raises(RuntimeError, match="start the fake"):
        fake.start_churn(100)
    async with fake:
        started = anyio.current_time()
        # Its first wake-up (after 0.05 s) comes before the end of this sleep.
        with fake.start_churn(per_second=200, seed=1) as churn:
            await anyio.sleep(0.2)
        elapsed = anyio.current_time() - started
        made = churn.inserted + churn.updated + churn.deleted
        assert 0 < made <= 200 * elapsed
        stopped = fake.runs(include_deleted=True)
        await anyio.sleep(0.2)
        assert fake.runs(include_deleted=True) == stopped
        lasting = fake.start_churn(per_second=50)
        running_while_open = lasting.running
    assert (churn.running, running_while_open, lasting.running) == (False, True, False)


@pytest.mark.parametrize(
    "options",
    [{"per_second": -1}, {"inserts": -1}, {"inserts": 0, "updates": 0, "deletes": 0}],
)
async def test_churn_refuses_bad_rates_and_weights(
    fake: FakeModelLab, options: dict[str, Any]
) -> None:
    arguments: dict[str, Any] = {"per_second": 10, **options}
    with pytest.raises(ValueError, match=r"per_second|weights"):
        fake.start_churn(**arguments)


async def _incremental_sync(
    session: aiohttp.ClientSession, copy: dict[int, datetime], watermark: datetime | None
) -> datetime | None:
    """Walk `-updated_at` pages down to the watermark, then compare with the live ids.

    The simplest client of the fake's promise: a change moves a run to the top.
    A deletion moves the runs after it a place forward, one perhaps onto a page
    already read: the live ids show it, and it is fetched on its own.
    """
    newest = watermark
    for number in itertools.count():
        params = {"page[size]": "50", "page[number]": str(number)}
        _, document = await get_json(session, "/runs", params)
        for item in document["data"]:
            stamp = _stamp(item)
            copy[int(item["id"])] = stamp
            newest = max(newest or stamp, stamp)
        stamps = [_stamp(item) for item in document["data"]]
        if not stamps or (watermark is not None and min(stamps) < watermark):
            break
    live = set(await _walk_ids(session, {}))
    for run_id in set(copy) - live:
        del copy[run_id]
    for run_id in live - set(copy):
        status, document = await get_json(session, f"/runs/{run_id}", {})
        if status == 200:  # else deleted since: the next sync drops it
            copy[run_id] = _stamp(document["data"])
    return newest


async def test_an_incremental_copy_made_during_churn_converges_when_quiet() -> None:
    async with (
        FakeModelLab(runs=600, projects=3, seed=4) as fake,
        aiohttp.ClientSession(base_url=fake.url, headers=auth(fake)) as session,
    ):
        copy: dict[int, datetime] = {}
        watermark = None
        with fake.start_churn(per_second=400, seed=3) as churn:
            for _ in range(100):
                watermark = await _incremental_sync(session, copy, watermark)
                if churn.inserted + churn.updated + churn.deleted >= 50:
                    break
        assert churn.inserted + churn.updated + churn.deleted >= 50
        await _incremental_sync(session, copy, watermark)
        assert copy == {run.id: run.updated_at for run in fake.runs()}
