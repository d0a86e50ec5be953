"""The Model Lab fake's FaultPlan drives the PAI fake too, with PAI's error bodies."""

from __future__ import annotations

import time

import aiohttp
import msgspec
import pytest

from modellab_async.errors import RateLimitError, ServerError
from modellab_async.pai._signing import Signer
from modellab_async.pai.models import RunsPage, api_error
from modellab_async.testing import (
    ConnectionReset,
    Fault,
    FaultPlan,
    Latency,
    ProxyErrorPage,
    TooManyRequests,
    TruncatedBody,
)
from modellab_async.testing import (
    ServerError as InjectedServerError,
)
from modellab_async.testing._pai import FakePAI

from .conftest import SignedSession

pytestmark = pytest.mark.anyio

RUNS = "/api/v1/runs"


async def test_throttling_answers_pai_throttling_with_retry_after(
    fake: FakePAI, pai: SignedSession
) -> None:
    fake.faults.add(Fault(TooManyRequests(retry_after=3), route="ListRuns", times=2))
    answers = [await pai.get("ListRuns", RUNS) for _ in range(3)]
    assert [a.status for a in answers] == [429, 429, 200]
    throttled = answers[0]
    assert throttled.headers["Retry-After"] == "3"
    assert throttled.json()["Code"] == "Throttling.User"
    assert type(api_error(throttled.status, throttled.body)) is RateLimitError
    assert [r.status for r in fake.requests] == [429, 429, 200]


@pytest.mark.parametrize(("status", "code"), [(500, "InternalError"), (503, "ServiceUnavailable")])
async def test_server_errors_have_a_pai_body(
    fake: FakePAI, pai: SignedSession, status: int, code: str
) -> None:
    fake.faults.add(Fault(InjectedServerError(status=status), route="GetRun"))
    answer = await pai.get("GetRun", f"/api/v1/runs/{fake.dataset.runs[0].run_id}")
    assert answer.status == status
    assert answer.json()["Code"] == code
    assert type(api_error(answer.status, answer.body)) is ServerError


async def test_a_plan_assigned_to_faults_takes_effect(fake: FakePAI, pai: SignedSession) -> None:
    fake.faults = FaultPlan([Fault(InjectedServerError(status=503), route="ListRuns", times=1)])
    assert [(await pai.get("ListRuns", RUNS)).status for _ in range(2)] == [503, 200]


async def test_a_proxy_error_page_is_html(fake: FakePAI, pai: SignedSession) -> None:
    fake.faults.add(Fault(ProxyErrorPage(), route="/api/v1/experiments"))
    answer = await pai.get("ListExperiment", "/api/v1/experiments")
    assert answer.status == 502
    error = api_error(answer.status, answer.body)
    assert type(error) is ServerError
    assert "502 Bad Gateway" in error.body_excerpt
    assert (await pai.get("ListRuns", RUNS)).status == 200


async def test_a_truncated_body_does_not_decode(fake: FakePAI, pai: SignedSession) -> None:
    fake.faults.add(Fault(TruncatedBody(), route="ListRuns"))
    answer = await pai.get("ListRuns", RUNS)
    assert answer.status == 200
    with pytest.raises(msgspec.DecodeError):
        msgspec.json.decode(answer.body, type=RunsPage)


async def test_a_reset_connection_fails_the_request(fake: FakePAI, pai: SignedSession) -> None:
    fake.faults.add(Fault(ConnectionReset(), route="ListRuns"))
    with pytest.raises((aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError)):
        await pai.get("ListRuns", RUNS)


async def test_latency_delays_the_answer(fake: FakePAI, pai: SignedSession) -> None:
    fake.faults.add(Fault(Latency(0.2), route="ListRuns"))
    started = time.monotonic()
    assert (await pai.get("ListRuns", RUNS)).status == 200
    assert time.monotonic() - started >= 0.2


async def test_faults_are_reproducible_from_the_seed(pai: SignedSession) -> None:
    async def statuses(fake: FakePAI) -> list[int]:
        fake.faults.add(Fault(InjectedServerError(), probability=0.5))
        session = SignedSession(pai.session, fake, Signer(fake.credentials))
        return [(await session.get("ListRuns", RUNS)).status for _ in range(12)]

    async with FakePAI(runs=5, seed=11) as first, FakePAI(runs=5, seed=11) as second:
        assert await statuses(first) == await statuses(second)
