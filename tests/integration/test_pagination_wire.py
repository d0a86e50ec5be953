"""Pagination over real HTTP: request counts, numbering, links, filters, limits, loops."""

from __future__ import annotations

import math
from contextlib import aclosing

import pytest
from aiohttp import web

from modellab_async import ModelLabClient, PaginationError
from modellab_async._engine._window import START
from tests.scripted import API, Listing, ScriptedServer, json_response

pytestmark = pytest.mark.anyio

SIZE = 10


def page_requests(server: ScriptedServer) -> list[dict[str, str]]:
    return [seen.query for seen in server.seen if seen.path == f"{API}/runs"]


@pytest.mark.parametrize("total", [0, 1, SIZE - 1, SIZE, SIZE + 1, 2 * SIZE, 3 * SIZE + 1])
@pytest.mark.parametrize("base", [0, 1])
@pytest.mark.parametrize("links", ["absolute", "relative", "foreign", "missing", "none"])
@pytest.mark.parametrize("full_meta", [True, False])
async def test_listing_costs_exactly_one_request_per_page(
    scripted: ScriptedServer,
    client: ModelLabClient,
    total: int,
    base: int,
    links: str,
    full_meta: bool,
) -> None:
    scripted.handler = Listing(total, base=base, links=links, full_meta=full_meta).handler

    ids = [run.id async for run in client.runs.list(page_size=SIZE)]

    assert ids == [str(i) for i in range(1, total + 1)]
    requests = page_requests(scripted)
    assert len(requests) == max(1, math.ceil(total / SIZE))
    assert "page[number]" not in requests[0]
    assert [r.get("page[number]") for r in requests[1:]] == [
        str(base + i) for i in range(1, len(requests))
    ]


async def test_next_requests_keep_filters_sort_and_size_and_stay_on_the_origin(
    scripted: ScriptedServer, client: ModelLabClient
) -> None:
    scripted.handler = Listing(25, links="foreign").handler

    runs = client.runs.list(
        status="completed", tags={"model": "opus"}, sort="-name", page_size=SIZE
    )
    assert len(await runs.collect()) == 25

    for query in page_requests(scripted):
        assert query["filter[status]"] == "completed"
        assert query["filter[tags]"] == "model:opus"
        assert query["sort"] == "-name"
        assert query["page[size]"] == str(SIZE)
    assert {seen.headers["Host"] for seen in scripted.seen} == {scripted.url.split("//")[1]}


async def test_default_page_size_is_the_maximum(
    scripted: ScriptedServer, client: ModelLabClient
) -> None:
    scripted.handler = Listing(250).handler
    assert len(await client.runs.list().collect()) == 250
    assert [q["page[size]"] for q in page_requests(scripted)] == ["100"] * 3


@pytest.mark.parametrize("base", [0, 1])
async def test_start_page_is_sent_as_given(
    scripted: ScriptedServer, client: ModelLabClient, base: int
) -> None:
    scripted.handler = Listing(35, base=base).handler
    ids = [run.id async for run in client.runs.list(page_size=SIZE, start_page=base + 2)]
    assert ids == [str(i) for i in range(21, 36)]
    assert [q["page[number]"] for q in page_requests(scripted)] == [str(base + 2), str(base + 3)]


@pytest.mark.parametrize("full_meta", [True, False])
async def test_start_page_past_the_end_yields_one_empty_page(
    scripted: ScriptedServer, client: ModelLabClient, full_meta: bool
) -> None:
    scripted.handler = Listing(15, full_meta=full_meta).handler
    pages = [page async for page in client.runs.list(page_size=SIZE, start_page=7).pages()]
    assert [len(page.items) for page in pages] == [0]
    assert len(page_requests(scripted)) == 1


async def test_empty_listing_yields_one_empty_page(
    scripted: ScriptedServer, client: ModelLabClient
) -> None:
    scripted.handler = Listing(0).handler
    pages = [page async for page in client.runs.list().pages()]
    assert len(pages) == 1
    assert pages[0].items == []
    assert pages[0].meta.page.total == 0


async def test_pages_expose_meta_and_links(
    scripted: ScriptedServer, client: ModelLabClient
) -> None:
    scripted.handler = Listing(25).handler
    pages = [page async for page in client.runs.list(page_size=SIZE).pages()]
    assert [page.meta.page.number for page in pages] == [0, 1, 2]
    assert pages[0].links is not None
    assert (
        pages[0].links.next
        == "https://api.datadoghq.com/api/v2/model-lab-api/runs?page[number]=1&page[size]=10"
    )
    assert pages[0].links.prev is None
    assert pages[-1].meta.page.next_number is None


