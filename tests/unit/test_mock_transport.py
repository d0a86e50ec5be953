"""The HTTP core through MockTransport, no server: retries, the gate, redirects, DELETE, errors."""

from __future__ import annotations

import aiohttp
import anyio
import pytest

from modellab_async import (
    APIError,
    AuthenticationError,
    BadRequestError,
    DecodeError,
    ModelLabClient,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    TransportError,
    UnsafeRedirectError,
)
from modellab_async.pai import PAIClient
from modellab_async.testing import MockRequest, MockTransport
from tests.scripted import API, run_resource

from .mock_service import API_KEY, APP_KEY, Answer, Scripted, connect, json_answer

pytestmark = pytest.mark.anyio

RUN = json_answer({"data": run_resource(1)})
NO_CONTENT: Answer = (204, {}, b"")
LOST = TransportError("connection reset by peer")


def error_answer(status: int, *errors: object, headers: dict[str, str] | None = None) -> Answer:
    return json_answer({"errors": list(errors)}, status, headers)


TOO_MANY = error_answer(429, "Too many requests", headers={"Retry-After": "0.05"})


# The retry policy


async def test_a_429_is_retried_after_the_wait_it_asks_for() -> None:
    script = Scripted([TOO_MANY, RUN])
    async with connect(script) as client:
        run = await client.runs.get(1)
        stats = client.stats
    assert run.id == "1"
    assert len(script.requests) == 2
    assert script.arrivals[1] - script.arrivals[0] >= 0.05
    assert (stats.requests, stats.retries, stats.rate_limited) == (2, 1, 1)


@pytest.mark.parametrize("failure", [500, 502, 503, 504])
async def test_a_server_error_is_retried(failure: int) -> None:
    script = Scripted([error_answer(failure, {"title": "oops"}), RUN])
    async with connect(script) as client:
        assert (await client.runs.get(1)).id == "1"
        assert client.stats.retries == 1
    assert len(script.requests) == 2


async def test_a_lost_connection_is_retried() -> None:
    script = Scripted([LOST, LOST, RUN])
    async with connect(script) as client:
        assert (await client.runs.get(1)).id == "1"
    assert len(script.requests) == 3


async def test_retries_run_out_and_the_last_error_is_raised() -> None:
    script = Scripted([error_answer(503, {"title": "down"})])
    async with connect(script, retries=RetryPolicy(retries=2, backoff=0.001)) as client:
        with pytest.raises(ServerError, match="down"):
            await client.runs.get(1)
        assert client.stats.retries == 2
    assert len(script.requests) == 3


async def test_a_lost_connection_on_every_try_raises_transport_error() -> None:
    script = Scripted([LOST])
    async with connect(script, retries=RetryPolicy(retries=2, backoff=0.001)) as client:
        with pytest.raises(TransportError, match="reset by peer"):
            await client.runs.get(1)
    assert len(script.requests) == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404])
async def test_a_client_error_is_not_retried(status: int) -> None:
    script = Scripted([error_answer(status, {"title": "no"}), RUN])
    async with connect(script) as client:
        with pytest.raises(APIError):
            await client.runs.get(1)
    assert len(script.requests) == 1


async def test_no_retries_means_one_try() -> None:
    script = Scripted([LOST, RUN])
    async with connect(script, retries=0) as client:
        with pytest.raises(TransportError):
            await client.runs.get(1)
    assert len(script.requests) == 1


async def test_a_wait_longer_than_max_wait_is_not_made() -> None:
    script = Scripted([error_answer(429, "Too many requests", headers={"Retry-After": "30"}), RUN])
    async with connect(script, retries=RetryPolicy(retries=3, max_wait=1.0)) as client:
        with anyio.fail_after(5), pytest.raises(RateLimitError):
            await client.runs.get(1)
    assert len(script.requests) == 1


# The rate-limit gate


