"""The blocking client over loopback: the async surface, in scripts, threads and running loops."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import threading
from pathlib import Path

import msgspec
import pytest
from aiohttp import web

from modellab_async import (
    BasePaginator,
    BlockingBasePaginator,
    BlockingChanges,
    BlockingModelLabClient,
    BlockingPaginator,
    ClientStateError,
    ConfigurationError,
    NotFoundError,
    Paginator,
    ServerError,
)
from modellab_async.pai._blocking import BlockingPAIExperiments, BlockingPAIRuns
from modellab_async.pai._resources import PAIExperiments, PAIRuns
from modellab_async.resources import Artifacts, Projects, Runs
from modellab_async.resources._blocking import BlockingArtifacts, BlockingProjects, BlockingRuns
from modellab_async.testing import FakeModelLab, Fault, MockRequest, MockTransport, TooManyRequests
from tests.blocking.conftest import RUNS, eventually, our_threads
from tests.scripted import API, Listing, ScriptedServer, json_response

CONTENT = bytes(range(256)) * 4096  # 1 MiB, several chunks


def public_methods(cls: type) -> set[str]:
    """The public methods of `cls`, those it inherits included (`deleted` comes from a base)."""
    return {name for name in dir(cls) if name[0] != "_" and callable(getattr(cls, name))}


@pytest.mark.parametrize(
    ("async_class", "blocking_class"),
    [
        (Runs, BlockingRuns),
        (Projects, BlockingProjects),
        (Artifacts, BlockingArtifacts),
        (PAIRuns, BlockingPAIRuns),
        (PAIExperiments, BlockingPAIExperiments),
    ],
)
def test_every_async_method_has_a_blocking_twin_with_its_parameters(
    async_class: type, blocking_class: type
) -> None:
    assert public_methods(blocking_class) == public_methods(async_class)
    for name in public_methods(async_class):
        async_parameters = inspect.signature(getattr(async_class, name)).parameters
        assert inspect.signature(getattr(blocking_class, name)).parameters == async_parameters


@pytest.mark.parametrize(
    ("async_class", "blocking_class"),
    [(BasePaginator, BlockingBasePaginator), (Paginator, BlockingPaginator)],
)
def test_paginators_offer_what_the_async_ones_do(async_class: type, blocking_class: type) -> None:
    def surface(cls: type) -> set[str]:
        iterable = "__aiter__" in dir(cls) or "__iter__" in dir(cls)
        return {name for name in dir(cls) if not name.startswith("_")} | {f"iterable: {iterable}"}

    assert surface(async_class) <= surface(blocking_class)


def test_the_client_takes_the_async_clients_arguments() -> None:
    async_parameters = inspect.signature(BlockingModelLabClient.__init__).parameters
    assert list(inspect.signature(BlockingModelLabClient).parameters) == list(async_parameters)[1:]


def test_a_listing_gives_the_servers_runs_in_order(
    client: BlockingModelLabClient, listed: list[str]
) -> None:
    expected = listed
    assert len(expected) > 200
    assert [run.id for run in client.runs.list(page_size=30)] == expected
    assert [run.id for run in client.runs.list(page_size=30, concurrency=4)] == expected
    assert [run.id for run in client.runs.list().collect()] == expected
    pages = list(client.runs.list(page_size=100, limit=230).pages())
    assert [len(page.items) for page in pages] == [100, 100, 30]
    assert [run.id for page in pages for run in page.items] == expected[:230]


def test_a_listing_resumes_where_a_loop_broke_off(
    client: BlockingModelLabClient, listed: list[str]
) -> None:
    runs = client.runs.list(page_size=20)
    done = []
    for run in runs:
        done.append(run.id)
        if len(done) == 37:
            break
    assert runs.stats.items >= 37
    done += [run.id for run in client.runs.list(page_size=20, resume=runs.checkpoint)]
    assert done == listed


def test_an_error_surfaces_in_order_with_its_checkpoint(scripted: ScriptedServer) -> None:
    scripted.handler = Listing(100).failing_on(3)
    ids: list[str] = []
    with BlockingModelLabClient("k", "a", base_url=scripted.url, retries=0) as client:
        runs = client.runs.list(page_size=10)
        with pytest.raises(ServerError, match="boom") as caught:  # noqa: PT012
            for run in runs:
                ids.append(run.id)  # noqa: PERF401  # keep what came before the error
    assert ids == [str(i) for i in range(1, 31)]
    checkpoint = caught.value.checkpoint
    assert checkpoint is not None
    assert (checkpoint.page, checkpoint.offset, checkpoint.last_id) == (2, 10, "30")
    assert checkpoint == runs.checkpoint


def test_single_resources_commands_and_frames(
    client: BlockingModelLabClient, fake: FakeModelLab
) -> None:
    run = client.runs.get(42)
    assert run.id == "42"
    with pytest.raises(NotFoundError):
        client.runs.get(RUNS * 10)
    project = client.projects.get(run.attributes.project_id)
    assert client.projects.star(project.id) is None
    assert client.runs.pin(run.id) is None
    assert client.runs.facet_keys(project.id) == client.runs.facet_keys(project.id)

    class Slim(msgspec.Struct):
        id: str

    class Kept(msgspec.Struct):
        id: str
        attributes: msgspec.Raw

    slim = client.runs.list(limit=5).decode_into(Slim).collect()
    assert slim == [Slim(run.id) for run in client.runs.list(limit=5)]
    changes = client.runs.list(project_id=project.id).changes(since=None)
    changed = changes.collect()
    assert changes.since is None
    assert changes.watermark == max(run.attributes.updated_at for run in changed)
    again = client.runs.list(project_id=project.id).changes(changes.watermark).decode_into(Kept)
    assert isinstance(again, BlockingChanges)
    assert again.since == changes.watermark
    assert {run.id for run in again} <= {run.id for run in changed}
    assert again.watermark == changes.watermark
    gone = client.runs.list(limit=1).collect()[0].id
    client.runs.delete(gone)
    assert client.runs.deleted([gone, run.id]) == [gone]
    assert client.projects.deleted([project.id]) == []
    frame = client.runs.list(limit=120).to_polars()
    assert frame.height == 120
    assert frame["id"].to_list() == [run.id for run in client.runs.list(limit=120)]
    assert len(client.projects.list().to_pandas()) == 3


def test_get_many_gives_one_result_per_id_in_order(client: BlockingModelLabClient) -> None:
    ids = [*range(1, 151), RUNS * 10, 7]
    results = list(client.runs.get_many(ids, concurrency=4, batch_size=20))
    assert [result.id for result in results] == [str(i) for i in ids]
    assert [result.ok for result in results] == [True] * 150 + [False, True]
    assert isinstance(results[150].error, NotFoundError)
    assert results[0].unwrap().id == "1"


def test_retries_and_the_gate_work_as_in_the_async_client(
    client: BlockingModelLabClient, fake: FakeModelLab, listed: list[str]
) -> None:
    fake.faults.add(Fault(TooManyRequests(retry_after=0), route="list_runs", times=2))
    assert [run.id for run in client.runs.list(page_size=50).collect()] == listed
    assert client.stats.retries == 2
    assert client.stats.rate_limited == 2


def test_the_next_page_is_fetched_while_the_caller_works(
    client: BlockingModelLabClient, fake: FakeModelLab, listed: list[str]
) -> None:
    def list_requests() -> int:
        return sum(1 for request in fake.requests if request.path == f"{API}/runs")

    before = list_requests()
    runs = iter(client.runs.list(page_size=10, concurrency=1))
    next(runs)
    # The caller has not asked for anything more, yet page 2 is on its way.
    assert eventually(lambda: list_requests() == before + 2)
    assert [run.id for run in runs] == listed[1:]


async def serve_content(request: web.Request) -> web.StreamResponse:
    if request.query["artifact_path"].endswith("missing.bin"):
        return json_response({"errors": [{"title": "Generic Error", "detail": "not found"}]}, 404)
    return web.Response(body=CONTENT, content_type="application/octet-stream")


def test_artifacts_read_stream_and_download(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.handler = serve_content
    with BlockingModelLabClient("k", "a", base_url=scripted.url, retries=0) as client:
        assert client.artifacts.read(1, "runs/42/model.pt") == CONTENT
        chunks = list(client.artifacts.stream(1, "runs/42/model.pt"))
        assert len(chunks) > 1
        assert b"".join(chunks) == CONTENT
        with pytest.raises(NotFoundError, match="not found"):
            list(client.artifacts.stream(1, "runs/42/missing.bin"))
        written = client.artifacts.download(1, "runs/42/model.pt", tmp_path)
    assert written == tmp_path / "model.pt"
    assert hashlib.sha256(written.read_bytes()).digest() == hashlib.sha256(CONTENT).digest()


def test_it_works_inside_a_running_event_loop(fake: FakeModelLab, listed: list[str]) -> None:
    # A notebook cell runs inside the kernel's loop: blocking calls must not need it.
    async def cell() -> list[str]:
        with BlockingModelLabClient(fake.api_key, fake.app_key, base_url=fake.url) as client:
            return [run.id for run in client.runs.list(limit=150, page_size=50)]

    assert asyncio.run(cell()) == listed[:150]


def test_threads_share_one_client(client: BlockingModelLabClient) -> None:
    expected = [run.id for run in client.runs.list()]
    found: list[list[str]] = []

    def read() -> None:
        found.append([run.id for run in client.runs.list(page_size=25)])

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert found == [expected] * 4


def test_closing_stops_the_thread_and_the_client(fake: FakeModelLab) -> None:
    client = BlockingModelLabClient(fake.api_key, fake.app_key, base_url=fake.url)
    assert len(our_threads()) == 1
    runs = iter(client.runs.list(page_size=10))
    next(runs)
    client.close()
    assert not our_threads()
    assert "closed" in repr(client)
    with pytest.raises(ClientStateError, match="BlockingModelLabClient is closed"):
        list(runs)  # the rest of the first page, then no second one
    with pytest.raises(ClientStateError, match="closed"):
        client.runs.get(1)
    client.close()


def test_a_configuration_error_starts_no_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DD_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="DD_API_KEY"):
        BlockingModelLabClient(app_key="a")


def test_a_blocking_call_from_the_clients_own_loop_is_refused() -> None:
    def handler(request: MockRequest) -> tuple[int, dict[str, str], bytes]:
        client.runs.get(2)  # runs on the client's loop, which would wait for itself
        raise AssertionError("unreachable")

    client = BlockingModelLabClient("k", "a", transport=MockTransport(handler), retries=0)
    with client, pytest.raises(ClientStateError, match="own event loop"):
        client.runs.get(1)
