"""OpenTelemetry spans over a real fake server, read back from the SDK's in-memory exporter."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from modellab_async import ModelLabClient, NotFoundError, RetryPolicy, otel
from modellab_async.testing import ArtifactFile, FakeModelLab, Fault, ServerError
from tests.scripted import run_resource
from tests.unit.mock_service import Scripted, json_answer
from tests.unit.mock_service import connect as mock_client

pytestmark = pytest.mark.anyio

QUICK = RetryPolicy(retries=3, backoff=0.01, max_backoff=0.05)
RUNS = "/api/v2/model-lab-api/runs"


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    yield exporter
    exporter.shutdown()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


@pytest.fixture
async def fake() -> AsyncIterator[FakeModelLab]:
    async with FakeModelLab(runs=230, projects=2, seed=5) as fake:
        yield fake


def connect(fake: FakeModelLab, provider: TracerProvider) -> ModelLabClient:
    return ModelLabClient(
        api_key=fake.api_key,
        app_key=fake.app_key,
        base_url=fake.url,
        retries=QUICK,
        hooks=otel.hooks(provider),
    )


def children(spans: list[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    assert parent.context is not None
    return [s for s in spans if s.parent is not None and s.parent.span_id == parent.context.span_id]


def attributes(span: ReadableSpan) -> Mapping[str, Any]:
    assert span.attributes is not None
    return span.attributes


def named(spans: list[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == name]


async def test_a_listing_with_a_retry_is_one_tree_of_spans(
    fake: FakeModelLab, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    # The third page request (page 2, fetched ahead by a job of the client) fails once.
    fake.faults.add(Fault(ServerError(status=503), route="list_runs", skip=2, times=1))
    tracer = provider.get_tracer("the application")
    async with connect(fake, provider) as client:
        with tracer.start_as_current_span("nightly sync") as sync:
            count = 0
            async for _ in client.runs.list(page_size=50):
                count += 1
                # The walk is never current in the caller's loop: its own spans stay its own.
                assert trace.get_current_span() is sync
    assert count > 200  # the fake's runs: five pages
    spans = list(exporter.get_finished_spans())
    (root,) = named(spans, "nightly sync")
    (listing,) = named(spans, "modellab.listing")
    assert children(spans, root) == [listing]
    pages = children(spans, listing)
    assert sorted(attributes(span)["modellab.page.index"] for span in pages) == [1, 2, 3, 4, 5]
    assert all(span.name == "modellab.page" for span in pages)
    (retried,) = [span for span in pages if attributes(span)["modellab.retries"] == 1]
    assert attributes(retried)["modellab.page.index"] == 3
    assert attributes(retried)["modellab.page.paging"] == "page[number]=2&page[size]=50"
    assert attributes(retried)["http.response.status_code"] == 200
    (wait,) = children(spans, retried)
    assert wait.name == "modellab.retry_wait"
    assert attributes(wait)["modellab.retry.attempt"] == 2
    assert attributes(wait)["modellab.retry.delay_seconds"] > 0
    assert attributes(listing)["modellab.pages"] == 5
    assert attributes(listing)["modellab.retries"] == 1
    assert attributes(listing)["modellab.operation"] == f"GET {RUNS}"
    assert all(span.status.status_code is StatusCode.UNSET for span in spans)
    assert len(spans) == 1 + 1 + 5 + 1


async def test_no_span_holds_a_key_a_query_or_a_url(
    fake: FakeModelLab, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    run = fake.dataset.runs[0]
    run.artifacts.append(ArtifactFile("private-notes.txt", 5, run.updated_at, content=b"hello"))
    async with connect(fake, provider) as client:
        await client.runs.list(project_id=1, query="private words", limit=10).collect()
        await client.runs.get(3)
        notes = await client.artifacts.read(run.project_id, f"runs/{run.id}/private-notes.txt")
    assert notes == b"hello"
    spans = exporter.get_finished_spans()
    assert {span.name for span in spans} == {
        "modellab.listing",
        "modellab.page",
        "modellab.request",
        "modellab.download",
    }
    shown = " ".join(span.to_json() for span in spans)
    for leak in (fake.api_key, fake.app_key, "private", "filter", str(fake.url)):
        assert leak not in shown


async def test_a_failed_get_is_an_error_span(
    fake: FakeModelLab, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    async with connect(fake, provider) as client:
        with pytest.raises(NotFoundError):
            await client.runs.get(999_999)
    (span,) = exporter.get_finished_spans()
    assert span.name == "modellab.request"
    assert attributes(span)["modellab.operation"] == f"GET {RUNS}/999999"
    assert attributes(span)["http.response.status_code"] == 404
    assert span.status.status_code is StatusCode.ERROR
    assert [event.name for event in span.events] == ["exception"]


async def test_a_listing_left_early_ends_its_spans_without_error(
    fake: FakeModelLab, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    async with connect(fake, provider) as client:
        async for _ in client.runs.list(page_size=10, concurrency=4):
            break
    spans = exporter.get_finished_spans()
    (listing,) = named(list(spans), "modellab.listing")
    assert named(list(spans), "modellab.page")  # the first page, and those fetched ahead
    assert all(span.status.status_code is StatusCode.UNSET for span in spans)
    assert listing.end_time is not None


async def test_a_429_counts_as_a_retry_and_as_time_throttled(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    too_many = json_answer({"errors": ["slow down"]}, 429, {"Retry-After": "0.02"})
    script = Scripted([too_many, json_answer({"data": run_resource(1)})])
    async with mock_client(script, hooks=otel.hooks(provider)) as client:
        await client.runs.get(1)
        throttled = client.stats.throttled_seconds
    wait, request = exporter.get_finished_spans()
    assert (wait.name, request.name) == ("modellab.retry_wait", "modellab.request")
    assert attributes(request)["modellab.retries"] == 1
    assert attributes(request)["modellab.throttled_seconds"] == throttled >= 0.02
    assert attributes(request)["http.response.status_code"] == 200


def test_importing_the_package_does_not_import_opentelemetry() -> None:
    code = "import sys, modellab_async; assert 'opentelemetry' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
