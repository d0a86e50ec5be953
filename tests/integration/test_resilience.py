"""Retries, the rate-limit gate and what gets logged, over loopback."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
import pytest
from aiohttp import web

from modellab_async import (
    MalformedBodyError,
    ModelLabClient,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    TransportError,
)
from modellab_async.testing import (
    ConnectionReset,
    FakeModelLab,
    Fault,
    ProxyErrorPage,
    RateLimit,
    TooManyRequests,
    TruncatedBody,
)
from modellab_async.testing import (
    ServerError as ServerFault,
)
from tests.integration.conftest import API_KEY, APP_KEY
from tests.reference import server_order
from tests.scripted import ScriptedServer, json_response, run_resource

pytestmark = pytest.mark.anyio

QUICK = RetryPolicy(retries=3, backoff=0.01, max_backoff=0.05)


@pytest.fixture
async def fake() -> AsyncIterator[FakeModelLab]:
    async with FakeModelLab(runs=300, projects=3, seed=21) as fake:
        yield fake


def connect(fake: FakeModelLab, **options: object) -> ModelLabClient:
    options.setdefault("retries", QUICK)
    return ModelLabClient(
        api_key=fake.api_key,
        app_key=fake.app_key,
        base_url=fake.url,
        **options,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    "effect",
    [
        TooManyRequests(retry_after=0),
        ServerFault(status=503),
        ServerFault(status=500),
        ProxyErrorPage(status=502),
        ConnectionReset(),
        TruncatedBody(),
    ],
    ids=lambda effect: type(effect).__name__,
)
async def test_transient_failures_are_retried(fake: FakeModelLab, effect: object) -> None:
    fake.faults.add(Fault(effect, route="get_run", times=2))  # type: ignore[arg-type]
    async with connect(fake) as client:
        run = await client.runs.get(1)
        assert run.id == "1"
        assert client.stats.retries == 2
        assert client.stats.requests == 3


@pytest.mark.parametrize(
    ("effect", "error"),
    [
        (TooManyRequests(retry_after=0), RateLimitError),
        (ProxyErrorPage(status=502), ServerError),
        (ConnectionReset(), TransportError),
        (TruncatedBody(), MalformedBodyError),
    ],
    ids=lambda value: getattr(value, "__name__", type(value).__name__),
)
async def test_exhausted_retries_raise_the_typed_error(
    fake: FakeModelLab, effect: object, error: type[Exception]
) -> None:
    fake.faults.add(Fault(effect, route="get_run"))  # type: ignore[arg-type]
    async with connect(fake) as client:
        with pytest.raises(error):
            await client.runs.get(1)
        assert client.stats.requests == 4  # the first try and three retries


async def test_retries_zero_turns_retrying_off(fake: FakeModelLab) -> None:
    fake.faults.add(Fault(ServerFault(status=503), route="get_run", times=1))
    async with connect(fake, retries=0) as client:
        with pytest.raises(ServerError):
            await client.runs.get(1)
        assert client.stats.retries == 0


async def test_a_wait_longer_than_allowed_is_not_made(fake: FakeModelLab) -> None:
    fake.faults.add(Fault(TooManyRequests(retry_after=60), route="get_run", times=1))
    async with connect(fake, retries=RetryPolicy(max_wait=1.0)) as client:
        with anyio.fail_after(5), pytest.raises(RateLimitError):
            await client.runs.get(1)


async def test_retry_after_is_honoured(scripted: ScriptedServer) -> None:
    answers = [json_response({"errors": ["Too many requests"]}, 429, {"Retry-After": "0.3"})]

    async def handler(request: web.Request) -> web.Response:
        return answers.pop() if answers else json_response({"data": run_resource(1)})

    scripted.handler = handler
    async with ModelLabClient(API_KEY, APP_KEY, base_url=scripted.url, retries=QUICK) as client:
        started = anyio.current_time()
        await client.runs.get(1)
        assert anyio.current_time() - started >= 0.3
        assert client.stats.rate_limited == 1
        assert client.stats.throttled_seconds >= 0.3


async def test_a_delete_whose_answer_was_lost_counts_as_done(fake: FakeModelLab) -> None:
    # The first DELETE deletes the run, but its answer never arrives.
    fake.faults.add(Fault(ConnectionReset(after_bytes=0), route="delete_run", times=1))
    async with connect(fake) as client:
        await client.runs.delete(5)
        with pytest.raises(NotFoundError):
            await client.runs.get(5)
        with pytest.raises(NotFoundError):  # a plain 404, with nothing lost before, is an error
            await client.runs.delete(5)


def delete_answers(first: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Answer the first DELETE as `first` says ("late", or a status), every later one 404."""
    tries = 0

    async def handler(request: web.Request) -> web.StreamResponse:
        nonlocal tries
        tries += 1
        if tries > 1:
            return json_response({"errors": [{"title": "Not Found"}]}, 404)
        if first == "late":  # carried out, perhaps, but the answer comes after the client gave up
            await anyio.sleep(1)
            return web.Response(status=204)
        return json_response({"errors": [{"title": "Server Error"}]}, int(first))

    return handler


