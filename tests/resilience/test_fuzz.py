"""Malformed bodies and lying page metadata: only ModelLabErrors escape, and nothing loops.

Hypothesis throws random JSON, wrong types, missing fields, huge numbers, invalid
UTF-8 and non-JSON at the pure decoders, then at the client over a scripted
server, then `meta.page` and `links` that contradict each other at the paginator.
"""

from __future__ import annotations

import contextlib
import json
import tracemalloc
from collections.abc import AsyncIterator, Mapping
from typing import Any

import anyio
import msgspec
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modellab_async import (
    APIError,
    DecodeError,
    FacetKeys,
    FacetValues,
    ModelLabClient,
    ModelLabError,
    Project,
    ProjectArtifacts,
    RateLimitError,
    RetryPolicy,
    Run,
    RunArtifacts,
)
from modellab_async._core._protocol import Request, Response, decode
from modellab_async.errors import error_class_for
from modellab_async.models.jsonapi import Document, Page
from modellab_async.resources._dialect import error_from_response
from tests.resilience.support import API_KEY, APP_KEY
from tests.scripted import ScriptedServer, json_response, run_resource

pytestmark = pytest.mark.anyio

REQUEST = Request("GET", "api/v2/model-lab-api/runs", (("page[size]", "100"),))
DECODERS: list[msgspec.json.Decoder[Any]] = [
    msgspec.json.Decoder(type_)
    for type_ in (
        Page[Run],
        Page[Project],
        Document[Run],
        Document[Project],
        Document[FacetKeys],
        Document[FacetValues],
        Document[RunArtifacts],
        Document[ProjectArtifacts],
    )
]
#: The most requests one fuzzed listing may cost before it must have ended or raised.
MAX_REQUESTS = 50
OVER_HTTP = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PURE = settings(max_examples=150, deadline=None)

# Numbers JSON allows but 64-bit fields do not: past int64, and past a double.
HUGE_NUMBERS = [str(2**64), str(-(2**63) - 1), "1e400", "-1e400", "1" * 400]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=15,
)


def mutated(document: dict[str, Any], paths: list[tuple[str, ...]]) -> st.SearchStrategy[bytes]:
    """A valid document with one field removed, or replaced by any JSON value or huge number."""

    def change(path: tuple[str, ...], value: Any, drop: bool) -> bytes:
        copy = json.loads(json.dumps(document))
        parent = copy
        for key in path[:-1]:
            parent = parent[key]
        if drop:
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
        return json.dumps(copy).encode()

    replaced = st.builds(change, st.sampled_from(paths), json_values, st.just(False))
    dropped = st.builds(change, st.sampled_from(paths), st.none(), st.just(True))
    huge = st.builds(
        lambda path, number: change(path, "@", False).replace(b'"@"', number.encode()),
        st.sampled_from(paths),
        st.sampled_from(HUGE_NUMBERS),
    )
    return replaced | dropped | huge


RUN = run_resource(7)
RUN_PATHS = [("data",), ("data", "id"), ("data", "attributes")] + [
    ("data", "attributes", name) for name in RUN["attributes"]
]
PAGE = {"data": [RUN], "meta": {"page": {"number": 0, "size": 1, "total": 1}}, "links": {}}
PAGE_PATHS = [("data",), ("meta",), ("meta", "page"), ("links",)] + [
    ("meta", "page", name) for name in ("number", "size", "total")
]

bodies = st.one_of(
    st.binary(max_size=300),  # mostly invalid UTF-8, never JSON
    st.text(max_size=200).map(str.encode),
    json_values.map(lambda value: json.dumps(value).encode()),
    mutated({"data": RUN}, RUN_PATHS),
    mutated(PAGE, PAGE_PATHS),
    st.sampled_from(
        [
            b"",
            b"[" * 100_000,  # nesting deeper than any recursion limit
            b'{"data": "\xff\xfe"}',  # JSON with invalid UTF-8 inside a string
            b"<html><body><h1>502 Bad Gateway</h1></body></html>",
            json.dumps({"data": RUN})[:-7].encode(),  # cut short
            *(number.encode() for number in HUGE_NUMBERS),
        ]
    ),
)


def assert_reported(error: ModelLabError) -> None:
    assert str(error).strip(), f"{type(error).__name__} with an empty message"


@PURE
@given(decoder=st.sampled_from(DECODERS), body=bodies)
def test_decode_returns_the_type_or_raises_decode_error(
    decoder: msgspec.json.Decoder[Any], body: bytes
) -> None:
    try:
        decode(decoder, body, REQUEST)
    except DecodeError as error:
        assert_reported(error)


header_values = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30)
headers = st.dictionaries(
    st.sampled_from(["x-request-id", "dd-request-id", "Retry-After", "Content-Type", "X-Any"]),
    header_values,
    max_size=4,
)


@PURE
@given(status=st.integers(400, 599), response_headers=headers, body=bodies)
def test_error_from_response_builds_the_statuss_error_from_any_body(
    status: int, response_headers: dict[str, str], body: bytes
) -> None:
    error = error_from_response(REQUEST, Response(status, response_headers, body))
    assert type(error) is error_class_for(status)
    assert error.status == status
    assert_reported(error)
    assert len(error.body_excerpt) <= 200


@pytest.fixture
async def scripted() -> AsyncIterator[ScriptedServer]:
    async with ScriptedServer() as server:
        yield server


def quick_client(url: str) -> ModelLabClient:
    """A client that never retries: each example costs exactly the requests it makes."""
    return ModelLabClient(API_KEY, APP_KEY, base_url=url, retries=0, timeout=5.0)


content_types = st.sampled_from(["application/json", "text/html", "application/octet-stream"])


