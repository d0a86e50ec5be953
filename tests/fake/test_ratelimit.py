"""Rate limiting per API key in fixed windows, on an injected clock."""

from __future__ import annotations

import aiohttp
import pytest

from modellab_async.testing import FakeModelLab, RateLimit

from .conftest import API, auth

pytestmark = pytest.mark.anyio


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_limit_answers_429_with_headers_until_the_window_resets() -> None:
    clock = _Clock()
    limit = RateLimit(limit=3, period=10.0, clock=clock)
    async with (
        FakeModelLab(runs=20, projects=1, rate_limit=limit) as fake,
        aiohttp.ClientSession(base_url=fake.url, headers=auth(fake)) as session,
    ):
        seen = []
        for _ in range(4):
            async with session.get(f"{API}/projects") as response:
                seen.append((response.status, dict(response.headers), await response.json()))
        clock.now += 10.0
        async with session.get(f"{API}/projects") as response:
            after_reset = response.status, response.headers["X-RateLimit-Remaining"]
    assert [status for status, _, _ in seen] == [200, 200, 200, 429]
    assert [headers["X-RateLimit-Remaining"] for _, headers, _ in seen] == ["2", "1", "0", "0"]
    _, headers, body = seen[-1]
    assert body == {"errors": ["Too many requests"]}
    assert headers["X-RateLimit-Limit"] == "3"
    assert headers["X-RateLimit-Period"] == "10"
    assert headers["X-RateLimit-Reset"] == "10"
    assert headers["X-RateLimit-Name"]
    assert after_reset == (200, "2")


async def test_reset_counts_whole_seconds_left_in_the_window() -> None:
    clock = _Clock()
    async with (
        FakeModelLab(runs=5, projects=1, rate_limit=RateLimit(5, 60.0, clock=clock)) as fake,
        aiohttp.ClientSession(base_url=fake.url, headers=auth(fake)) as session,
    ):
        clock.now = 1_000_000 * 60.0 + 12.5
        async with session.get(f"{API}/runs/1") as response:
            await response.read()
    assert response.headers["X-RateLimit-Reset"] == "48"


async def test_keys_are_counted_separately_per_api_key_not_app_key() -> None:
    clock = _Clock()
    async with (
        FakeModelLab(runs=5, projects=1, rate_limit=RateLimit(2, 10.0, clock=clock)) as fake,
        aiohttp.ClientSession(base_url=fake.url) as session,
    ):
        statuses = []
        for key in (*fake.app_keys, fake.app_key):
            async with session.get(f"{API}/projects", headers=auth(fake, key)) as response:
                statuses.append(response.status)
                await response.read()
    assert statuses == [200, 200, 429]


async def test_no_rate_limit_headers_when_the_limit_is_off(
    session: aiohttp.ClientSession,
) -> None:
    async with session.get(f"{API}/projects") as response:
        await response.read()
    assert not any(name.startswith("X-RateLimit") for name in response.headers)


@pytest.mark.parametrize(("text", "limit", "period"), [("100/10", 100, 10.0), ("5/0.5", 5, 0.5)])
def test_parse(text: str, limit: int, period: float) -> None:
    parsed = RateLimit.parse(text)
    assert (parsed.limit, parsed.period) == (limit, period)


@pytest.mark.parametrize("text", ["100", "0/10", "5/0", "a/b"])
def test_parse_rejects_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match=r"N/PERIOD|limit|invalid"):
        RateLimit.parse(text)