@pytest.mark.parametrize("first", ["late", "504"])
async def test_a_delete_answered_404_after_a_try_of_unknown_fate_is_done(
    scripted: ScriptedServer, first: str
) -> None:
    scripted.handler = delete_answers(first)
    async with ModelLabClient(
        API_KEY, APP_KEY, base_url=scripted.url, retries=QUICK, timeout=0.3
    ) as client:
        await client.runs.delete(7)
    assert [seen.method for seen in scripted.seen] == ["DELETE", "DELETE"]


@pytest.mark.parametrize("first", ["500", "503"])
async def test_a_delete_answered_404_after_a_definite_error_is_an_error(
    scripted: ScriptedServer, first: str
) -> None:
    # The service said it failed: a 404 then means the run never existed, not that it went.
    scripted.handler = delete_answers(first)
    async with ModelLabClient(API_KEY, APP_KEY, base_url=scripted.url, retries=QUICK) as client:
        with pytest.raises(NotFoundError):
            await client.runs.delete(7)
    assert [seen.method for seen in scripted.seen] == ["DELETE", "DELETE"]


async def test_pins_and_stars_are_retried(fake: FakeModelLab) -> None:
    fake.faults.add(Fault(ServerFault(status=503), route="/api/v2/model-lab-api/*/*/*", times=2))
    async with connect(fake) as client:
        await client.runs.pin(3)
        await client.projects.star(1)
        assert (await client.runs.get(3)).attributes.is_pinned
        assert (await client.projects.get(1)).attributes.is_starred


async def test_listings_retry_each_page(fake: FakeModelLab) -> None:
    expected = await server_order(fake)
    fake.faults.add(Fault(ProxyErrorPage(), route="list_runs", probability=0.3))
    async with connect(fake, retries=RetryPolicy(retries=8, backoff=0.01)) as client:
        ids = [run.id async for run in client.runs.list(page_size=20, concurrency=4)]
    assert ids == expected


async def test_retries_are_logged_without_keys(
    fake: FakeModelLab, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="modellab_async")
    fake.faults.add(Fault(ServerFault(status=503), route="get_run", times=1))
    async with connect(fake) as client:
        await client.runs.get(1)
    [record] = [r for r in caplog.records if "retry" in r.getMessage()]
    assert "GET /api/v2/model-lab-api/runs/1 failed (ServerError: HTTP 503" in record.getMessage()
    assert "retry 1 of 3" in record.getMessage()
    assert fake.api_key not in caplog.text
    assert fake.app_key not in caplog.text


async def test_the_gate_keeps_a_rate_limited_fetch_free_of_429s() -> None:
    limit = RateLimit(limit=20, period=1.0)
    async with (
        FakeModelLab(runs=120, projects=2, seed=4, rate_limit=limit) as fake,
        connect(fake, retries=RetryPolicy()) as client,
    ):
        with anyio.fail_after(30):
            ids = range(1, 81)
            results = [r async for r in client.runs.get_many(ids, concurrency=16, batch_size=1)]
        assert all(r.ok or isinstance(r.error, NotFoundError) for r in results)
        stats = client.stats
    windows = stats.requests / limit.limit
    assert stats.rate_limited <= windows + 1  # about one per window at most, not a storm
    assert stats.throttled_seconds > 0
