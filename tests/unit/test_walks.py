"""A listing is one value, each iteration its own walk: through a client over MockTransport."""

from __future__ import annotations

from contextlib import aclosing

import anyio
import anyio.lowlevel
import msgspec
import pytest

from modellab_async import (
    BadRequestError,
    Checkpoint,
    DecodeError,
    MalformedBodyError,
    ModelLabError,
    Page,
    PaginationError,
    Paginator,
    Run,
    ServerError,
    TransportError,
)
from modellab_async.testing import MockRequest

from .mock_service import (
    Answer,
    Handler,
    NumberedService,
    connect,
    json_answer,
    page_answer,
    requested_page,
    run_ids,
)

pytestmark = pytest.mark.anyio

TOTAL = 95
SIZE = 10


class Slim(msgspec.Struct):
    """A run with its id only."""

    id: str


class Anonymous(msgspec.Struct):
    """A run's type, and no id."""

    type: str


async def read_items(paginator: Paginator[Page[Run], Run], got: list[str]) -> None:
    async for run in paginator:
        got.append(run.id)  # noqa: PERF401  # keep what came before an error


async def read_pages(paginator: Paginator[Page[Run], Run], got: list[str]) -> None:
    async for page in paginator.pages():
        got.extend(run.id for run in page.items)


READERS = {"items": read_items, "pages": read_pages}

FAILURES: dict[str, tuple[Answer | TransportError, type[ModelLabError]]] = {
    "400": (json_answer({"errors": [{"title": "bad"}]}, 400), BadRequestError),
    "503": (json_answer({"errors": [{"title": "down"}]}, 503), ServerError),
    "lost connection": (TransportError("reset"), TransportError),
    "cut body": ((200, {}, b'{"data": [{"id": "1"'), MalformedBodyError),
    "wrong shape": (json_answer({"data": 5}), DecodeError),
}


def failing_once_on(
    page: int, failure: Answer | TransportError, service: NumberedService
) -> Handler:
    """Answer as `service` does, except page `page` fails the first time it is asked for."""
    failed = False

    def handler(request: MockRequest) -> Answer:
        nonlocal failed
        if requested_page(request) == page and not failed:
            failed = True
            service.queries.append(dict(request.url.query))
            if isinstance(failure, TransportError):
                raise type(failure)(*failure.args)
            return failure
        return service(request)

    return handler


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("concurrency", [1, 4])
@pytest.mark.parametrize("failure", FAILURES)
async def test_every_error_while_iterating_carries_a_checkpoint_that_resumes_exactly(
    failure: str, concurrency: int, reader: str
) -> None:
    answer, error_class = FAILURES[failure]
    service = NumberedService(TOTAL, base=1)
    read = READERS[reader]
    async with connect(failing_once_on(4, answer, service), retries=0) as client:
        listing = client.runs.list(project_id=3, page_size=SIZE, concurrency=concurrency)
        head: list[str] = []
        with pytest.raises(error_class) as raised:
            await read(listing, head)
        checkpoint = raised.value.checkpoint
        assert checkpoint is not None
        assert checkpoint == listing.checkpoint
        assert (checkpoint.page, checkpoint.offset, checkpoint.last_id) == (3, SIZE, head[-1])
        resumed = client.runs.list(
            project_id=3, page_size=SIZE, concurrency=concurrency, resume=checkpoint
        )
        tail: list[str] = []
        await read(resumed, tail)
    assert head == run_ids(3 * SIZE)
    assert head + tail == run_ids(TOTAL)
    assert resumed.checkpoint.done


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("concurrency", [1, 4])
async def test_a_loop_found_while_iterating_carries_a_checkpoint(
    concurrency: int, reader: str
) -> None:
    def stuck(request: MockRequest) -> Answer:
        return page_answer(0, range(SIZE), total=100, size=SIZE)

    async with connect(stuck) as client:
        listing = client.runs.list(page_size=SIZE, concurrency=concurrency)
        with pytest.raises(PaginationError) as raised:
            await READERS[reader](listing, [])
    checkpoint = raised.value.checkpoint
    assert checkpoint is not None
    assert (checkpoint.page, checkpoint.offset) == (0, SIZE)


