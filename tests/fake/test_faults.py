"""Every fault kind on the wire, and the reproducible triggers of FaultPlan."""

from __future__ import annotations

import time

import aiohttp
import msgspec
import pytest

from modellab_async.testing import (
    ConnectionReset,
    FakeModelLab,
    Fault,
    FaultPlan,
    Latency,
    PageDrift,
    ProxyErrorPage,
    ServerError,
    SlowBody,
    TooManyRequests,
    TruncatedBody,
)

from .conftest import API, auth, get_json

pytestmark = pytest.mark.anyio


async def test_too_many_requests_burst_then_recovers(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    fake.faults.add(Fault(TooManyRequests(retry_after=3), route="list_runs", times=2))
    answers = []
    for _ in range(3):
        async with session.get(f"{API}/runs") as response:
            answers.append((response.status, response.headers.get("Retry-After")))
            body = await response.read()
    assert answers == [(429, "3"), (429, "3"), (200, None)]
    assert [r.status for r in fake.requests] == [429, 429, 200]
    assert msgspec.json.decode(body)["data"]


async def test_a_plan_assigned_to_faults_takes_effect(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    fake.faults.add(Fault(ServerError(status=500), route="get_project"))
    fake.faults = FaultPlan([Fault(ServerError(status=503), route="get_run", times=1)])
    statuses = [(await get_json(session, path))[0] for path in ("/runs/1", "/runs/1")]
    assert statuses == [503, 200]
    # The plan it replaced no longer fires.
    assert (await get_json(session, "/projects/1"))[0] == 200
    fake.faults.add(Fault(ServerError(status=502), route="get_run"))
    assert (await get_json(session, "/runs/1"))[0] == 502


async def test_faults_given_as_a_list_make_a_plan_seeded_like_the_data() -> None:
    faults = [Fault(ServerError(), probability=0.5)]
    async with (
        FakeModelLab(runs=5, projects=1, seed=4, faults=faults) as first,
        FakeModelLab(runs=5, projects=1, seed=4, faults=FaultPlan(faults, seed=4)) as second,
    ):
        assert isinstance(first.faults, FaultPlan)
        assert first.faults.faults == tuple(faults)
        answers = []
        for fake in (first, second):
            async with aiohttp.ClientSession(base_url=fake.url, headers=auth(fake)) as session:
                answers.append([(await get_json(session, "/runs/1"))[0] for _ in range(12)])
        assert answers[0] == answers[1]
        assert set(answers[0]) == {200, 500}


async def test_server_error_has_a_json_body(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    fake.faults.add(Fault(ServerError(status=503), route="get_run"))
    status, body = await get_json(session, "/runs/1")
    assert status == 503
    assert body["errors"][0]["status"] == "503"


async def test_proxy_error_page_is_html(fake: FakeModelLab, session: aiohttp.ClientSession) -> None:
    fake.faults.add(Fault(ProxyErrorPage(), route="/api/v2/model-lab-api/projects*"))
    async with session.get(f"{API}/projects") as response:
        assert response.status == 502
        assert response.content_type == "text/html"
        assert "502 Bad Gateway" in await response.text()
    status, _ = await get_json(session, "/runs")
    assert status == 200


async def test_connection_reset_mid_body(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    fake.faults.add(Fault(ConnectionReset(after_bytes=100), route="list_runs", times=1))
    async with session.get(f"{API}/runs") as response:
        assert response.status == 200
        assert response.content_length is not None
        assert response.content_length > 100
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()
    status, _ = await get_json(session, "/runs")
    assert status == 200


async def test_truncated_body_is_a_complete_response_with_broken_json(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    fake.faults.add(Fault(TruncatedBody(keep_bytes=50), route="list_runs"))
    async with session.get(f"{API}/runs") as response:
        body = await response.read()
    assert response.status == 200
    assert len(body) == response.content_length == 50
    with pytest.raises(msgspec.DecodeError):
        msgspec.json.decode(body)


async def test_slow_body_trickles_the_whole_body(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    _, expected = await get_json(session, "/runs/1")
    fake.faults.add(Fault(SlowBody(chunk_size=64, delay=0.01), route="get_run"))
    started = time.monotonic()
    status, body = await get_json(session, "/runs/1")
    assert status == 200
    assert body == expected
    chunks = len(msgspec.json.encode(expected)) // 64
    assert time.monotonic() - started >= 0.01 * (chunks - 1)


async def test_latency_delays_the_response(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    fake.faults.add(Fault(Latency(seconds=0.2, jitter=0.05), route="get_project"))
    started = time.monotonic()
    status, _ = await get_json(session, "/projects/1")
    assert status == 200
    assert time.monotonic() - started >= 0.2


async def test_page_drift_shifts_later_pages(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    fake.faults.add(Fault(PageDrift(runs=3), route="list_runs", skip=1))
    params = {"page[size]": "10"}
    _, first = await get_json(session, "/runs", params)
    _, second = await get_json(session, "/runs", {**params, "page[number]": "1"})
    # Three new runs went to the top, so the second page repeats the first page's last three.
    assert [item["id"] for item in second["data"][:3]] == [
        item["id"] for item in first["data"][-3:]
    ]
    assert second["meta"]["page"]["total"] == first["meta"]["page"]["total"] + 3
    _, top = await get_json(session, "/runs", {"page[size]": "6"})
    newest = max(run.id for run in fake.dataset.runs)
    assert int(top["data"][0]["id"]) == newest


def test_triggers_count_skip_every_and_times() -> None:
    plan = FaultPlan([Fault(ServerError(), route="get_run", skip=1, every=2, times=2)])
    fired = [bool(plan.fire("get_run", "/x")) for _ in range(8)]
    assert fired == [False, True, False, True, False, False, False, False]
    assert plan.fire("list_runs", "/x") == []


def test_probability_is_reproducible_by_seed() -> None:
    def firings(seed: int) -> list[bool]:
        plan = FaultPlan([Fault(ServerError(), probability=0.3)], seed=seed)
        return [bool(plan.fire(None, "/")) for _ in range(200)]

    assert firings(5) == firings(5)
    assert firings(5) != firings(6)
    assert 30 < sum(firings(5)) < 90


def test_plan_can_be_cleared_and_refilled() -> None:
    plan = FaultPlan()
    assert not plan
    plan.add(Fault(Latency(0.1)))
    assert plan.faults == (Fault(Latency(0.1)),)
    plan.clear()
    assert not plan


@pytest.mark.parametrize(
    "arguments", [{"probability": 1.5}, {"skip": -1}, {"every": 0}, {"times": -2}]
)
def test_fault_rejects_impossible_triggers(arguments: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"must|need"):
        Fault(ServerError(), **arguments)  # type: ignore[arg-type]
