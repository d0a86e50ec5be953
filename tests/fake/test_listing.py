"""Run and project listings against a brute-force evaluation, and pagination invariants."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modellab_async.testing import RUN_STATUSES, FakeModelLab, generate_dataset

from .conftest import API, PROJECTS, RUNS, SEED, auth, get_json
from .reference import expected_projects, expected_runs

pytestmark = pytest.mark.anyio

_DATASET = generate_dataset(runs=RUNS, projects=PROJECTS, seed=SEED)
_OWNERS = sorted({run.owner_id for run in _DATASET.runs if run.owner_id})
_PARENTS = sorted({run.parent_run_id for run in _DATASET.runs if run.parent_run_id})
_PINNED = (7, 42, 150, 299)
_RUN_SORTS = [
    f"{sign}{field}"
    for sign in ("", "-")
    for field in ("name", "created_at", "updated_at", "duration")
]

_run_queries = st.fixed_dictionaries(
    {},
    optional={
        "filter[status]": st.sampled_from(RUN_STATUSES),
        "filter": st.sampled_from(["otter", "BERT", "fine-tuning", "lark-1", "zzz"]),
        "filter[owner_id]": st.sampled_from(_OWNERS),
        "filter[tags]": st.sampled_from(
            ["model:bert-base", "stage:prod", "team:nlp", "model:gpt2,stage:dev", "x:y"]
        ),
        "filter[params]": st.sampled_from(
            [
                "learning_rate:>0.0001",
                "batch_size:<=64",
                "batch_size:<64",
                "epochs:>=10,use_amp:false",
                "use_amp:TRUE",
                "optimizer:adam",
                "learning_rate:0.001",
            ]
        ),
        "filter[project_id]": st.sampled_from([str(i) for i in range(1, PROJECTS + 2)]),
        "filter[parent_run_id]": st.sampled_from(["null", *map(str, _PARENTS[:5])]),
        "filter[id]": st.lists(st.integers(1, RUNS), min_size=1, max_size=6).map(
            lambda ids: ",".join(map(str, ids))
        ),
        "include_pinned": st.sampled_from(["true", "false"]),
        "pinned_first": st.sampled_from(["true", "false"]),
        "include_descendant_matches": st.sampled_from(["true", "false"]),
        "sort": st.sampled_from(_RUN_SORTS),
    },
)


async def _walk(
    session: aiohttp.ClientSession,
    resource: str,
    query: dict[str, str],
    *,
    size: int = 100,
    base: int = 0,
    headers: dict[str, str] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Fetch every page by number; return the items and each page's document."""
    items: list[dict[str, Any]] = []
    documents: list[dict[str, Any]] = []
    number = base
    while True:
        params = {**query, "page[size]": str(size), "page[number]": str(number)}
        status, document = await get_json(session, resource, params, headers)
        assert status == 200, document
        documents.append(document)
        items.extend(document["data"])
        if document["meta"]["page"]["next_number"] is None:
            return items, documents
        number = document["meta"]["page"]["next_number"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=_run_queries)
async def test_run_listing_matches_brute_force(
    fake: FakeModelLab, session: aiohttp.ClientSession, query: dict[str, str]
) -> None:
    for run_id in _PINNED:
        async with session.post(f"{API}/runs/{run_id}/pin") as response:
            assert response.status == 204
    items, documents = await _walk(session, "/runs", query)
    got = [(int(item["id"]), item["attributes"]["descendant_match"]) for item in items]
    assert got == expected_runs(fake.dataset, query, fake.app_key)
    assert documents[0]["meta"]["page"]["total"] == len(got)
    for item in items:
        assert item["attributes"]["is_pinned"] is (int(item["id"]) in _PINNED)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    query=st.fixed_dictionaries(
        {},
        optional={
            "filter": st.sampled_from(["detect", "FORECAST", "experiments", "nothing"]),
            "filter[owner_id]": st.sampled_from(_OWNERS),
            "filter[tags]": st.sampled_from(["team:nlp", "domain:retail", "team:risk,domain:ads"]),
            "sort": st.sampled_from(["name", "-name", "created_at", "-created_at", "updated_at"]),
        },
    )
)
async def test_project_listing_matches_brute_force(
    fake: FakeModelLab, session: aiohttp.ClientSession, query: dict[str, str]
) -> None:
    items, _ = await _walk(session, "/projects", query, size=1)
    assert [int(item["id"]) for item in items] == expected_projects(fake.dataset, query)


