"""PAI's token walk: its decisions alone, and through a PAIClient over MockTransport."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from contextlib import aclosing
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modellab_async import PaginationError
from modellab_async.pai import PAIClient
from modellab_async.pai._pages import TokenPages
from modellab_async.pai.models import RunsPage
from modellab_async.testing import MockRequest, MockTransport
from tests.unit.mock_service import QUICK, Answer, Handler, json_answer, run_ids

pytestmark = pytest.mark.anyio

WORKSPACE = "145883"


def connect(handler: Handler) -> PAIClient:
    return PAIClient(
        "access-key-id",
        "access-key-secret",
        endpoint="https://pai.example.com",
        transport=MockTransport(handler),
        retries=QUICK,
    )


def runs_page(ids: Iterable[int], token: int | str | None, total: int | None = None) -> Answer:
    body: dict[str, Any] = {"Runs": [{"RunId": str(i)} for i in ids], "NextPageToken": token}
    if total is not None:
        body["TotalCount"] = total
    return json_answer(body)


class TokenService:
    """Serve runs 0 .. total-1 in token pages; a token is "t<offset>", 0 after the last page."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.queries: list[dict[str, str]] = []

    def __call__(self, request: MockRequest) -> Answer:
        query = request.url.query
        self.queries.append(dict(query))
        size = int(query.get("MaxResults", "10"))
        start = int(query.get("PageToken", "t0")[1:])
        end = min(start + size, self.total)
        return runs_page(range(start, end), f"t{end}" if end < self.total else 0, self.total)

    @property
    def tokens(self) -> list[str | None]:
        """The `PageToken` of every request, in order."""
        return [query.get("PageToken") for query in self.queries]