def interleaving(service: NumberedService) -> Handler:
    """Answer as `service` does, after letting other tasks run."""

    async def handler(request: MockRequest) -> Answer:
        await anyio.lowlevel.checkpoint()
        return service(request)

    return handler


@pytest.mark.parametrize("concurrency", [1, 4])
@pytest.mark.parametrize(("first", "second"), [("items", "items"), ("items", "pages")])
async def test_two_tasks_iterating_one_paginator_each_get_the_whole_listing(
    concurrency: int, first: str, second: str
) -> None:
    service = NumberedService(TOTAL, base=1)
    got: dict[str, list[str]] = {"first": [], "second": []}
    async with connect(interleaving(service)) as client:
        listing = client.runs.list(page_size=SIZE, concurrency=concurrency)
        async with anyio.create_task_group() as group:
            group.start_soon(READERS[first], listing, got["first"])
            group.start_soon(READERS[second], listing, got["second"])
    assert got["first"] == got["second"] == run_ids(TOTAL)
    pages = -(-TOTAL // SIZE)
    assert len(service.queries) == 2 * pages
    assert (listing.stats.pages, listing.stats.items) == (pages, TOTAL)  # one walk's, not both
    assert listing.checkpoint.done


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_stats_and_checkpoint_describe_the_iteration_started_last(concurrency: int) -> None:
    service = NumberedService(TOTAL, base=1)
    first_started, second_done = anyio.Event(), anyio.Event()
    whole: list[str] = []
    part: list[str] = []
    async with connect(interleaving(service)) as client:
        listing = client.runs.list(page_size=SIZE, concurrency=concurrency)

        async def read_all() -> None:
            async for run in listing:
                whole.append(run.id)
                if len(whole) == 1:
                    first_started.set()
                    await second_done.wait()

        async def read_part() -> None:
            await first_started.wait()
            async with aclosing(aiter(listing)) as runs:
                async for run in runs:
                    part.append(run.id)
                    if len(part) == 15:
                        break
            second_done.set()

        async with anyio.create_task_group() as group:
            group.start_soon(read_all)
            group.start_soon(read_part)
    assert whole == run_ids(TOTAL)  # finished last, but started first
    assert part == run_ids(15)
    checkpoint = listing.checkpoint
    assert not checkpoint.done
    assert (checkpoint.page, checkpoint.offset, checkpoint.last_id) == (2, 5, "14")
    assert listing.stats.pages == 2


async def test_decode_into_keeps_the_listing_and_its_options() -> None:
    service = NumberedService(TOTAL, base=1)
    async with connect(service) as client:
        query = client.runs.list(project_id=3, page_size=SIZE).listing.query
        checkpoint = Checkpoint(query=query, page=2, offset=5, last_id="14")
        full = client.runs.list(
            project_id=3, page_size=SIZE, limit=25, concurrency=4, dedupe=True, resume=checkpoint
        )
        slim = full.decode_into(Slim)
        assert slim.listing.options == full.listing.options
        assert slim.listing.request == full.listing.request
        assert slim.listing.query == full.listing.query
        items = await slim.collect()
    assert all(type(item) is Slim for item in items)
    assert [item.id for item in items] == run_ids(25, start=15)
    assert service.pages_asked == ["2", "3", "4"]  # resumed at page 2, cut at the limit
    assert all(
        (q["filter[project_id]"], q["page[size]"]) == ("3", str(SIZE)) for q in service.queries
    )
    assert slim.checkpoint.last_id == "39"


async def test_decode_into_a_model_without_id_refuses_dedupe_before_sending() -> None:
    service = NumberedService(TOTAL)
    async with connect(service) as client:
        listing = client.runs.list(dedupe=True)
        with pytest.raises(TypeError, match="dedupe=True"):
            listing.decode_into(Anonymous)
        anonymous = client.runs.list(page_size=SIZE, limit=12).decode_into(Anonymous)
        assert len(await anonymous.collect()) == 12
        assert anonymous.checkpoint.last_id is None  # resumes by position
    assert len(service.queries) == 2


async def test_a_limit_cuts_the_walk_without_changing_the_listing() -> None:
    service = NumberedService(250, base=1)
    async with connect(service) as client:
        first = client.runs.list(project_id=3, limit=99)
        assert len(await first.collect()) == 99
        assert [q["page[size]"] for q in service.queries] == ["100"]
        checkpoint = first.checkpoint
        assert checkpoint.query == (("filter[project_id]", "3"), ("page[size]", "100"))
        assert (checkpoint.page, checkpoint.offset) == (1, 99)
        rest = await client.runs.list(project_id=3, resume=checkpoint, limit=99).collect()
        assert client.runs.list(project_id=3, limit=10).checkpoint.query == checkpoint.query
    assert [run.id for run in rest] == run_ids(99, start=99)
    assert [q["page[size]"] for q in service.queries] == ["100", "100", "100"]


@pytest.mark.parametrize(
    "saved",
    [
        b"{}",
        b"[1]",
        b"null",
        b"not json",
        b'{"query": [], "offset": -1}',
        b'{"query": [["a"]]}',
        b'{"query": [], "page": 1.5}',
        "{",
    ],
)
def test_a_document_that_is_no_checkpoint_is_a_value_error(saved: bytes | str) -> None:
    with pytest.raises(ValueError, match="not a saved checkpoint") as raised:
        Checkpoint.from_json(saved)
    assert not isinstance(raised.value, msgspec.MsgspecError)


def test_a_checkpoint_refuses_a_negative_offset_and_survives_json() -> None:
    with pytest.raises(ValueError, match="offset must be >= 0"):
        Checkpoint(query=(), offset=-1)
    checkpoint = Checkpoint(query=(("page[size]", "10"),), page="t10", offset=3, last_id="7")
    assert Checkpoint.from_json(checkpoint.to_json()) == checkpoint
    assert Checkpoint.from_json(checkpoint.to_json().decode()) == checkpoint


async def test_a_resume_page_that_is_no_number_is_refused_before_sending() -> None:
    service = NumberedService(TOTAL)
    async with connect(service) as client:
        query = client.runs.list(page_size=SIZE).listing.query
        with pytest.raises(ValueError, match="cannot resume from page 'abc'"):
            client.runs.list(page_size=SIZE, resume=Checkpoint(query=query, page="abc"))
        with pytest.raises(TypeError, match="resume must be a Checkpoint"):
            client.runs.list(resume=query)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="different listing"):
            client.runs.list(page_size=20, resume=Checkpoint(query=query, page=1))
    assert service.queries == []