async def test_a_spent_window_holds_every_next_request_until_it_resets() -> None:
    spent = json_answer(
        {"data": run_resource(1)},
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "0.2"},
    )
    script = Scripted([spent, RUN])
    async with connect(script) as client:
        await client.runs.get(1)
        async with anyio.create_task_group() as group:
            for _ in range(3):
                group.start_soon(client.runs.get, 1)
        assert client.stats.throttled_seconds >= 0.2
        assert client.stats.retries == 0
    assert len(script.requests) == 4
    assert all(later - script.arrivals[0] >= 0.2 for later in script.arrivals[1:])


async def test_a_window_with_budget_left_holds_nothing() -> None:
    budget = json_answer(
        {"data": run_resource(1)}, headers={"X-RateLimit-Remaining": "5", "X-RateLimit-Reset": "60"}
    )
    script = Scripted([budget])
    async with connect(script) as client:
        for _ in range(3):
            await client.runs.get(1)
        assert client.stats.throttled_seconds == 0
    assert len(script.requests) == 3


async def test_a_429_shuts_the_gate_for_the_other_tasks_too() -> None:
    first_answered = anyio.Event()
    arrivals: list[float] = []

    async def handler(request: MockRequest) -> Answer:
        arrivals.append(anyio.current_time())
        if len(arrivals) == 1:
            first_answered.set()
            return TOO_MANY
        return RUN

    async with connect(handler) as client, anyio.create_task_group() as group:
        group.start_soon(client.runs.get, 1)
        await first_answered.wait()
        await anyio.lowlevel.checkpoint()  # the 429 has been observed
        group.start_soon(client.runs.get, 2)
    assert len(arrivals) == 3
    assert min(arrivals[1:]) - arrivals[0] >= 0.05


# Redirects


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize(
    "location",
    [
        "https://attacker.example/api/v2/model-lab-api/runs/1",
        "//attacker.example/runs/1",
        "http://api.datadoghq.com/api/v2/model-lab-api/runs/1",  # same host, other scheme
        "https://api.datadoghq.com:8443/api/v2/model-lab-api/runs/1",  # other port
    ],
)
async def test_a_redirect_to_another_origin_is_refused(status: int, location: str) -> None:
    script = Scripted([(status, {"Location": location}, b""), RUN])
    async with connect(script) as client:
        with pytest.raises(UnsafeRedirectError, match="another origin"):
            await client.runs.get(1)
    assert len(script.requests) == 1  # not retried, and the other origin never asked


@pytest.mark.parametrize(
    "location", [f"{API}/runs/2", f"https://api.datadoghq.com{API}/runs/2", "2"]
)
async def test_a_same_origin_redirect_is_followed_with_the_keys(location: str) -> None:
    script = Scripted([(301, {"Location": location}, b""), json_answer({"data": run_resource(2)})])
    async with connect(script) as client:
        run = await client.runs.get(1)
    assert run.id == "2"
    assert script.paths == [f"{API}/runs/1", f"{API}/runs/2"]
    moved = script.requests[1]
    assert moved.url.host == "api.datadoghq.com"
    assert moved.headers["DD-API-KEY"] == API_KEY


async def test_a_redirect_without_location_is_refused() -> None:
    script = Scripted([(302, {}, b"")])
    async with connect(script) as client:
        with pytest.raises(UnsafeRedirectError, match="without a Location"):
            await client.runs.get(1)
    assert len(script.requests) == 1


async def test_a_redirect_loop_stops() -> None:
    script = Scripted([(307, {"Location": f"{API}/runs/1"}, b"")])
    async with connect(script) as client:
        with pytest.raises(UnsafeRedirectError, match="more than 5 redirects"):
            await client.runs.get(1)
    assert len(script.requests) == 6


# DELETE recovery


@pytest.mark.parametrize(
    "lost", [LOST, error_answer(502, {"title": "gateway"}), error_answer(504, {"title": "gateway"})]
)
async def test_a_delete_whose_answer_was_lost_then_404_counts_as_done(
    lost: Answer | TransportError,
) -> None:
    script = Scripted([lost, error_answer(404, {"title": "Not Found"})])
    async with connect(script) as client:
        await client.runs.delete(7)
    assert [request.method for request in script.requests] == ["DELETE", "DELETE"]


