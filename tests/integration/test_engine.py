"""The pagination engine over loopback: fan-out, prefetch, resume, drift, bulk fetch, cancellation."""

from __future__ import annotations

import asyncio
import math
import queue
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing, contextmanager

import anyio
import msgspec
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modellab_async import Checkpoint, ModelLabClient, NotFoundError, Run, ServerError
from modellab_async.testing import FakeModelLab, Fault, Latency, PageDrift
from tests.reference import server_order
from tests.scripted import API, Listing, ScriptedServer, json_response, run_resource

pytestmark = pytest.mark.anyio


def client_tasks() -> set[asyncio.Task[object]]:
    """The tasks on this loop, but for the servers' own request handlers."""
    return {
        task
        for task in asyncio.all_tasks()
        if not task.get_coro().__qualname__.startswith("RequestHandler")  # type: ignore[union-attr]
    }


def connect(fake: FakeModelLab) -> ModelLabClient:
    return ModelLabClient(api_key=fake.api_key, app_key=fake.app_key, base_url=fake.url)


def list_requests(fake: FakeModelLab) -> int:
    return sum(1 for r in fake.requests if r.path == f"{API}/runs")


@pytest.mark.timeout(300)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    total=st.integers(0, 5000),
    size=st.integers(1, 100),
    concurrency=st.integers(1, 32),
    limit=st.none() | st.integers(0, 6000),
    start=st.none() | st.integers(0, 60),
    jitter=st.booleans(),
)
async def test_items_are_the_servers_in_order_each_once(
    total: int, size: int, concurrency: int, limit: int | None, start: int | None, jitter: bool
) -> None:
    with anyio.fail_after(60):
        async with FakeModelLab(runs=total, projects=3, seed=total) as fake:
            expected = await server_order(fake)
            if jitter:  # pages then complete out of order
                fake.faults.add(Fault(Latency(0.0, jitter=0.01), route="list_runs"))
            fake.requests.clear()
            async with connect(fake) as client:
                listing = client.runs.list(
                    page_size=size, concurrency=concurrency, limit=limit, start_page=start
                )
                ids = [run.id async for run in listing]
    expected = expected[(start or 0) * size :][:limit]
    assert ids == expected
    if limit != 0:
        pages = math.ceil(len(expected) / size)
        assert list_requests(fake) == max(1, pages)  # never a page past the end


@pytest.fixture
async def fake() -> AsyncIterator[FakeModelLab]:
    async with FakeModelLab(runs=1000, projects=4, seed=11) as fake:
        yield fake


@pytest.fixture
async def fake_client(fake: FakeModelLab) -> AsyncIterator[ModelLabClient]:
    async with connect(fake) as client:
        yield client


class Gauge:
    """Count requests in flight on a scripted server, holding each for `delay` seconds."""

    def __init__(self, listing: Listing, delay: float = 0.02) -> None:
        self.listing = listing
        self.delay = delay
        self.current = 0
        self.peak = 0

    async def handler(self, request: web.Request) -> web.Response:
        self.current += 1
        self.peak = max(self.peak, self.current)
        try:
            await asyncio.sleep(self.delay)
            return await self.listing.handler(request)
        finally:
            self.current -= 1


@pytest.mark.parametrize("concurrency", [1, 2, 5, 16])
async def test_at_most_concurrency_requests_are_in_flight(
    scripted: ScriptedServer, client: ModelLabClient, concurrency: int
) -> None:
    gauge = Gauge(Listing(400, default_size=10))
    scripted.handler = gauge.handler
    ids = [run.id async for run in client.runs.list(page_size=10, concurrency=concurrency)]
    assert ids == [str(i) for i in range(1, 401)]
    # Sequential walks still fetch one page ahead of the caller.
    assert gauge.peak == (max(1, concurrency))
    assert len(scripted.seen) == 40


async def test_the_first_item_needs_only_the_first_page(
    scripted: ScriptedServer, client: ModelLabClient
) -> None:
    listing = Listing(100)
    release = anyio.Event()

    async def hold_later_pages(request: web.Request) -> web.Response:
        if "page[number]" in request.query:
            await release.wait()
        return await listing.handler(request)

    scripted.handler = hold_later_pages
    with anyio.fail_after(5):
        async with aclosing(aiter(client.runs.list(page_size=10, concurrency=8))) as runs:
            first = await anext(runs)
            assert first.id == "1"
            release.set()
            assert len([run async for run in runs]) == 99