@pytest.mark.parametrize(
    ("limit", "requests"), [(0, 0), (1, 1), (10, 1), (11, 1), (25, 1), (150, 2)]
)
async def test_limit_caps_items_and_requests(
    scripted: ScriptedServer, client: ModelLabClient, limit: int, requests: int
) -> None:
    scripted.handler = Listing(300).handler
    runs = await client.runs.list(limit=limit).collect()
    assert [run.id for run in runs] == [str(i) for i in range(1, limit + 1)]
    assert len(page_requests(scripted)) == requests


async def test_limit_cuts_the_last_page(scripted: ScriptedServer, client: ModelLabClient) -> None:
    scripted.handler = Listing(300).handler
    pages = [page async for page in client.runs.list(page_size=SIZE, limit=15).pages()]
    assert [len(page.items) for page in pages] == [10, 5]


async def test_a_next_page_that_repeats_one_already_fetched_is_an_error(
    scripted: ScriptedServer, client: ModelLabClient
) -> None:
    listing = Listing(50, full_meta=False, links="none")

    async def stuck(request: web.Request) -> web.Response:
        body = listing.page(request)
        body["meta"]["page"]["number"] = 0  # the server ignores page[number]
        return json_response(body)

    scripted.handler = stuck
    seen: list[str] = []
    with pytest.raises(PaginationError, match="already fetched"):  # noqa: PT012
        async for run in client.runs.list(page_size=SIZE, concurrency=1):
            seen.append(run.id)  # noqa: PERF401  # keep what came before the error
    assert len(seen) == 20  # the items before the loop was noticed
    assert len(page_requests(scripted)) == 2


async def test_a_next_number_pointing_backwards_is_an_error(
    scripted: ScriptedServer, client: ModelLabClient
) -> None:
    listing = Listing(50)

    async def backwards(request: web.Request) -> web.Response:
        body = listing.page(request)
        body["meta"]["page"]["next_number"] = 0
        return json_response(body)

    scripted.handler = backwards
    with pytest.raises(PaginationError):
        await client.runs.list(page_size=SIZE, concurrency=1).collect()
    # Fanned out, pages are numbered from meta.page and next_number is never followed.
    assert len(await client.runs.list(page_size=SIZE).collect()) == 50


async def test_iterating_twice_walks_the_listing_twice(
    scripted: ScriptedServer, client: ModelLabClient
) -> None:
    scripted.handler = Listing(15).handler
    runs = client.runs.list(page_size=SIZE)
    assert len(await runs.collect()) == len(await runs.collect()) == 15
    assert len(page_requests(scripted)) == 4


@pytest.mark.parametrize(("concurrency", "most"), [(1, 2), (None, 1 + START)])
async def test_breaking_out_early_stops_fetching(
    scripted: ScriptedServer, client: ModelLabClient, concurrency: int | None, most: int
) -> None:
    scripted.handler = Listing(100).handler
    listing = client.runs.list(page_size=SIZE, concurrency=concurrency)
    async with aclosing(aiter(listing)) as runs:
        async for run in runs:
            if run.id == "12":
                break
    assert 2 <= len(page_requests(scripted)) <= most


async def test_projects_paginate_the_same_way(
    scripted: ScriptedServer, client: ModelLabClient
) -> None:
    async def projects(request: web.Request) -> web.Response:
        size = int(request.query["page[size]"])
        number = int(request.query.get("page[number]", 0))
        data = [
            {
                "id": str(i),
                "type": "projects",
                "attributes": {
                    "name": f"p{i}",
                    "description": "",
                    "artifact_storage_location": "s3://b",
                    "created_at": "2026-05-01T10:00:00Z",
                    "updated_at": "2026-05-01T10:00:00Z",
                    "tags": [{"key": "team", "value": "nlp"}],
                    "is_starred": False,
                },
            }
            for i in range(number * size + 1, min((number + 1) * size, 7) + 1)
        ]
        return json_response(
            {"data": data, "meta": {"page": {"number": number, "size": size, "total": 7}}}
        )

    scripted.handler = projects
    names = [p.attributes.name async for p in client.projects.list(page_size=3)]
    assert names == [f"p{i}" for i in range(1, 8)]
    assert len(scripted.seen) == 3