async def test_get_many_asks_for_pages_of_its_batch_size() -> None:
    queries: list[dict[str, str]] = []

    def batches(request: MockRequest) -> Answer:
        query = dict(request.url.query)
        queries.append(query)
        wanted = [int(i) for i in query["filter[id]"].split(",")]
        return page_answer(0, wanted, total=len(wanted), size=len(wanted))

    async with connect(batches) as client:
        results = [result async for result in client.runs.get_many(range(1, 26), batch_size=10)]
    assert [result.unwrap().id for result in results] == run_ids(25, start=1)
    sizes = sorted((q["page[size]"], len(q["filter[id]"].split(","))) for q in queries)
    assert sizes == [("10", 10), ("10", 10), ("5", 5)]


async def pages_of_no_size(request: MockRequest) -> Answer:
    """Four pages of ten runs whose meta says size 0, with a last number."""
    number = requested_page(request) or 0
    return page_answer(
        number, range(number * SIZE, (number + 1) * SIZE), total=4 * SIZE, size=0, last_number=3
    )


@pytest.mark.parametrize("limit", [None, 25])
async def test_a_page_size_of_zero_under_fan_out_walks_page_by_page(limit: int | None) -> None:
    async with connect(pages_of_no_size) as client:
        runs = await client.runs.list(page_size=SIZE, concurrency=4, limit=limit).collect()
    assert [run.id for run in runs] == run_ids(4 * SIZE if limit is None else limit)


@pytest.mark.parametrize("claimed_total", [10**18, 10**30])
@pytest.mark.parametrize("total", [25, 30])
async def test_a_huge_claimed_total_ends_at_the_short_or_empty_page(
    claimed_total: int, total: int
) -> None:
    service = NumberedService(total, claimed_total=claimed_total)
    async with connect(service) as client:
        with anyio.fail_after(5):
            runs = await client.runs.list(page_size=SIZE, concurrency=4).collect()
    assert [run.id for run in runs] == run_ids(total)
    # The pages up to the first short or empty one, and at most 4 more already in flight.
    assert len(service.queries) <= total // SIZE + 1 + 4