@contextmanager
def fake_in_a_thread(runs: int) -> Iterator[FakeModelLab]:
    """Run a FakeModelLab on a loop of its own, so it answers while the test's loop is blocked."""
    started: queue.Queue[FakeModelLab | BaseException] = queue.Queue()
    stop = threading.Event()

    async def serve() -> None:
        try:
            fake = FakeModelLab(runs=runs, projects=1, seed=1)
            await fake.start()
        except BaseException as exc:
            started.put(exc)
            raise
        started.put(fake)
        while not stop.is_set():  # noqa: ASYNC110  # stopped from the other thread
            await asyncio.sleep(0.01)
        await fake.close()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    fake = started.get(timeout=30)
    if isinstance(fake, BaseException):
        raise fake
    try:
        yield fake
    finally:
        stop.set()
        thread.join(timeout=10)


@pytest.mark.parametrize("concurrency", [1, None])
async def test_pages_ahead_are_requested_while_the_caller_computes(
    concurrency: int | None,
) -> None:
    # The caller blocks its loop (as CPU work would) on the first item; the next
    # page's request must have left already, or the server never sees it.
    with fake_in_a_thread(runs=30) as fake, anyio.fail_after(20):
        async with connect(fake) as client:
            runs = client.runs.list(page_size=10, concurrency=concurrency)
            async with aclosing(aiter(runs)) as items:
                await anext(items)
                deadline = time.monotonic() + 5
                while list_requests(fake) < 2 and time.monotonic() < deadline:
                    time.sleep(0.01)  # noqa: ASYNC251  # blocking on purpose
                assert list_requests(fake) >= 2
                assert len([run async for run in items]) == 29


async def test_breaking_out_cancels_in_flight_requests_and_leaves_no_task(
    scripted: ScriptedServer, client: ModelLabClient
) -> None:
    listing = Listing(1000)
    held: list[web.Request] = []
    all_held = anyio.Event()

    async def hang(request: web.Request) -> web.Response:
        if "page[number]" in request.query:
            held.append(request)
            if len(held) == 8:
                all_held.set()
            await asyncio.sleep(30)
        return await listing.handler(request)

    scripted.handler = hang
    before = client_tasks()
    with anyio.fail_after(5):
        async with aclosing(aiter(client.runs.list(page_size=10, concurrency=8))) as runs:
            async for _ in runs:
                await all_held.wait()
                break
        started = anyio.current_time()
        # The server learns of the cancelled requests only as their connections close.
        while any(r.transport is not None and not r.transport.is_closing() for r in held):  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        assert anyio.current_time() - started < 0.1
    assert client_tasks() - before == set()


async def test_cancelling_the_consumer_cancels_everything(
    scripted: ScriptedServer, client: ModelLabClient
) -> None:
    listing = Listing(1000)

    async def slow(request: web.Request) -> web.Response:
        if "page[number]" in request.query:
            await asyncio.sleep(30)
        return await listing.handler(request)

    scripted.handler = slow
    before = client_tasks()
    with anyio.move_on_after(0.2) as scope:
        await client.runs.list(page_size=10, concurrency=4).collect()
    assert scope.cancelled_caught
    await asyncio.sleep(0)
    assert client_tasks() - before == set()


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_an_error_surfaces_once_in_order_with_a_checkpoint(
    scripted: ScriptedServer, client: ModelLabClient, concurrency: int
) -> None:
    scripted.handler = Listing(100).failing_on(3)
    ids: list[str] = []
    runs = client.runs.list(page_size=10, concurrency=concurrency)
    with pytest.raises(ServerError, match="boom") as caught:  # noqa: PT012
        async for run in runs:
            ids.append(run.id)  # noqa: PERF401  # keep what came before the error
    assert ids == [str(i) for i in range(1, 31)]
    checkpoint = caught.value.checkpoint
    assert checkpoint is not None
    assert (checkpoint.page, checkpoint.offset, checkpoint.last_id) == (2, 10, "30")
    assert checkpoint == runs.checkpoint


@settings(max_examples=20, deadline=None)
@given(
    stop_at=st.integers(0, 260), concurrency=st.sampled_from([1, 3]), size=st.sampled_from([7, 50])
)
async def test_a_killed_pipeline_resumes_losing_and_repeating_nothing(
    stop_at: int, concurrency: int, size: int
) -> None:
    async with FakeModelLab(runs=250, projects=2, seed=5) as fake:
        expected = await server_order(fake, sort="name")
        async with connect(fake) as client:
            done: list[str] = []
            saved = client.runs.list(sort="name", page_size=size).checkpoint.to_json()
            runs = client.runs.list(sort="name", page_size=size, concurrency=concurrency)
            async with aclosing(aiter(runs)) as items:
                async for run in items:
                    if len(done) == stop_at:
                        break  # killed while working on this run: it is not done
                    done.append(run.id)
                    saved = runs.checkpoint.to_json()
            resumed = client.runs.list(
                sort="name",
                page_size=size,
                concurrency=concurrency,
                resume=Checkpoint.from_json(saved),
            )
            done += [run.id async for run in resumed]
            assert resumed.checkpoint.done
            assert [
                run.id
                async for run in client.runs.list(
                    sort="name", page_size=size, resume=resumed.checkpoint
                )
            ] == []
    assert done == expected


