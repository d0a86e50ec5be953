"""Error answers: 400 naming the parameter, 403 without the right keys, exact 404 bodies."""

from __future__ import annotations

import aiohttp
import pytest

from modellab_async.testing import FakeModelLab

from .conftest import API, get_json

pytestmark = pytest.mark.anyio

# More digits than int() converts from a string (4,300), so parsing them naively fails.
HUGE = "9" * 5_000


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/runs", {"page[size]": "0"}, "page[size]"),
        ("/runs", {"page[size]": "101"}, "page[size]"),
        ("/runs", {"page[size]": "ten"}, "page[size]"),
        ("/runs", {"page[number]": "-1"}, "page[number]"),
        ("/runs", {"page[number]": "1.5"}, "page[number]"),
        ("/runs", {"filter[status]": "done"}, "filter[status]"),
        ("/runs", {"sort": "-owner"}, "sort"),
        ("/runs", {"filter[id]": "1,x"}, "filter[id]"),
        ("/runs", {"filter[project_id]": "0"}, "filter[project_id]"),
        ("/runs", {"filter[parent_run_id]": "root"}, "filter[parent_run_id]"),
        ("/runs", {"filter[tags]": "model"}, "filter[tags]"),
        ("/runs", {"filter[params]": "learning_rate:>high"}, "filter[params]"),
        ("/runs", {"pinned_first": "yes"}, "pinned_first"),
        ("/runs", {"page[number]": HUGE}, "page[number]"),
        ("/runs", {"page[size]": HUGE}, "page[size]"),
        ("/runs", {"page[number]": "1" + "0" * 19}, "page[number]"),
        ("/runs", {"filter[id]": f"1,{HUGE}"}, "filter[id]"),
        ("/runs", {"filter[project_id]": HUGE}, "filter[project_id]"),
        ("/runs", {"filter[parent_run_id]": HUGE}, "filter[parent_run_id]"),
        ("/facet-keys", {"filter[project_id]": HUGE}, "filter[project_id]"),
        ("/artifacts/content", {"project_id": HUGE, "artifact_path": "x"}, "project_id"),
        ("/projects", {"sort": "duration"}, "sort"),
        ("/facet-keys", {}, "filter[project_id]"),
        ("/facet-values", {"filter[project_id]": "1", "facet_name": "x"}, "facet_type"),
        (
            "/facet-values",
            {"filter[project_id]": "1", "facet_type": "colour", "facet_name": "x"},
            "facet_type",
        ),
        ("/project-facet-values", {"facet_type": "metric", "facet_name": "x"}, "facet_type"),
        ("/artifacts/content", {"project_id": "1"}, "artifact_path"),
    ],
)
async def test_bad_parameters_answer_400_naming_the_parameter(
    session: aiohttp.ClientSession, path: str, params: dict[str, str], parameter: str
) -> None:
    status, body = await get_json(session, path, params)
    assert status == 400
    [error] = body["errors"]
    assert error["status"] == "400"
    assert error["title"] == "Bad Request"
    assert error["source"] == {"parameter": parameter}
    assert error["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/runs/abc",
        "/runs/0",
        "/runs/-3",
        "/projects/1e3/artifacts",
        "/runs/²",
        f"/runs/{HUGE}",
        f"/runs/{HUGE}/artifacts",
        f"/projects/{HUGE}",
    ],
)
async def test_path_ids_that_are_not_positive_integers_answer_400(
    session: aiohttp.ClientSession, path: str
) -> None:
    status, body = await get_json(session, path)
    assert status == 400
    [error] = body["errors"]
    assert error["source"]["parameter"] in {"run_id", "project_id"}
    assert len(error["detail"]) < 200


async def test_a_run_path_of_thousands_of_digits_finds_no_artifact(
    session: aiohttp.ClientSession,
) -> None:
    params = {"project_id": "1", "artifact_path": f"runs/{HUGE}/metrics.json"}
    status, body = await get_json(session, "/artifacts/content", params)
    assert status == 404
    assert body == {"errors": [{"title": "Generic Error", "detail": "artifact not found"}]}


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/runs/99999", "run not found"),
        ("/runs/99999/artifacts", "run not found"),
        ("/projects/99", "project not found"),
        ("/facet-keys?filter[project_id]=99", "project not found"),
    ],
)
async def test_unknown_resources_answer_the_services_404(
    session: aiohttp.ClientSession, path: str, detail: str
) -> None:
    async with session.get(API + path) as response:
        assert response.status == 404
        assert await response.read() == (
            b'{"errors":[{"title":"Generic Error","detail":"' + detail.encode() + b'"}]}'
        )


@pytest.mark.parametrize(
    ("headers", "header"),
    [
        ({}, "DD-API-KEY"),
        ({"DD-API-KEY": "wrong", "DD-APPLICATION-KEY": "fake-app-key"}, "DD-API-KEY"),
        ({"DD-API-KEY": "fake-api-key"}, "DD-APPLICATION-KEY"),
        ({"DD-API-KEY": "fake-api-key", "DD-APPLICATION-KEY": "nope"}, "DD-APPLICATION-KEY"),
    ],
)
async def test_missing_or_wrong_keys_answer_403(
    fake: FakeModelLab, headers: dict[str, str], header: str
) -> None:
    async with (
        aiohttp.ClientSession(base_url=fake.url) as session,
        session.get(f"{API}/runs", headers=headers) as response,
    ):
        assert response.status == 403
        body = await response.json()
    [error] = body["errors"]
    assert (error["status"], error["title"]) == ("403", "Forbidden")
    assert error["source"] == {"header": header}
    assert fake.requests[-1].status == 403
