"""The default concurrency over loopback, and what `paginator.stats` and `client.stats` say of it."""

from __future__ import annotations

import anyio
import pytest

from modellab_async import ModelLabClient
from modellab_async._engine._window import START
from modellab_async.testing import FakeModelLab, Fault, Latency, RateLimit
from tests.reference import server_order

pytestmark = pytest.mark.anyio


def connect(fake: FakeModelLab) -> ModelLabClient:
    return ModelLabClient(api_key=fake.api_key, app_key=fake.app_key, base_url=fake.url)


async def test_on_a_slow_link_the_default_grows_past_its_start_and_never_waits() -> None:
    async with FakeModelLab(runs=600, projects=2, seed=3) as fake:
        expected = await server_order(fake)
        fake.faults.add(Fault(Latency(0.02, jitter=0.01), route="list_runs"))
        async with connect(fake) as client:
            runs = client.runs.list(page_size=10)
            with anyio.fail_after(30):
                ids = [run.id async for run in runs]
            walk, stats = runs.stats, client.stats
    assert ids == expected
    assert walk.requests == stats.requests == 60
    assert walk.max_in_flight > START
    assert 1 < walk.mean_in_flight <= walk.max_in_flight
    assert walk.throttled_seconds == stats.throttled_seconds == 0


async def test_under_a_rate_limit_the_default_waits_within_the_budget_and_says_so() -> None:
    limit = RateLimit(limit=15, period=1.0)
    async with FakeModelLab(runs=400, projects=2, seed=5) as fake:
        expected = await server_order(fake)
    async with FakeModelLab(runs=400, projects=2, seed=5, rate_limit=limit) as fake:
        fake.faults.add(Fault(Latency(0.01), route="list_runs"))
        async with connect(fake) as client:
            runs = client.runs.list(page_size=10)
            with anyio.fail_after(30):
                ids = [run.id async for run in runs]  # no 429 reaches the caller
            walk, stats = runs.stats, client.stats
    assert ids == expected
    assert walk.requests == stats.requests
    assert 0 < walk.max_in_flight <= limit.limit
    assert 0 < walk.mean_in_flight <= walk.max_in_flight
    assert walk.throttled_seconds > 0
    assert stats.throttled_seconds >= walk.throttled_seconds