async def test_a_checkpoint_of_another_listing_is_refused(fake_client: ModelLabClient) -> None:
    checkpoint = fake_client.runs.list(status="completed").checkpoint
    with pytest.raises(ValueError, match="different listing"):
        fake_client.runs.list(status="failed", resume=checkpoint)
    with pytest.raises(ValueError, match="different listing"):
        fake_client.runs.list(status="completed", page_size=10, resume=checkpoint)


async def test_a_resumed_listing_finds_its_place_when_items_moved(
    fake: FakeModelLab, fake_client: ModelLabClient
) -> None:
    runs = fake_client.runs.list(page_size=10)
    async with aclosing(aiter(runs)) as items:
        async for run in items:
            if run.id == (await server_order(fake))[14]:
                break
    checkpoint = runs.checkpoint
    fake.faults.add(Fault(PageDrift(runs=3), route="list_runs", times=1))  # three new runs on top
    rest = [run.id async for run in fake_client.runs.list(page_size=10, resume=checkpoint)]
    assert rest == (await server_order(fake))[18:]


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_dedupe_skips_runs_shifted_by_drift_and_counts_it(
    fake: FakeModelLab, fake_client: ModelLabClient, concurrency: int
) -> None:
    fake.faults.add(Fault(PageDrift(runs=2), route="list_runs", skip=1, times=5))
    runs = fake_client.runs.list(page_size=50, dedupe=True, concurrency=concurrency)
    ids = [run.id async for run in runs]
    assert len(ids) == len(set(ids))
    assert runs.stats.duplicates_skipped > 0
    assert runs.stats.total_changes > 0
    assert runs.stats.first_total is not None
    assert runs.stats.last_total == runs.stats.first_total + 10
    assert set(ids) <= set(await server_order(fake))


async def test_without_dedupe_drift_repeats_runs(
    fake: FakeModelLab, fake_client: ModelLabClient
) -> None:
    fake.faults.add(Fault(PageDrift(runs=2), route="list_runs", skip=1, times=3))
    runs = fake_client.runs.list(page_size=50)
    ids = [run.id async for run in runs]
    assert len(ids) > len(set(ids))
    assert runs.stats.duplicates_skipped == 0
    assert runs.stats.possibly_missed == 0


async def test_pages_are_cut_to_the_limit_under_fan_out(
    fake: FakeModelLab, fake_client: ModelLabClient
) -> None:
    pages = [
        page
        async for page in fake_client.projects.list(page_size=2, limit=3, concurrency=2).pages()
    ]
    assert [len(page.items) for page in pages] == [2, 1]


@pytest.mark.parametrize("ordered", [True, False])
async def test_get_many_batches_ids_and_reports_each_missing_one(
    fake: FakeModelLab, fake_client: ModelLabClient, ordered: bool
) -> None:
    existing = (await server_order(fake))[:250]
    ids = [*existing[:120], "999999", *existing[120:], "888888", existing[0]]
    fake.requests.clear()
    results = [r async for r in fake_client.runs.get_many(ids, concurrency=4, ordered=ordered)]
    if ordered:
        assert [r.id for r in results] == ids
    else:
        assert sorted(r.id for r in results) == sorted(ids)
    by_id = {r.id: r for r in results}
    assert all(by_id[i].unwrap().id == i for i in existing)
    for missing in ("999999", "888888"):
        assert isinstance(by_id[missing].error, NotFoundError)
        assert not by_id[missing].ok
        with pytest.raises(NotFoundError):
            by_id[missing].unwrap()
    batches = [r for r in fake.requests if r.path == f"{API}/runs"]
    singles = [r for r in fake.requests if r.path.startswith(f"{API}/runs/")]
    assert len(batches) == 3
    assert sorted(r.path.rsplit("/", 1)[1] for r in singles) == ["888888", "999999"]


async def test_get_many_keeps_within_its_concurrency(
    scripted: ScriptedServer, client: ModelLabClient
) -> None:
    in_flight = peak = 0

    async def single(request: web.Request) -> web.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            await asyncio.sleep(0.01)
            if request.path == f"{API}/runs":
                return json_response(
                    {"data": [], "meta": {"page": {"number": 0, "size": 100, "total": 0}}}
                )
            return json_response({"data": run_resource(int(request.path.rsplit("/", 1)[1]))})
        finally:
            in_flight -= 1

    scripted.handler = single
    results = [r async for r in client.runs.get_many(range(1, 301), concurrency=7)]
    assert [r.unwrap().id for r in results] == [str(i) for i in range(1, 301)]
    assert peak == 7