@pytest.mark.parametrize("status", [500, 503])
async def test_a_delete_the_service_refused_then_404_is_not_found(status: int) -> None:
    script = Scripted([error_answer(status, {"title": "refused"}), error_answer(404, {})])
    async with connect(script) as client:
        with pytest.raises(NotFoundError):
            await client.runs.delete(7)
    assert len(script.requests) == 2


async def test_a_delete_answered_404_at_once_is_not_found() -> None:
    script = Scripted([error_answer(404, {"title": "Not Found"})])
    async with connect(script) as client:
        with pytest.raises(NotFoundError):
            await client.runs.delete(7)


async def test_a_get_whose_answer_was_lost_then_404_is_not_found() -> None:
    script = Scripted([LOST, error_answer(404, {"title": "Not Found"})])
    async with connect(script) as client:
        with pytest.raises(NotFoundError):
            await client.runs.get(7)
    assert len(script.requests) == 2


async def test_a_delete_answered_204_is_done() -> None:
    script = Scripted([NO_CONTENT])
    async with connect(script) as client:
        await client.runs.delete(7)
    assert script.paths == [f"{API}/runs/7"]


# Error mapping


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, APIError),
        (500, ServerError),
    ],
)
async def test_an_error_answer_becomes_its_class(status: int, error_class: type[APIError]) -> None:
    error = {
        "status": str(status),
        "title": "Refused",
        "detail": "bad sort",
        "source": {"parameter": "sort"},
    }
    script = Scripted([error_answer(status, error, headers={"X-Request-Id": "req-42"})])
    async with connect(script, retries=0) as client:
        with pytest.raises(error_class) as raised:
            await client.runs.get(1)
    exc = raised.value
    assert type(exc) is error_class
    assert (exc.status, exc.request_id, exc.method, exc.path) == (
        status,
        "req-42",
        "GET",
        f"{API}/runs/1",
    )
    assert len(exc.errors) == 1
    assert not isinstance(exc.errors[0], str)
    assert exc.errors[0].source is not None
    assert exc.errors[0].source.parameter == "sort"
    assert str(exc) == (
        f"HTTP {status} for GET {API}/runs/1: Refused - bad sort - parameter sort (request id req-42)"
    )
    for text in (str(exc), repr(exc)):
        assert API_KEY not in text
        assert APP_KEY not in text


async def test_a_429_body_of_strings_is_kept_as_strings() -> None:
    script = Scripted([error_answer(429, "Too many requests", headers={"dd-request-id": "r1"})])
    async with connect(script, retries=0) as client:
        with pytest.raises(RateLimitError) as raised:
            await client.runs.get(1)
    assert (raised.value.status, raised.value.errors, raised.value.request_id) == (
        429,
        ["Too many requests"],
        "r1",
    )


async def test_an_html_error_page_is_kept_as_an_excerpt() -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1>\n<p>nginx</p></body></html>"
    script = Scripted([(502, {"Content-Type": "text/html"}, page)])
    async with connect(script, retries=0) as client:
        with pytest.raises(ServerError) as raised:
            await client.runs.get(1)
    assert raised.value.errors == []
    assert raised.value.body_excerpt == "502 Bad Gateway nginx"


# MockTransport itself


async def test_a_plain_or_async_handler_sees_the_request_as_sent() -> None:
    seen: list[MockRequest] = []

    def plain(request: MockRequest) -> Answer:
        seen.append(request)
        return json_answer({"data": [], "meta": {"page": {"number": 0, "size": 5, "total": 0}}})

    async def asynchronous(request: MockRequest) -> Answer:
        await anyio.lowlevel.checkpoint()
        return plain(request)

    for handler in (plain, asynchronous):
        async with connect(handler) as client:
            assert await client.runs.list(project_id=3, page_size=5).collect() == []
    assert len(seen) == 2
    for request in seen:
        assert request.method == "GET"
        assert str(request.url.origin()) == "https://api.datadoghq.com"
        assert request.url.path == f"{API}/runs"
        assert dict(request.url.query) == {"filter[project_id]": "3", "page[size]": "5"}
        assert request.headers["DD-API-KEY"] == API_KEY
        assert request.headers["DD-APPLICATION-KEY"] == APP_KEY
        assert request.headers["User-Agent"].startswith("modellab-async/")


