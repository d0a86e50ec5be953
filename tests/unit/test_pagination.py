"""Model Lab's page-number walk: its decisions alone, and through a client over MockTransport."""

from __future__ import annotations

import math
from contextlib import aclosing

import anyio
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modellab_async import Checkpoint, PaginationError
from modellab_async.models import Links, Page, PageInfo, PageMeta, Run
from modellab_async.resources._pages import NumberedPages, last_page_number, next_page_number
from modellab_async.testing import MockRequest

from .mock_service import (
    Answer,
    NumberedService,
    connect,
    page_answer,
    requested_page,
    run_ids,
)

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


@pytest.mark.parametrize(
    ("page", "first", "expected"),
    [
        (info(0, size=10, total=95), 0, 9),
        (info(1, size=10, total=95), 1, 10),
        (info(0, size=10, total=0), 0, 0),  # an empty listing still has its one page
        (info(0, size=0, total=50), 0, 0),  # no size: one page, never a division by zero
        (info(0, size=3, total=10**30), 0, -(-(10**30) // 3) - 1),  # exact, never a float
        (info(0, last_number=4), 0, 4),
    ],
)
def test_last_page_number(page: PageInfo, first: int, expected: int) -> None:
    assert last_page_number(page, first) == expected


def test_a_numbered_scheme_starts_where_asked_and_names_its_page_size() -> None:
    pages = NumberedPages(size=10)
    assert pages.query() == (("page[size]", "10"),)
    assert pages.walk(None).first_query() == (("page[size]", "10"),)
    assert NumberedPages(10, start=2).walk(None).first_query() == (
        ("page[number]", "2"),
        ("page[size]", "10"),
    )
    assert pages.walk("7").first_query() == (("page[number]", "7"), ("page[size]", "10"))
    assert pages.walk(3).first_query()[0] == ("page[number]", "3")


@pytest.mark.parametrize("cursor", ["abc", "-1", "t10", True])
def test_a_numbered_scheme_refuses_a_page_that_is_no_number(cursor: str | bool) -> None:
    with pytest.raises(ValueError, match="cannot resume from page"):
        NumberedPages(10).walk(cursor)


def test_a_walk_refuses_a_page_it_has_already_asked_for() -> None:
    walk = NumberedPages(10).walk(None)
    walk.first_query()
    first = Page[Run](data=[], meta=PageMeta(page=info(0)))
    full = msgspec.structs.replace(first, data=[None] * 10)  # only the count matters here
    assert walk.next_query(full) == (("page[number]", "1"), ("page[size]", "10"))
    with pytest.raises(PaginationError, match="from page 0 to page 1, which was already fetched"):
        walk.next_query(full)


@settings(deadline=None, max_examples=60)
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
    service = NumberedService(total, base)
    async with connect(service) as client:
        listing = client.runs.list(
            query="x", page_size=size, limit=limit, concurrency=concurrency, prefetch=prefetch
        )
        runs = await listing.collect()
    wanted = total if limit is None else min(total, limit)
    assert [run.id for run in runs] == run_ids(wanted)
    if limit == 0:
        assert service.queries == []
    else:
        assert len(service.queries) == max(1, math.ceil(wanted / size))
    assert all(q["filter"] == "x" and q["page[size]"] == str(size) for q in service.queries)


@settings(deadline=None, max_examples=60)
@given(
    total=st.integers(0, 120),
    size=st.integers(1, 30),
    base=st.sampled_from([0, 1]),
    stop_at=st.integers(1, 130),
    concurrency=st.integers(1, 4),
    prefetch=st.booleans(),
)
async def test_a_walk_resumes_from_any_checkpoint_with_exactly_the_rest(
    total: int, size: int, base: int, stop_at: int, concurrency: int, prefetch: bool
) -> None:
    service = NumberedService(total, base)
    async with connect(service) as client:
        first = client.runs.list(page_size=size, concurrency=concurrency, prefetch=prefetch)
        head: list[str] = []
        async with aclosing(aiter(first)) as runs:
            async for run in runs:
                head.append(run.id)
                if len(head) == stop_at:
                    break  # the walk is left before it learns whether more follow
        checkpoint = Checkpoint.from_json(first.checkpoint.to_json())
        assert checkpoint.done == (stop_at > total)
        service.queries.clear()
        resumed = client.runs.list(page_size=size, concurrency=concurrency, resume=checkpoint)
        tail = [run.id async for run in resumed]
    assert head + tail == run_ids(total)
    if checkpoint.done:
        assert service.queries == []
    elif checkpoint.page is not None:
        assert service.pages_asked[0] == str(checkpoint.page)


async def test_the_first_request_names_no_page_unless_asked() -> None:
    service = NumberedService(30, base=1)
    async with connect(service) as client:
        await client.runs.list(page_size=10, concurrency=1).collect()
        assert service.pages_asked == [None, "2", "3"]
        service.queries.clear()
        await client.runs.list(page_size=10, concurrency=1, start_page=2).collect()
        assert service.pages_asked == ["2", "3"]


async def test_start_page_without_first_number_assumes_one() -> None:
    service = NumberedService(20, base=0)
    async with connect(service) as client:
        runs = await client.runs.list(page_size=10, concurrency=1, start_page=1).collect()
    # Starting at page 1 of a 0-based service whose meta has no first_number:
    # the walk cannot know page 1 is the last, so it checks with one more request.
    assert [run.id for run in runs] == run_ids(10, start=10)
    assert service.pages_asked == ["1", "2"]


async def test_fan_out_yields_pages_in_order_when_they_arrive_out_of_order() -> None:
    service = NumberedService(80, base=1)
    answered: list[int] = []

    async def later_pages_first(request: MockRequest) -> Answer:
        number = requested_page(request) or 1
        await anyio.sleep((8 - number) * 0.005)
        answered.append(number)
        return service(request)

    async with connect(later_pages_first) as client:
        runs = await client.runs.list(page_size=10, concurrency=4).collect()
    assert [run.id for run in runs] == run_ids(80)
    assert answered != sorted(answered)  # the service did answer out of order
    assert sorted(answered) == list(range(1, 9))


def always_page_zero(request: MockRequest) -> Answer:
    return page_answer(0, range(10), total=100, size=10)


async def test_a_service_that_ignores_page_numbers_is_caught() -> None:
    seen: list[Page[Run]] = []
    async with connect(always_page_zero) as client:
        with pytest.raises(  # noqa: PT012
            PaginationError, match="from page 0 to page 1, which was already fetched"
        ):
            async for page in client.runs.list(page_size=10, concurrency=1).pages():
                seen.append(page)  # noqa: PERF401  # keep what came before the error
    assert len(seen) == 2


async def test_fan_out_checks_each_page_is_the_one_asked_for() -> None:
    async with connect(always_page_zero) as client:
        listing = client.runs.list(page_size=10, concurrency=4)
        with pytest.raises(PaginationError, match="asked for page 1 but the service sent page 0"):
            await listing.collect()


async def test_a_next_number_that_goes_back_is_caught() -> None:
    def backwards(request: MockRequest) -> Answer:
        return page_answer(4, range(10), total=100, size=10, next_number=2)

    async with connect(backwards) as client:
        with pytest.raises(PaginationError, match="from page 4 to page 2"):
            await client.runs.list(page_size=10, concurrency=1).collect()


async def test_creating_a_paginator_sends_nothing() -> None:
    service = NumberedService(10)
    async with connect(service) as client:
        client.runs.list(page_size=10, concurrency=4)
    assert service.queries == []


@pytest.mark.parametrize(
    ("concurrency", "error", "message"),
    [
        (0, ValueError, "concurrency must be at least 1"),
        (-1, ValueError, "concurrency must be at least 1"),
        (2.0, TypeError, "concurrency must be an int"),
    ],
)
async def test_concurrency_is_checked_when_the_listing_is_made(
    concurrency: int, error: type[Exception], message: str
) -> None:
    service = NumberedService(10)
    async with connect(service) as client:
        with pytest.raises(error, match=message):
            client.runs.list(concurrency=concurrency)
    assert service.queries == []
