"""The paginator's decisions, with a stub fetch instead of a server."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from modellab_async._pagination import Cursor, next_page_number

from modellab_async import NumberedPages, PaginationError, Paginator
from modellab_async._engine._tasks import TaskHost
from modellab_async._params import Query
from modellab_async.models import Links, Page, PageInfo, PageMeta

pytestmark = pytest.mark.anyio


def info(number: int, size: int = 10, total: int = 100, **extra: int | None) -> PageInfo:
    return PageInfo(number=number, size=size, total=total, **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("page", "links", "count", "first", "expected"),
    [
        (info(0), None, 10, 0, 1),  # only number/size/total: count on
        (info(9), None, 10, 0, None),  # 100 items in 10 pages: page 9 is the last (0-based)
        (info(9), None, 10, 1, 10),  # ... but not when numbering starts at 1
        (info(10), None, 10, 1, None),
        (info(0), None, 0, 0, None),  # an empty page ends the walk
        (info(0), None, 7, 0, None),  # so does a short one
        (info(3, last_number=3), None, 10, 0, None),
        (info(3, next_number=5), None, 10, 0, 5),  # the service's own next number wins
        (info(3), Links(next="https://x/runs?page[number]=7&page[size]=10"), 10, 0, 7),
        (info(3), Links(next="/runs?page%5Bnumber%5D=4"), 10, 0, 4),
        (info(3), Links(next="/runs?page[number]=oops"), 10, 0, 4),  # unreadable: count on
        (info(3), Links(next="/runs?cursor=abc"), 10, 0, 4),
        (info(0, size=10, total=10), None, 10, 0, None),  # a multiple of the size
        (info(0, size=0, total=0), None, 0, 0, None),
    ],
)
def test_next_page_number(
    page: PageInfo, links: Links | None, count: int, first: int, expected: int | None
) -> None:
    assert next_page_number(page, links, count, first) == expected


def make_page(number: int, ids: list[int], total: int, size: int, **extra: int | None) -> Page[int]:
    return Page(data=ids, meta=PageMeta(page=info(number, size, total, **extra)))


class StubListing:
    """Answer page queries from a list of `total` integers, as a 0- or 1-based service."""

    def __init__(self, total: int, base: int) -> None:
        self.total = total
        self.base = base
        self.queries: list[dict[str, str]] = []

    async def fetch(self, query: Query) -> Page[int]:
        params = dict(query)
        self.queries.append(params)
        size = int(params["page[size]"])
        number = int(params.get("page[number]", self.base))
        start = (number - self.base) * size
        ids = list(range(start, min(start + size, self.total)))
        return make_page(number, ids, self.total, size)


def numbered(
    filters: Query, size: int, start: int | None = None
) -> Callable[[Cursor | None], NumberedPages]:
    return lambda cursor: NumberedPages(filters, size, start if cursor is None else int(cursor))


def paginator(
    stub: StubListing, size: int, host: TaskHost, start: int | None = None, **options: Any
) -> Paginator[Page[int], int]:
    filters = (("filter", "x"),)
    return Paginator(
        stub.fetch,
        numbered(filters, size, start),
        identity=(*filters, ("page[size]", str(size))),
        host=lambda: host,
        item_id=str,
        **options,
    )


def fixed(fetch: Callable[[Query], Any], host: TaskHost) -> Paginator[Page[int], int]:
    return Paginator(fetch, numbered((), 10), identity=(), host=lambda: host, item_id=str)


@given(
    total=st.integers(0, 500),
    size=st.integers(1, 100),
    base=st.sampled_from([0, 1]),
    limit=st.none() | st.integers(0, 600),
    concurrency=st.integers(1, 8),
    prefetch=st.booleans(),
)
async def test_every_item_once_in_order_with_the_fewest_requests(
    total: int, size: int, base: int, limit: int | None, concurrency: int, prefetch: bool
) -> None:
    stub = StubListing(total, base)
    host = TaskHost()
    await host.start()
    try:
        listing = paginator(
            stub, size, host, limit=limit, concurrency=concurrency, prefetch=prefetch
        )
        items = await listing.collect()
    finally:
        await host.aclose()
    wanted = total if limit is None else min(total, limit)
    assert items == list(range(wanted))
    if limit == 0:
        assert stub.queries == []
    elif limit is None or limit >= total:
        assert len(stub.queries) == max(1, math.ceil(total / size))
    else:
        assert len(stub.queries) == max(1, math.ceil(limit / size))
    assert all(q["filter"] == "x" and q["page[size]"] == str(size) for q in stub.queries)


async def test_the_first_request_names_no_page_unless_asked(host: TaskHost) -> None:
    stub = StubListing(30, base=1)
    await paginator(stub, 10, host).collect()
    assert [q.get("page[number]") for q in stub.queries] == [None, "2", "3"]
    stub.queries.clear()
    await paginator(stub, 10, host, start=2).collect()
    assert [q.get("page[number]") for q in stub.queries] == ["2", "3"]


async def test_a_service_that_ignores_page_numbers_is_caught(host: TaskHost) -> None:
    async def same_page(query: Query) -> Page[int]:
        return make_page(0, list(range(10)), 100, 10)

    seen: list[Page[int]] = []
    with pytest.raises(PaginationError, match="from page 0 to page 1, which was already fetched"):  # noqa: PT012
        async for page in fixed(same_page, host).pages():
            seen.append(page)  # noqa: PERF401  # keep what came before the error
    assert len(seen) == 2


async def test_fan_out_checks_each_page_is_the_one_asked_for(host: TaskHost) -> None:
    async def same_page(query: Query) -> Page[int]:
        return make_page(0, list(range(10)), 100, 10)

    listing = Paginator(
        same_page, numbered((), 10), identity=(), host=lambda: host, item_id=str, concurrency=4
    )
    with pytest.raises(PaginationError, match="asked for page 1 but the service sent page 0"):
        await listing.collect()


async def test_a_next_number_that_goes_back_is_caught(host: TaskHost) -> None:
    async def backwards(query: Query) -> Page[int]:
        return make_page(4, list(range(10)), 100, 10, next_number=2)

    with pytest.raises(PaginationError):
        await fixed(backwards, host).collect()


async def test_start_page_without_first_number_assumes_one(host: TaskHost) -> None:
    stub = StubListing(20, base=0)
    # Starting at page 1 of a 0-based service whose meta has no first_number:
    # the paginator cannot know page 1 is the last, so it checks with one more request.
    assert await paginator(stub, 10, host, start=1).collect() == list(range(10, 20))
    assert [q["page[number]"] for q in stub.queries] == ["1", "2"]


def test_creating_a_paginator_sends_nothing() -> None:
    stub = StubListing(10, 0)
    paginator(stub, 10, TaskHost())
    assert stub.queries == []


@pytest.mark.parametrize("concurrency", [0, -1])
def test_concurrency_must_be_positive(concurrency: int) -> None:
    with pytest.raises(ValueError, match="concurrency must be at least 1"):
        paginator(StubListing(1, 0), 10, TaskHost(), concurrency=concurrency)


def test_concurrency_must_be_an_int() -> None:
    with pytest.raises(TypeError, match="concurrency must be an int"):
        paginator(StubListing(1, 0), 10, TaskHost(), concurrency=2.0)