@pytest.mark.parametrize("name", ["X-Request-Id", "x-request-id", "X-REQUEST-ID"])
async def test_answer_headers_are_read_whatever_their_case(name: str) -> None:
    script = Scripted([error_answer(404, {"title": "gone"}, headers={name: "req-7"})])
    async with connect(script) as client:
        with pytest.raises(NotFoundError) as raised:
            await client.runs.get(1)
    assert raised.value.request_id == "req-7"


@pytest.mark.parametrize("name", ["Retry-After", "retry-after"])
async def test_a_retry_after_is_honoured_whatever_its_case(name: str) -> None:
    script = Scripted([error_answer(429, "Too many requests", headers={name: "30"}), RUN])
    async with connect(script, retries=RetryPolicy(retries=3, max_wait=1.0)) as client:
        with anyio.fail_after(5), pytest.raises(RateLimitError):
            await client.runs.get(1)
    assert len(script.requests) == 1  # 30 s is past max_wait: given up at once


async def test_a_body_past_max_body_size_is_refused() -> None:
    script = Scripted([(200, {}, b"x" * 2048)])
    async with connect(script, retries=0, max_body_size=1024) as client:
        with pytest.raises(DecodeError, match="exceeds the 1024-byte limit"):
            await client.runs.get(1)


async def test_an_error_body_past_max_body_size_is_still_its_statuss_error() -> None:
    script = Scripted([(500, {}, b"x" * 2048)])
    async with connect(script, retries=0, max_body_size=1024) as client:
        with pytest.raises(ServerError) as raised:
            await client.runs.get(1)
    assert raised.value.body_excerpt.startswith("xxx")
    assert len(raised.value.body_excerpt) <= 1024


async def test_a_streamed_body_arrives_whole_in_chunks() -> None:
    content = bytes(range(256)) * 1024  # 256 KiB: several chunks
    script = Scripted([(200, {"Content-Type": "application/octet-stream"}, content)])
    async with connect(script) as client:
        chunks = [chunk async for chunk in client.artifacts.stream(3, "runs/1/model.bin")]
        assert await client.artifacts.read(3, "runs/1/model.bin") == content
    assert len(chunks) > 1
    assert b"".join(chunks) == content
    assert script.requests[0].headers["Accept"] == "*/*"
    assert dict(script.requests[0].url.query) == {
        "project_id": "3",
        "artifact_path": "runs/1/model.bin",
    }


# transport= configures everything: session= and timeout= cannot come with it


async def test_a_transport_refuses_a_session_or_a_timeout_beside_it() -> None:
    transport = MockTransport(Scripted([RUN]))
    async with aiohttp.ClientSession() as session:
        with pytest.raises(TypeError, match="session or transport"):
            ModelLabClient(API_KEY, APP_KEY, session=session, transport=transport)
        with pytest.raises(TypeError, match="session"):
            PAIClient("id", "secret", region="cn-hangzhou", session=session, transport=transport)
    with pytest.raises(TypeError, match="timeout or transport"):
        ModelLabClient(API_KEY, APP_KEY, timeout=5, transport=transport)
    with pytest.raises(TypeError, match="timeout"):
        PAIClient("id", "secret", region="cn-hangzhou", timeout=5, transport=transport)


async def test_a_pai_client_runs_over_a_mock_transport() -> None:
    script = Scripted(
        [
            json_answer({"RunId": "run-1", "Name": "first"}),
            json_answer({"Code": "InternalError", "RequestId": "R-9"}, 500),
        ]
    )
    async with PAIClient(
        "id", "secret", region="cn-hangzhou", transport=MockTransport(script), retries=0
    ) as pai:
        run = await pai.runs.get("run-1")
        with pytest.raises(ServerError) as raised:
            await pai.runs.get("run-2")
    assert (run.run_id, run.name) == ("run-1", "first")
    assert (raised.value.code, raised.value.request_id) == ("InternalError", "R-9")
    assert script.requests[0].url.host == "aiworkspace.cn-hangzhou.aliyuncs.com"
    assert script.requests[0].url.path == "/api/v1/runs/run-1"
    assert "Authorization" in script.requests[0].headers