@pytest.mark.parametrize("base", [0, 1])
@pytest.mark.parametrize("size", [1, 7, 25, 100])
async def test_pages_hold_every_run_once_in_order(base: int, size: int) -> None:
    query = {"filter[status]": "completed", "sort": "name"}
    async with (
        FakeModelLab(runs=RUNS, projects=PROJECTS, seed=SEED, page_base=base) as fake,
        aiohttp.ClientSession(base_url=fake.url, headers=auth(fake)) as session,
    ):
        items, documents = await _walk(session, "/runs", query, size=size, base=base)
        expected = [run_id for run_id, _ in expected_runs(fake.dataset, query, fake.app_key)]
        assert [int(item["id"]) for item in items] == expected
        last = base + (len(expected) - 1) // size
        for offset, document in enumerate(documents):
            assert document["meta"]["page"] == {
                "number": base + offset,
                "size": size,
                "total": len(expected),
                "first_number": base,
                "last_number": last,
                "next_number": base + offset + 1 if base + offset < last else None,
                "prev_number": base + offset - 1 if offset else None,
                "type": "number_size",
            }
            assert ("prev" in document["links"]) is (offset > 0)
            assert ("next" in document["links"]) is (base + offset < last)


async def test_links_keep_filters_with_literal_brackets(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    params = {"filter[status]": "completed", "sort": "-name", "page[size]": "25"}
    _, first = await get_json(session, "/runs", params)
    links = first["links"]
    assert links["self"] == f"{fake.url}{API}/runs"
    assert links["next"] == (
        f"{fake.url}{API}/runs?filter[status]=completed&sort=-name&page[number]=1&page[size]=25"
    )
    assert links["first"].endswith("page[number]=0&page[size]=25")
    assert "prev" not in links
    # Following `next` links walks the same pages as counting page numbers.
    followed = list(first["data"])
    next_link = links.get("next")
    async with aiohttp.ClientSession(headers=auth(fake)) as plain:
        while next_link:
            async with plain.get(next_link) as response:
                document = await response.json()
            followed.extend(document["data"])
            next_link = document["links"].get("next")
    walked, _ = await _walk(session, "/runs", {"filter[status]": "completed", "sort": "-name"})
    assert [item["id"] for item in followed] == [item["id"] for item in walked]


async def test_link_host_names_another_origin() -> None:
    async with (
        FakeModelLab(runs=50, projects=2, link_host="https://api.datadoghq.com") as fake,
        aiohttp.ClientSession(base_url=fake.url, headers=auth(fake)) as session,
    ):
        _, document = await get_json(session, "/projects", {"page[size]": "1"})
    assert document["links"]["self"] == f"https://api.datadoghq.com{API}/projects"
    assert document["links"]["last"] == (
        f"https://api.datadoghq.com{API}/projects?page[number]=1&page[size]=1"
    )


async def test_page_past_the_last_is_empty(session: aiohttp.ClientSession) -> None:
    status, document = await get_json(session, "/runs", {"page[number]": "999"})
    assert status == 200
    assert document["data"] == []
    page = document["meta"]["page"]
    assert (page["number"], page["next_number"], page["prev_number"]) == (999, None, 998)
    assert page["total"] == sum(run.deleted_at is None for run in _DATASET.runs)


async def test_empty_listing_has_last_number_equal_to_first(
    session: aiohttp.ClientSession,
) -> None:
    _, document = await get_json(session, "/runs", {"filter": "no run is named this"})
    assert document["meta"]["page"] == {
        "number": 0,
        "size": 25,
        "total": 0,
        "first_number": 0,
        "last_number": 0,
        "next_number": None,
        "prev_number": None,
        "type": "number_size",
    }
    assert set(document["links"]) == {"self", "first", "last"}


async def test_default_sort_is_updated_at_descending(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    _, document = await get_json(session, "/runs", {"page[size]": "100"})
    stamps = [(item["attributes"]["updated_at"], int(item["id"])) for item in document["data"]]
    assert stamps == sorted(stamps, reverse=True)
    assert len(stamps) == 100
