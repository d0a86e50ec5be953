"""Soak tests, marked slow (`nox -s soak`): a million runs through faults, and the rate gate.

A FakeModelLab would have to generate and index a million runs first (100,000
take 3.4 s and 200 MB here, so a million would take about 35 s and 2 GB): the
soak listing is served instead by `PageRenderer`, which renders each page from
its number and injects the fake's faults itself, so the server holds nothing
and any growth in memory is the client's.
"""

from __future__ import annotations

import math
import random
import resource
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import anyio
import msgspec
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from modellab_async import ModelLabClient, RetryPolicy
from modellab_async.testing import FakeModelLab, RateLimit
from tests.resilience.support import API_KEY, APP_KEY
from tests.scripted import API, run_resource

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

TOTAL = 1_000_000
PAGE_SIZE = 100
FAULT_RATE = 0.06  # a fault on about one request in 17
WARM_UP = 100_000  # items before memory is expected to stay flat
MAX_GROWTH_MB = 32.0
HTML_502 = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


def rss_mb() -> float:
    """The process's peak resident memory so far, in MB (ru_maxrss is in kB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class PageRenderer:
    """Serve runs 1..total in pages rendered from their number, with seeded faults."""

    total: int
    rng: random.Random
    requests: int = 0
    faults: Counter[str] = field(default_factory=Counter)

    def page(self, number: int, size: int) -> bytes:
        start = number * size
        ids = range(start + 1, min(start + size, self.total) + 1)
        last = math.ceil(self.total / size) - 1
        info: dict[str, Any] = {
            "number": number,
            "size": size,
            "total": self.total,
            "first_number": 0,
            "last_number": last,
            "next_number": number + 1 if number < last else None,
        }
        document = {"data": [run_resource(i) for i in ids], "meta": {"page": info}}
        return msgspec.json.encode(document)

    async def handler(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        number = int(request.query.get("page[number]", "0"))
        body = self.page(number, int(request.query["page[size]"]))
        kind = self.rng.choice(FAULT_KINDS) if self.rng.random() < FAULT_RATE else None
        if kind is None:
            return web.Response(body=body, content_type="application/json")
        self.faults[kind] += 1
        return await FAULTS[kind](request, body)


async def too_many(request: web.Request, body: bytes) -> web.StreamResponse:
    return web.json_response(
        {"errors": ["Too many requests"]}, status=429, headers={"Retry-After": "0"}
    )


async def server_error(request: web.Request, body: bytes) -> web.StreamResponse:
    return web.json_response({"errors": [{"status": "503", "title": "Unavailable"}]}, status=503)


async def proxy_page(request: web.Request, body: bytes) -> web.StreamResponse:
    return web.Response(body=HTML_502, status=502, content_type="text/html")


async def truncated(request: web.Request, body: bytes) -> web.StreamResponse:
    return web.Response(body=body[: len(body) // 2], content_type="application/json")


async def reset(request: web.Request, body: bytes) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.content_length = len(body)
    await response.prepare(request)
    await response.write(body[: len(body) // 2])
    assert request.transport is not None
    request.transport.abort()
    return response


async def slow(request: web.Request, body: bytes) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.content_length = len(body)
    await response.prepare(request)
    for start in range(0, len(body), 8192):
        await anyio.sleep(0.01)
        await response.write(body[start : start + 8192])
    await response.write_eof()
    return response


FAULTS = {
    "429": too_many,
    "5xx JSON": server_error,
    "5xx HTML": proxy_page,
    "truncated": truncated,
    "reset": reset,
    "slow body": slow,
}
FAULT_KINDS = tuple(FAULTS)


@pytest.fixture
async def renderer() -> AsyncIterator[tuple[PageRenderer, str]]:
    """Serve the pages without recording requests, which would grow memory by itself."""
    pages = PageRenderer(TOTAL, random.Random(20260520))
    app = web.Application()
    app.router.add_get(f"{API}/runs", pages.handler)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield pages, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@pytest.mark.timeout(1200)
async def test_a_million_runs_stream_through_faults_exactly_once_in_flat_memory(
    renderer: tuple[PageRenderer, str],
) -> None:
    pages, url = renderer
    seen = bytearray(TOTAL + 1)
    out_of_order = 0
    samples: list[tuple[int, float]] = []
    policy = RetryPolicy(retries=10, backoff=0.01, max_backoff=0.05)
    started = time.perf_counter()
    async with ModelLabClient(API_KEY, APP_KEY, base_url=url, retries=policy) as client:
        count = 0
        async for run in client.runs.list(page_size=PAGE_SIZE):  # the default concurrency
            count += 1
            run_id = int(run.id)
            out_of_order += run_id != count
            seen[run_id] += 1
            if count % WARM_UP == 0:
                samples.append((count, rss_mb()))
        stats = client.stats
    wall = time.perf_counter() - started
    growth = samples[-1][1] - samples[0][1]
    print(  # noqa: T201  # the soak's figures, shown with -s
        f"\nsoak: {count:,} runs in {wall:.1f} s ({count / wall:,.0f} runs/s); "
        f"{stats.requests:,} requests, {stats.retries} retries, {stats.rate_limited} 429s; "
        f"faults injected: {dict(pages.faults)}\n"
        f"peak RSS (MB) by items: {[(n, round(mb, 1)) for n, mb in samples]}; "
        f"growth after warm-up {growth:.1f} MB"
    )
    assert count == TOTAL
    assert out_of_order == 0
    assert seen.count(1) == TOTAL  # every id 1..TOTAL exactly once (index 0 is unused)
    assert stats.retries == sum(n for kind, n in pages.faults.items() if kind != "slow body")
    assert pages.requests == stats.requests == TOTAL // PAGE_SIZE + stats.retries
    assert growth < MAX_GROWTH_MB


@dataclass
class GateFigures:
    """What one rate-limited `get_many` cost."""

    requests: int
    retries: int
    rate_limited: int
    throttled_seconds: float
    wall: float
    per_window: list[int]

    @property
    def rate(self) -> float:
        return self.requests / self.wall


async def fetch_through_gate(ids: list[str], batch_size: int, limit: RateLimit) -> GateFigures:
    """Fetch `ids` with default retries against a rate-limited fake; count 429s per window."""
    async with FakeModelLab(
        runs=1200, projects=4, seed=9, rate_limit=limit, api_key=API_KEY, app_keys=[APP_KEY]
    ) as fake:
        wanted = ids or [str(run.id) for run in fake.dataset.runs if run.deleted_at is None][:1000]
        marks: list[tuple[float, int]] = []
        async with ModelLabClient(API_KEY, APP_KEY, base_url=fake.url) as client:

            async def sample() -> None:
                while True:
                    marks.append((limit.clock(), client.stats.rate_limited))
                    await anyio.sleep(0.05)

            started = time.perf_counter()
            async with anyio.create_task_group() as group:
                group.start_soon(sample)
                results = [
                    r
                    async for r in client.runs.get_many(
                        wanted, concurrency=32, batch_size=batch_size
                    )
                ]
                group.cancel_scope.cancel()
            wall = time.perf_counter() - started
            stats = client.stats
    assert [r.unwrap().id for r in results] == wanted
    # The fake's windows start at multiples of the period on its clock.
    windows = Counter[int]()
    previous = 0
    for moment, seen in [*marks, (limit.clock(), stats.rate_limited)]:
        windows[math.floor(moment / limit.period)] += seen - previous
        previous = seen
    first = math.floor(marks[0][0] / limit.period)
    last = math.floor(marks[-1][0] / limit.period)
    return GateFigures(
        stats.requests,
        stats.retries,
        stats.rate_limited,
        stats.throttled_seconds,
        wall,
        [windows[w] for w in range(first, last + 1)],
    )


@pytest.mark.timeout(600)
async def test_the_gate_holds_a_thousand_requests_to_the_allowed_rate() -> None:
    limit = RateLimit(limit=100, period=10.0)
    one_by_one = await fetch_through_gate([], batch_size=1, limit=limit)
    batched = await fetch_through_gate([], batch_size=100, limit=limit)
    allowed = limit.limit / limit.period
    for name, figures in (("batch_size=1", one_by_one), ("batch_size=100", batched)):
        print(  # noqa: T201  # the gate's figures, shown with -s
            f"\nget_many of 1,000 runs, {name}, concurrency 32, {limit.limit}/{limit.period:g}s: "
            f"{figures.requests} requests, {figures.retries} retries, "
            f"{figures.rate_limited} 429s, {figures.throttled_seconds:.1f} s throttled, "
            f"wall {figures.wall:.1f} s, {figures.rate:.2f} req/s "
            f"({figures.rate / allowed:.0%} of {allowed:g}/s), 429s per window {figures.per_window}"
        )
    assert one_by_one.requests >= 1000
    assert one_by_one.rate >= 0.9 * allowed
    assert max(one_by_one.per_window[1:], default=0) <= 1
    assert batched.requests == 10
    assert batched.rate_limited == 0