class Answering:
    """Answer `answers` in turn, recording the queries."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = answers
        self.queries: list[dict[str, str]] = []

    def __call__(self, request: MockRequest) -> Answer:
        self.queries.append(dict(request.url.query))
        return self.answers[len(self.queries) - 1]


def test_a_token_scheme_is_identified_by_its_page_size() -> None:
    assert TokenPages(50).query() == (("MaxResults", "50"),)
    assert TokenPages().query() == ()  # no size: the service's default
    assert TokenPages(50).walk(None).first_query() == (("MaxResults", "50"),)
    assert TokenPages(50).walk("").first_query() == (("MaxResults", "50"),)
    assert TokenPages(50).walk("abc").first_query() == (
        ("MaxResults", "50"),
        ("PageToken", "abc"),
    )
    with pytest.raises(ValueError, match="page_size must be at least 1"):
        TokenPages(0)


def test_pages_cannot_be_foreseen() -> None:
    page = RunsPage(runs=[], next_page_token=3)
    assert TokenPages(10).walk(None).plan(page, None) is None


async def test_a_listing_is_identified_by_its_filters_and_page_size() -> None:
    async with connect(TokenService(0)) as pai:
        listing = pai.runs.list(workspace_id=WORKSPACE, page_size=50).listing
    assert listing.query == (("WorkspaceId", WORKSPACE), ("MaxResults", "50"))


@settings(deadline=None, max_examples=60)
@given(
    total=st.integers(0, 120),
    size=st.integers(1, 30),
    limit=st.none() | st.integers(0, 150),
    prefetch=st.booleans(),
)
async def test_every_item_once_in_order_with_the_fewest_requests(
    total: int, size: int, limit: int | None, prefetch: bool
) -> None:
    service = TokenService(total)
    async with connect(service) as pai:
        listing = pai.runs.list(
            workspace_id=WORKSPACE, page_size=size, limit=limit, prefetch=prefetch
        )
        runs = await listing.collect()
    wanted = total if limit is None else min(total, limit)
    assert [run.run_id for run in runs] == run_ids(wanted)
    if limit == 0:
        assert service.queries == []
    else:
        pages_needed = max(1, math.ceil(wanted / size))
        # Prefetch may ask for one page past `limit`, never more.
        assert pages_needed <= len(service.queries) <= pages_needed + 1
        assert len(service.queries) <= max(1, math.ceil(total / size))
    assert all(
        q["WorkspaceId"] == WORKSPACE and q["MaxResults"] == str(size) for q in service.queries
    )


async def test_the_first_request_has_no_token_and_each_next_one_the_last_token() -> None:
    service = TokenService(25)
    async with connect(service) as pai:
        await pai.runs.list(page_size=10).collect()
    assert service.tokens == [None, "t10", "t20"]


@pytest.mark.parametrize("token", [0, "0", None, ""])
async def test_a_done_missing_or_empty_token_ends_the_listing(token: int | str | None) -> None:
    service = Answering(runs_page([1, 2], token))
    async with connect(service) as pai:
        runs = await pai.runs.list().collect()
    assert [run.run_id for run in runs] == ["1", "2"]
    assert len(service.queries) == 1


async def test_an_empty_page_ends_the_listing_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    service = Answering(runs_page([1], 5), runs_page([], 6))
    async with connect(service) as pai:
        with caplog.at_level(logging.WARNING, logger="modellab_async"):
            runs = await pai.runs.list().collect()
    assert [run.run_id for run in runs] == ["1"]
    assert len(service.queries) == 2
    assert "empty page with next page token '6'" in caplog.text


async def test_a_repeated_token_raises_instead_of_looping() -> None:
    service = Answering(runs_page([1], 5), runs_page([2], 6), runs_page([3], 5))
    seen: list[str] = []
    async with connect(service) as pai:
        with pytest.raises(PaginationError, match="page token '5' again") as raised:  # noqa: PT012
            async for run in pai.runs.list():
                seen.append(run.run_id)  # noqa: PERF401  # keep what came before the error
    assert seen == ["1", "2", "3"]
    assert len(service.queries) == 3
    checkpoint = raised.value.checkpoint
    assert checkpoint is not None
    assert (checkpoint.page, checkpoint.offset, checkpoint.last_id) == ("6", 1, "3")


async def test_a_page_pointing_to_its_own_token_raises() -> None:
    service = Answering(runs_page([1], 5), runs_page([2], 5))
    async with connect(service) as pai:
        with pytest.raises(PaginationError):
            await pai.runs.list().collect()


async def test_a_checkpoint_resumes_from_the_token_of_its_page() -> None:
    service = TokenService(30)
    async with connect(service) as pai:
        first = pai.runs.list(page_size=10)
        taken: list[str] = []
        async with aclosing(aiter(first)) as runs:
            async for run in runs:
                taken.append(run.run_id)
                if len(taken) == 15:
                    break
        checkpoint = first.checkpoint
        assert (checkpoint.page, checkpoint.offset, checkpoint.last_id) == ("t10", 5, "14")
        service.queries.clear()
        rest = await pai.runs.list(page_size=10, resume=checkpoint).collect()
    assert [run.run_id for run in rest] == run_ids(15, start=15)
    assert service.tokens == ["t10", "t20"]


async def test_a_checkpoint_on_the_first_page_resumes_from_the_top() -> None:
    service = TokenService(30)
    async with connect(service) as pai:
        first = pai.runs.list(page_size=10, limit=3)
        assert [run.run_id for run in await first.collect()] == ["0", "1", "2"]
        assert first.checkpoint.page == ""
        service.queries.clear()
        rest = await pai.runs.list(page_size=10, resume=first.checkpoint, limit=2).collect()
    assert [run.run_id for run in rest] == ["3", "4"]
    assert service.tokens[0] is None


async def test_a_checkpoint_of_another_page_size_is_refused() -> None:
    service = TokenService(30)
    async with connect(service) as pai:
        checkpoint = pai.runs.list(page_size=10).checkpoint
        with pytest.raises(ValueError, match="different listing"):
            pai.runs.list(page_size=20, resume=checkpoint)
    assert service.queries == []