@OVER_HTTP
@given(
    status=st.integers(200, 599).filter(lambda s: s not in (204, 304)),
    content_type=content_types,
    body=bodies,
)
async def test_any_answer_to_a_get_is_a_run_or_a_model_lab_error(
    scripted: ScriptedServer, status: int, content_type: str, body: bytes
) -> None:
    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=status, body=body, headers={"Content-Type": content_type})

    scripted.handler = answer
    scripted.seen.clear()
    error: ModelLabError | None = None
    async with quick_client(scripted.url) as client:
        try:
            with anyio.fail_after(5):
                run = await client.runs.get(7)
        except ModelLabError as exc:
            error = exc
    if error is None:
        assert status < 300
        assert isinstance(run, Run)
    else:
        assert_reported(error)
        assert not isinstance(error, APIError) or error.status == status
    assert len(scripted.seen) == 1


numbers = st.integers(-3, 12)
huge_or_small = numbers | st.sampled_from([2**31, 2**62, 2**63 - 1, -(2**63)])
garbage_links = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.builds(lambda n: f"/api/v2/model-lab-api/runs?page[number]={n}", huge_or_small),
    st.builds(lambda n: f"http://192.0.2.1:9/runs?page%5Bnumber%5D={n}", numbers),
    st.sampled_from(["http://[::1", "?page[number]=x", "page[number]=-1", "//evil.example/"]),
)


@st.composite
def page_answers(draw: st.DrawFn, sizes: st.SearchStrategy[int]) -> dict[str, Any]:
    """One page whose `meta.page` and `links` may contradict each other and its items."""
    info: dict[str, Any] = {
        "number": draw(sizes),
        "size": draw(sizes),
        "total": draw(sizes),
    }
    for name in ("first_number", "last_number", "next_number", "prev_number"):
        if draw(st.booleans()):
            info[name] = draw(st.none() | sizes)
    ids = draw(st.lists(st.integers(1, 15), max_size=6))
    page: dict[str, Any] = {"data": [run_resource(i) for i in ids], "meta": {"page": info}}
    links = draw(garbage_links)
    if links is not None:
        page["links"] = {"next": links, "self": draw(garbage_links)}
    return page


async def walk_scripted_listing(
    scripted: ScriptedServer, answers: list[dict[str, Any]], concurrency: int
) -> None:
    """Serve the answers in order, then the last one forever; the walk must stop by itself."""
    scripted.seen.clear()

    async def serve(request: web.Request) -> web.Response:
        return json_response(answers[min(len(scripted.seen), len(answers)) - 1])

    scripted.handler = serve
    async with quick_client(scripted.url) as client:
        listing = client.runs.list(page_size=5, concurrency=concurrency)
        error: ModelLabError | None = None
        try:
            with anyio.fail_after(10):
                async for _ in listing:
                    assert len(scripted.seen) <= MAX_REQUESTS, "the walk does not end"
        except ModelLabError as exc:
            error = exc
    if error is not None:
        assert_reported(error)
        assert error.checkpoint is not None
    assert 1 <= len(scripted.seen) <= MAX_REQUESTS


@OVER_HTTP
@given(answers=st.lists(page_answers(huge_or_small), min_size=1, max_size=6))
async def test_a_sequential_walk_through_lying_pages_ends_or_raises(
    scripted: ScriptedServer, answers: list[dict[str, Any]]
) -> None:
    await walk_scripted_listing(scripted, answers, concurrency=1)


@OVER_HTTP
@given(answers=st.lists(page_answers(huge_or_small), min_size=1, max_size=6))
async def test_a_fan_out_through_lying_pages_ends_or_raises(
    scripted: ScriptedServer, answers: list[dict[str, Any]]
) -> None:
    await walk_scripted_listing(scripted, answers, concurrency=8)


async def test_a_fan_out_plans_pages_lazily_whatever_total_the_first_page_claims(
    scripted: ScriptedServer,
) -> None:
    claimed = {"number": 0, "size": 1, "total": 50_000, "last_number": 49_999}

    async def serve(request: web.Request) -> web.Response:
        return json_response({"data": [run_resource(1)], "meta": {"page": claimed}})

    scripted.handler = serve
    async with quick_client(scripted.url) as client:
        listing = aiter(client.runs.list(page_size=1, concurrency=8))
        tracemalloc.start()
        try:
            with anyio.fail_after(20):
                await anext(listing)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            await listing.aclose()
    assert peak < 8 * 2**20


@pytest.mark.parametrize(
    "first_answer",
    [
        (429, {"Retry-After": "3600"}),
        (200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "3600"}),
    ],
    ids=["429-retry-after", "200-window-spent"],
)
async def test_a_server_asking_for_an_hour_does_not_stall_the_client_past_max_wait(
    scripted: ScriptedServer, first_answer: tuple[int, Mapping[str, str]]
) -> None:
    status, first_headers = first_answer
    replies = [(status, first_headers)]

    async def serve(request: web.Request) -> web.Response:
        status, reply_headers = replies.pop() if replies else (200, {})
        body = {"data": run_resource(7)} if status == 200 else {"errors": ["Too many requests"]}
        return json_response(body, status, dict(reply_headers))

    scripted.handler = serve
    policy = RetryPolicy(max_wait=1.0)
    async with ModelLabClient(API_KEY, APP_KEY, base_url=scripted.url, retries=policy) as client:
        # A wait longer than max_wait is refused at once: RateLimitError, or a 200.
        with anyio.fail_after(5), contextlib.suppress(RateLimitError):
            await client.runs.get(7)
        with anyio.fail_after(2.5):  # the server is fine again; max_wait is 1 s
            assert (await client.runs.get(7)).id == "7"
