"""The token walk with the engine's Paginator and stub fetches: no server."""

from __future__ import annotations

import logging
import math
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from modellab_async import PaginationError, Paginator
from modellab_async._engine._tasks import TaskHost
from modellab_async._params import Query
from modellab_async.pai._pages import TokenPages, token_listing
from modellab_async.pai.models import TokenPage

pytestmark = pytest.mark.anyio

FILTERS: Query = (("WorkspaceId", "145883"),)


class IntPage(TokenPage[int]):
    """A token page of plain integers."""

    _items_field = "values"
    values: list[int] = msgspec.field(default_factory=list)


class StubTokens:
    """Serve `total` integers in token pages; a token is "t<offset>", 0 after the last page."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.queries: list[dict[str, str]] = []

    async def fetch(self, query: Query) -> IntPage:
        params = dict(query)
        self.queries.append(params)
        size = int(params["MaxResults"])
        start = int(params.get("PageToken", "t0")[1:])
        end = min(start + size, self.total)
        token = f"t{end}" if end < self.total else 0
        return IntPage(
            values=list(range(start, end)), next_page_token=token, total_count=self.total
        )


def listing(fetch: Any, host: TaskHost, size: int = 10, **options: Any) -> Paginator[Any, int]:
    identity, strategy = token_listing(FILTERS, size)
    return Paginator(fetch, strategy, identity=identity, host=lambda: host, item_id=str, **options)


def answering(*pages: IntPage) -> Any:
    """Return a fetch answering `pages` in turn, recording its queries in `.queries`."""
    queries: list[dict[str, str]] = []

    async def fetch(query: Query) -> IntPage:
        queries.append(dict(query))
        return pages[len(queries) - 1]

    fetch.queries = queries  # type: ignore[attr-defined]
    return fetch


@given(
    total=st.integers(0, 120),
    size=st.integers(1, 30),
    limit=st.none() | st.integers(0, 150),
    concurrency=st.integers(1, 4),
    prefetch=st.booleans(),
)
async def test_every_item_once_in_order_with_the_fewest_requests(
    total: int, size: int, limit: int | None, concurrency: int, prefetch: bool
) -> None:
    stub = StubTokens(total)
    host = TaskHost()
    await host.start()
    try:
        items = await listing(
            stub.fetch, host, size, limit=limit, concurrency=concurrency, prefetch=prefetch
        ).collect()
    finally:
        await host.aclose()
    wanted = total if limit is None else min(total, limit)
    assert items == list(range(wanted))
    if limit != 0:
        pages_needed = max(1, math.ceil(wanted / size))
        # Prefetch may ask for one page past `limit`, never more.
        assert pages_needed <= len(stub.queries) <= pages_needed + 1
        assert len(stub.queries) <= max(1, math.ceil(total / size))
    assert all(q["WorkspaceId"] == "145883" and q["MaxResults"] == str(size) for q in stub.queries)


async def test_the_first_request_has_no_token_and_each_next_one_the_last_token(
    host: TaskHost,
) -> None:
    stub = StubTokens(25)
    await listing(stub.fetch, host).collect()
    assert [q.get("PageToken") for q in stub.queries] == [None, "t10", "t20"]


@pytest.mark.parametrize("token", [0, "0", None, ""])
async def test_a_done_missing_or_empty_token_ends_the_listing(
    host: TaskHost, token: int | str | None
) -> None:
    fetch = answering(IntPage(values=[1, 2], next_page_token=token))
    assert await listing(fetch, host).collect() == [1, 2]
    assert len(fetch.queries) == 1


async def test_an_empty_page_ends_the_listing_with_a_warning(
    host: TaskHost, caplog: pytest.LogCaptureFixture
) -> None:
    fetch = answering(IntPage(values=[1], next_page_token=5), IntPage(values=[], next_page_token=6))
    with caplog.at_level(logging.WARNING, logger="modellab_async"):
        assert await listing(fetch, host).collect() == [1]
    assert len(fetch.queries) == 2
    assert "empty page with next page token '6'" in caplog.text


async def test_a_repeated_token_raises_instead_of_looping(host: TaskHost) -> None:
    fetch = answering(
        IntPage(values=[1], next_page_token=5),
        IntPage(values=[2], next_page_token=6),
        IntPage(values=[3], next_page_token=5),
    )
    seen: list[int] = []
    with pytest.raises(PaginationError, match="page token '5' again"):  # noqa: PT012
        async for item in listing(fetch, host):
            seen.append(item)  # noqa: PERF401  # keep what came before the error
    assert seen == [1, 2, 3]
    assert len(fetch.queries) == 3


async def test_a_page_pointing_to_its_own_token_raises(host: TaskHost) -> None:
    fetch = answering(
        IntPage(values=[1], next_page_token=5), IntPage(values=[2], next_page_token=5)
    )
    with pytest.raises(PaginationError):
        await listing(fetch, host).collect()


async def test_a_checkpoint_resumes_from_the_token_of_its_page(host: TaskHost) -> None:
    stub = StubTokens(30)
    first = listing(stub.fetch, host)
    taken = []
    async for item in first:
        taken.append(item)
        if len(taken) == 15:
            break
    checkpoint = first.checkpoint
    assert (checkpoint.page, checkpoint.offset, checkpoint.last_id) == ("t10", 5, "14")
    again = StubTokens(30)  # the first walk's prefetch may still be recording into `stub`
    rest = await listing(again.fetch, host, resume=checkpoint).collect()
    assert rest == list(range(15, 30))
    assert [q.get("PageToken") for q in again.queries] == ["t10", "t20"]


async def test_a_checkpoint_on_the_first_page_resumes_from_the_top(host: TaskHost) -> None:
    stub = StubTokens(30)
    first = listing(stub.fetch, host, limit=3)
    assert await first.collect() == [0, 1, 2]
    assert first.checkpoint.page == ""
    again = StubTokens(30)
    assert await listing(again.fetch, host, resume=first.checkpoint, limit=2).collect() == [3, 4]
    assert "PageToken" not in again.queries[0]


def test_a_listing_is_identified_by_its_filters_and_page_size() -> None:
    identity, strategy = token_listing(FILTERS, 50)
    assert identity == (("WorkspaceId", "145883"), ("MaxResults", "50"))
    assert strategy(None).first_query() == identity
    assert strategy("abc").first_query() == (*identity, ("PageToken", "abc"))
    assert token_listing(FILTERS)[0] == FILTERS  # no size: the service's default


def test_pages_cannot_be_foreseen() -> None:
    assert TokenPages(FILTERS, 10).plan(IntPage(values=[1], next_page_token=3), None) is None
