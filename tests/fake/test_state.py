"""Pins and stars per application key, and soft deletion."""

from __future__ import annotations

import aiohttp
import pytest

from modellab_async.testing import FakeModelLab

from .conftest import API, auth, get_json

pytestmark = pytest.mark.anyio


async def _send(session: aiohttp.ClientSession, method: str, path: str, key: str) -> int:
    """Send a mutation; a 204 must come with an empty body."""
    headers = {"DD-APPLICATION-KEY": key}
    async with session.request(method, API + path, headers=headers) as response:
        body = await response.read()
    assert response.status != 204 or body == b""
    return response.status


def _live_run_ids(fake: FakeModelLab) -> list[int]:
    return [run.id for run in fake.dataset.runs if run.deleted_at is None]


async def test_pins_belong_to_the_key_that_made_them(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    first, second = fake.app_keys
    run_id = _live_run_ids(fake)[0]
    assert await _send(session, "POST", f"/runs/{run_id}/pin", first) == 204
    _, as_first = await get_json(session, f"/runs/{run_id}", headers=auth(fake, first))
    _, as_second = await get_json(session, f"/runs/{run_id}", headers=auth(fake, second))
    assert as_first["data"]["attributes"]["is_pinned"] is True
    assert as_second["data"]["attributes"]["is_pinned"] is False
    assert run_id in fake.dataset.pins[first]
    assert await _send(session, "DELETE", f"/runs/{run_id}/pin", first) == 204
    _, unpinned = await get_json(session, f"/runs/{run_id}", headers=auth(fake, first))
    assert unpinned["data"]["attributes"]["is_pinned"] is False


async def test_pinned_first_orders_pins_by_pin_time_descending(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    first, second = fake.app_keys
    pinned = _live_run_ids(fake)[:3]
    for run_id in pinned:
        assert await _send(session, "POST", f"/runs/{run_id}/pin", first) == 204
    params = {"pinned_first": "true", "page[size]": "5"}
    _, mine = await get_json(session, "/runs", params, auth(fake, first))
    _, theirs = await get_json(session, "/runs", params, auth(fake, second))
    assert [int(item["id"]) for item in mine["data"][:3]] == pinned[::-1]
    assert not any(item["attributes"]["is_pinned"] for item in theirs["data"])


async def test_include_pinned_adds_pins_outside_the_filters(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    failed = next(r.id for r in fake.dataset.runs if r.status == "failed" and not r.deleted_at)
    await _send(session, "POST", f"/runs/{failed}/pin", fake.app_key)
    params = {"filter[status]": "completed", "include_pinned": "true", "page[size]": "100"}
    ids: list[int] = []
    number = 0
    while True:
        _, page = await get_json(session, "/runs", {**params, "page[number]": str(number)})
        ids += [int(item["id"]) for item in page["data"]]
        if page["meta"]["page"]["next_number"] is None:
            break
        number += 1
    assert failed in ids


async def test_stars_belong_to_the_key_that_made_them(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    first, second = fake.app_keys
    assert await _send(session, "POST", "/projects/2/star", first) == 204
    _, as_first = await get_json(session, "/projects/2", headers=auth(fake, first))
    _, as_second = await get_json(session, "/projects/2", headers=auth(fake, second))
    assert as_first["data"]["attributes"]["is_starred"] is True
    assert as_second["data"]["attributes"]["is_starred"] is False
    assert await _send(session, "DELETE", "/projects/2/star", first) == 204
    _, listed = await get_json(session, "/projects", headers=auth(fake, first))
    assert not any(item["attributes"]["is_starred"] for item in listed["data"])


async def test_delete_hides_the_run_from_lists_then_answers_404(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    _, before = await get_json(session, "/runs", {"page[size]": "1"})
    top = before["data"][0]["id"]
    assert await _send(session, "DELETE", f"/runs/{top}", fake.app_key) == 204
    _, after = await get_json(session, "/runs", {"page[size]": "1"})
    assert after["data"][0]["id"] != top
    assert after["meta"]["page"]["total"] == before["meta"]["page"]["total"] - 1
    status, body = await get_json(session, f"/runs/{top}")
    assert (status, body) == (
        404,
        {"errors": [{"title": "Generic Error", "detail": "run not found"}]},
    )
    assert await _send(session, "DELETE", f"/runs/{top}", fake.app_key) == 404
    deleted = next(run for run in fake.dataset.runs if run.id == int(top))
    assert deleted.deleted_at is not None


async def test_generated_soft_deleted_runs_are_hidden(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    deleted = [run.id for run in fake.dataset.runs if run.deleted_at is not None]
    assert deleted
    status, _ = await get_json(session, f"/runs/{deleted[0]}")
    assert status == 404
    ids = ",".join(map(str, deleted))
    _, document = await get_json(session, "/runs", {"filter[id]": ids})
    assert document["data"] == []


async def test_has_children_reflects_the_run_tree(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    child = next(
        run for run in fake.dataset.runs if run.parent_run_id is not None and not run.deleted_at
    )
    _, parent = await get_json(session, f"/runs/{child.parent_run_id}")
    _, children = await get_json(
        session, "/runs", {"filter[parent_run_id]": str(child.parent_run_id)}
    )
    assert parent["data"]["attributes"]["has_children"] is True
    assert str(child.id) in {item["id"] for item in children["data"]}