async def test_get_many_reports_a_failed_batch_for_each_of_its_ids(
    scripted: ScriptedServer, client: ModelLabClient
) -> None:
    scripted.handler = lambda request: _async(json_response({"errors": ["down"]}, 503))
    results = [r async for r in client.runs.get_many([1, 2, 3])]
    assert [(r.id, type(r.error)) for r in results] == [(str(i), ServerError) for i in (1, 2, 3)]
    assert len(scripted.seen) == 1


async def test_projects_get_many(fake: FakeModelLab, fake_client: ModelLabClient) -> None:
    results = [r async for r in fake_client.projects.get_many([1, 2, 77], ordered=False)]
    assert sorted((r.id, r.ok) for r in results) == [("1", True), ("2", True), ("77", False)]


async def test_get_many_checks_arguments_before_sending(fake_client: ModelLabClient) -> None:
    with pytest.raises(ValueError, match="ids must be a positive integer"):
        fake_client.runs.get_many([1, "x"])
    with pytest.raises(TypeError, match="single string"):
        fake_client.runs.get_many("12")
    with pytest.raises(ValueError, match="concurrency"):
        fake_client.projects.get_many([1], concurrency=0)


async def test_breaking_out_of_get_many_leaves_no_task(fake_client: ModelLabClient) -> None:
    before = client_tasks()
    async with aclosing(fake_client.runs.get_many(range(1, 2000), concurrency=8)) as results:
        async for _ in results:
            break
    assert client_tasks() - before == set()


async def _async(response: web.Response) -> web.Response:
    return response


class RunSummary(msgspec.Struct):
    name: str
    status: str


class SlimRun(msgspec.Struct):
    id: str
    attributes: RunSummary


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_items_can_be_decoded_into_a_slim_model(
    fake: FakeModelLab, fake_client: ModelLabClient, concurrency: int
) -> None:
    full = await fake_client.runs.list(status="completed").collect()
    listing = fake_client.runs.list(status="completed", page_size=30, concurrency=concurrency)
    slim = await listing.decode_into(SlimRun).collect()
    assert all(type(run) is SlimRun for run in slim)
    assert [(run.id, run.attributes.name) for run in slim] == [
        (run.id, run.attributes.name) for run in full
    ]
    assert {run.attributes.status for run in slim} == {"completed"}


async def test_a_slim_listing_keeps_its_checkpoint_and_options(fake_client: ModelLabClient) -> None:
    runs = fake_client.runs.list(sort="name", page_size=10, limit=25).decode_into(SlimRun)
    first = [run.id async for run in runs]
    assert len(first) == 25
    rest = fake_client.runs.list(sort="name", page_size=10, resume=runs.checkpoint)
    full = await fake_client.runs.list(sort="name", page_size=10).collect()
    assert first + [run.id async for run in rest] == [run.id for run in full]


class Anonymous(msgspec.Struct):
    attributes: RunSummary


async def test_a_model_without_id_lists_and_resumes_by_position(
    fake_client: ModelLabClient,
) -> None:
    runs = fake_client.runs.list(sort="name", page_size=10, limit=25).decode_into(Anonymous)
    first = [run.attributes.name async for run in runs]
    assert len(first) == 25
    assert runs.checkpoint.last_id is None
    assert runs.checkpoint.offset == 5
    rest = fake_client.runs.list(sort="name", page_size=10, resume=runs.checkpoint)
    full = await fake_client.runs.list(sort="name", page_size=10).collect()
    assert first + [run.attributes.name async for run in rest] == [
        run.attributes.name for run in full
    ]


async def test_dedupe_needs_a_model_with_an_id(fake_client: ModelLabClient) -> None:
    with pytest.raises(TypeError, match="dedupe=True tells items apart by `id`"):
        fake_client.runs.list(dedupe=True).decode_into(Anonymous)
    fake_client.runs.list(dedupe=True).decode_into(SlimRun)
    fake_client.runs.list(dedupe=True).decode_into(msgspec.Raw)


async def test_raw_items_are_the_services_json_untouched(
    fake: FakeModelLab, fake_client: ModelLabClient
) -> None:
    full = await fake_client.runs.list(page_size=25).collect()
    runs = fake_client.runs.list(page_size=25, limit=60, dedupe=True).decode_into(msgspec.Raw)
    raw = [item async for item in runs]
    assert all(type(item) is msgspec.Raw for item in raw)
    assert [msgspec.json.decode(item, type=Run) for item in raw] == full[:60]
    assert runs.checkpoint.last_id == full[59].id
    assert runs.stats.duplicates_skipped == 0


def test_the_decoder_of_a_model_is_built_once() -> None:
    from modellab_async.resources._paginator import page_decoder  # noqa: PLC0415

    assert page_decoder(SlimRun) is page_decoder(SlimRun)
