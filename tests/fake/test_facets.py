"""Facet keys and values of runs and projects."""

from __future__ import annotations

import aiohttp
import pytest

from modellab_async.testing import FakeModelLab

from .conftest import get_json

pytestmark = pytest.mark.anyio


async def test_run_facet_keys_list_what_the_projects_runs_use(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    status, document = await get_json(session, "/facet-keys", {"filter[project_id]": "2"})
    assert status == 200
    runs = [r for r in fake.dataset.runs if r.project_id == 2 and r.deleted_at is None]
    attributes = document["data"]["attributes"]
    assert attributes["tags"] == sorted({t.key for r in runs for t in r.tags})
    assert attributes["metrics"] == sorted({m.key for r in runs for m in r.metric_summaries})
    assert attributes["parameters"] == sorted({p.key for r in runs for p in r.params or ()})
    assert document["data"]["type"] == "facet_keys"


@pytest.mark.parametrize(
    ("facet_type", "facet_name"),
    [("tag", "model"), ("parameter", "optimizer"), ("attribute", "status")],
)
async def test_run_facet_values(
    fake: FakeModelLab, session: aiohttp.ClientSession, facet_type: str, facet_name: str
) -> None:
    params = {"filter[project_id]": "1", "facet_type": facet_type, "facet_name": facet_name}
    _, document = await get_json(session, "/facet-values", params)
    runs = [r for r in fake.dataset.runs if r.project_id == 1 and r.deleted_at is None]
    expected_by_type: dict[str, set[str]] = {
        "tag": {t.value for r in runs for t in r.tags if t.key == facet_name},
        "parameter": {p.value for r in runs for p in r.params or () if p.key == facet_name},
        "attribute": {r.status for r in runs},
    }
    expected = expected_by_type[facet_type]
    assert document["data"]["attributes"]["values"] == sorted(expected)
    assert document["data"]["id"] == f"{facet_type}:{facet_name}:1"


async def test_numeric_parameters_and_metrics_come_with_ranges(
    session: aiohttp.ClientSession,
) -> None:
    base = {"filter[project_id]": "1"}
    _, batch = await get_json(
        session, "/facet-values", {**base, "facet_type": "parameter", "facet_name": "batch_size"}
    )
    assert batch["data"]["attributes"]["numeric_range"] == {"min": 16, "max": 256}
    _, loss = await get_json(
        session, "/facet-values", {**base, "facet_type": "metric", "facet_name": "loss"}
    )
    ranges = {r["stat"]: r for r in loss["data"]["attributes"]["metric_stat_ranges"]}
    assert set(ranges) == {"min", "max", "mean", "latest"}
    assert all(r["min"] <= r["max"] for r in ranges.values())


async def test_project_facets(fake: FakeModelLab, session: aiohttp.ClientSession) -> None:
    _, keys = await get_json(session, "/project-facet-keys")
    assert keys["data"]["attributes"] == {
        "metrics": [],
        "parameters": [],
        "tags": ["domain", "team"],
    }
    _, values = await get_json(
        session, "/project-facet-values", {"facet_type": "tag", "facet_name": "team"}
    )
    teams = {t.value for p in fake.dataset.projects for t in p.tags if t.key == "team"}
    assert values["data"]["attributes"]["values"] == sorted(teams)
    assert values["data"]["id"].startswith("tag:team:")
