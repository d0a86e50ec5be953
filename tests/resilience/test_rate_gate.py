"""No single answer shuts the client-wide rate-limit gate for longer than `max_wait`."""

from __future__ import annotations

from collections.abc import Mapping

import anyio
import pytest
from aiohttp import web

from modellab_async import ModelLabClient, RateLimitError, RetryPolicy
from tests.resilience.support import API_KEY, APP_KEY
from tests.scripted import ScriptedServer, json_response, run_resource

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        (429, {"Retry-After": "1e9"}),
        (429, {"Retry-After": "Fri, 31 Dec 2100 23:59:59 GMT"}),
        (429, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1e9"}),
        (200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1e30"}),
    ],
    ids=["retry-after", "retry-after-date", "ratelimit-reset", "200-window-spent"],
)
async def test_an_absurd_wait_fails_its_own_call_and_leaves_the_gate_open(
    scripted: ScriptedServer, status: int, headers: Mapping[str, str]
) -> None:
    first = [(status, headers)]

    async def serve(request: web.Request) -> web.Response:
        status, reply_headers = first.pop() if first else (200, {})
        body = {"data": run_resource(1)} if status == 200 else {"errors": ["Too many requests"]}
        return json_response(body, status, dict(reply_headers))

    scripted.handler = serve
    # The default max_wait (120 s): a gate shut for it would trip fail_after.
    policy = RetryPolicy(backoff=0.01, max_backoff=0.05)
    async with ModelLabClient(API_KEY, APP_KEY, base_url=scripted.url, retries=policy) as client:
        with anyio.fail_after(10):
            try:
                await client.runs.get(1)
            except RateLimitError:
                assert status == 429
            assert len(scripted.seen) == 1  # refused at once, not retried
            async with anyio.create_task_group() as group:
                for _ in range(8):
                    group.start_soon(client.runs.get, 1)
        assert client.stats.throttled_seconds == 0
    assert len(scripted.seen) == 9
