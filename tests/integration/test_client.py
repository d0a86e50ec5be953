"""The client's HTTP behaviour over loopback: headers, errors, redirects, timeouts, state."""

from __future__ import annotations

import asyncio
import logging
import traceback

import aiohttp
import anyio
import pytest
from aiohttp import web

from modellab_async import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ClientStateError,
    DecodeError,
    ModelLabClient,
    ModelLabError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    TransportError,
    UnsafeRedirectError,
    __version__,
)
from tests.integration.conftest import API_KEY, APP_KEY
from tests.scripted import API, ScriptedServer, json_response, run_resource

pytestmark = pytest.mark.anyio


def answer(body: object, status: int = 200, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    async def handler(request: web.Request) -> web.Response:
        return json_response(body, status, headers)

    return handler


async def test_requests_carry_keys_accept_and_user_agent(
    scripted: ScriptedServer, client: ModelLabClient
) -> None:
    scripted.handler = answer({"data": run_resource(42)})
    run = await client.runs.get(42)
    assert run.id == "42"
    headers = scripted.seen[0].headers
    assert headers["DD-API-KEY"] == API_KEY
    assert headers["DD-APPLICATION-KEY"] == APP_KEY
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"].startswith(f"modellab-async/{__version__}")
    assert scripted.seen[0].path == f"{API}/runs/42"


async def test_a_path_in_base_url_is_kept_as_a_prefix(scripted: ScriptedServer) -> None:
    scripted.handler = answer({"data": run_resource(7)})
    async with ModelLabClient(API_KEY, APP_KEY, base_url=f"{scripted.url}/proxy/dd/") as client:
        await client.runs.get("7")
    assert scripted.seen[0].path == f"/proxy/dd{API}/runs/7"


@pytest.mark.parametrize(
    ("status", "body", "error", "text"),
    [
        (
            400,
            {
                "errors": [
                    {
                        "status": "400",
                        "title": "Bad Request",
                        "detail": "bad size",
                        "source": {"parameter": "page[size]"},
                    }
                ]
            },
            BadRequestError,
            "bad size - parameter page[size]",
        ),
        (401, {"errors": ["Unauthorized"]}, AuthenticationError, "Unauthorized"),
        (
            403,
            {"errors": [{"status": "403", "title": "Forbidden"}]},
            PermissionDeniedError,
            "Forbidden",
        ),
        (
            404,
            {"errors": [{"title": "Generic Error", "detail": "run not found"}]},
            NotFoundError,
            "Generic Error - run not found",
        ),
        (429, {"errors": ["Too many requests"]}, RateLimitError, "Too many requests"),
        (
            500,
            {"errors": [{"status": "500", "title": "Internal Server Error"}]},
            ServerError,
            "Internal Server Error",
        ),
        (503, {"errors": []}, ServerError, "HTTP 503"),
        (418, {"errors": ["teapot"]}, APIError, "teapot"),
    ],
)
async def test_error_statuses_raise_typed_errors(
    scripted: ScriptedServer,
    client: ModelLabClient,
    status: int,
    body: object,
    error: type[APIError],
    text: str,
) -> None:
    scripted.handler = answer(body, status, {"X-Request-Id": "req-123"})
    with pytest.raises(error) as caught:
        await client.runs.get(1)
    assert type(caught.value) is error
    assert caught.value.status == status
    assert caught.value.request_id == "req-123"
    assert text in str(caught.value)
    assert f"GET {API}/runs/1" in str(caught.value)


async def test_error_objects_are_decoded(scripted: ScriptedServer, client: ModelLabClient) -> None:
    scripted.handler = answer(
        {
            "errors": [
                {
                    "status": "400",
                    "title": "Bad Request",
                    "source": {"parameter": "sort"},
                    "meta": {"x": 1},
                }
            ]
        },
        400,
    )
    with pytest.raises(BadRequestError) as caught:
        await client.runs.get(1)
    [error] = caught.value.errors
    assert not isinstance(error, str)
    assert error.source is not None
    assert error.source.parameter == "sort"
    assert error.meta == {"x": 1}
    assert caught.value.request_id is None


async def test_an_html_error_page_still_gives_the_right_class(
    scripted: ScriptedServer, client: ModelLabClient
) -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body>" + "x" * 1000 + "</body></html>"

    async def proxy(request: web.Request) -> web.Response:
        return web.Response(text=page, status=502, content_type="text/html")

    scripted.handler = proxy
    with pytest.raises(ServerError) as caught:
        await client.runs.get(1)
    assert caught.value.errors == []
    assert caught.value.body_excerpt.startswith("502 Bad Gateway")
    assert len(caught.value.body_excerpt) <= 200


@pytest.mark.parametrize("body", [b"{not json", b'{"data": {"id": 1}}', b"[]", b"\xff\xfe"])
async def test_malformed_bodies_raise_decode_error(
    scripted: ScriptedServer, client: ModelLabClient, body: bytes
) -> None:
    async def bad(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    scripted.handler = bad
    with pytest.raises(DecodeError, match=f"GET {API}/runs/1"):
        await client.runs.get(1)


@pytest.mark.parametrize("chunked", [False, True])
async def test_a_body_over_the_cap_is_refused(scripted: ScriptedServer, chunked: bool) -> None:
    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        if chunked:
            response.enable_chunked_encoding()
        else:
            response.content_length = 4096
        await response.prepare(request)
        await response.write(b" " * 4096)
        return response

    scripted.handler = huge
    async with ModelLabClient(
        API_KEY, APP_KEY, base_url=scripted.url, max_body_size=1000
    ) as client:
        with pytest.raises(DecodeError, match="1000-byte limit"):
            await client.runs.get(1)


async def test_same_origin_redirects_are_followed(
    scripted: ScriptedServer, client: ModelLabClient
) -> None:
    async def handler(request: web.Request) -> web.Response:
        if request.path.endswith("/runs/1"):
            raise web.HTTPTemporaryRedirect(f"{API}/runs/2")
        return json_response({"data": run_resource(2)})

    scripted.handler = handler
    assert (await client.runs.get(1)).id == "2"
    assert [seen.headers["DD-API-KEY"] for seen in scripted.seen] == [API_KEY, API_KEY]


async def test_a_redirect_to_another_origin_is_refused_and_gets_no_keys(
    scripted: ScriptedServer, client: ModelLabClient
) -> None:
    async with ScriptedServer() as elsewhere:
        elsewhere.handler = answer({"data": run_resource(1)})

        async def handler(request: web.Request) -> web.Response:
            raise web.HTTPFound(f"{elsewhere.url}{API}/runs/1")

        scripted.handler = handler
        with pytest.raises(UnsafeRedirectError, match="another origin"):
            await client.runs.get(1)
        assert elsewhere.seen == []


async def test_endless_redirects_stop(scripted: ScriptedServer, client: ModelLabClient) -> None:
    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently(request.path)

    scripted.handler = loop
    with pytest.raises(UnsafeRedirectError, match="redirects"):
        await client.runs.get(1)
    assert len(scripted.seen) == 6


async def test_a_redirect_without_location_is_refused(
    scripted: ScriptedServer, client: ModelLabClient
) -> None:
    async def bare(request: web.Request) -> web.Response:
        return web.Response(status=302)

    scripted.handler = bare
    with pytest.raises(UnsafeRedirectError, match="Location"):
        await client.runs.get(1)


@pytest.mark.parametrize("status", [300, 304, 305])
async def test_a_3xx_that_is_no_redirect_is_an_error(
    scripted: ScriptedServer, client: ModelLabClient, status: int
) -> None:
    async def answer_3xx(request: web.Request) -> web.Response:
        return web.Response(status=status, body=b"", headers={"Location": f"{API}/runs/2"})

    scripted.handler = answer_3xx
    with pytest.raises(APIError) as caught:
        await client.runs.get(1)
    assert caught.value.status == status
    assert len(scripted.seen) == 1


async def test_a_slow_server_times_out(scripted: ScriptedServer) -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return json_response({})

    scripted.handler = slow
    async with ModelLabClient(
        API_KEY, APP_KEY, base_url=scripted.url, timeout=0.2, retries=0
    ) as client:
        with anyio.fail_after(3):
            with pytest.raises(RequestTimeoutError, match="timed out"):
                await client.runs.get(1)


async def test_a_trickling_body_times_out(scripted: ScriptedServer) -> None:
    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_length = 1000
        await response.prepare(request)
        for _ in range(100):
            await response.write(b" ")
            await asyncio.sleep(0.05)
        return response

    scripted.handler = trickle
    timeout = aiohttp.ClientTimeout(total=0.3)
    async with ModelLabClient(
        API_KEY, APP_KEY, base_url=scripted.url, timeout=timeout, retries=0
    ) as client:
        with anyio.fail_after(3), pytest.raises(RequestTimeoutError):
            await client.runs.get(1)


async def test_a_body_cut_short_is_a_transport_error(
    scripted: ScriptedServer, client: ModelLabClient
) -> None:
    async def reset(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_length = 10_000
        await response.prepare(request)
        await response.write(b'{"data": ')
        assert request.transport is not None
        request.transport.abort()
        return response

    scripted.handler = reset
    with pytest.raises(TransportError) as caught:
        await client.runs.get(1)
    assert not isinstance(caught.value, RequestTimeoutError)


async def test_a_refused_connection_is_a_transport_error() -> None:
    with anyio.fail_after(5):
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        await listener.aclose()
        async with ModelLabClient(
            API_KEY, APP_KEY, base_url=f"http://127.0.0.1:{port}", retries=0
        ) as client:
            with pytest.raises(TransportError, match=f"GET {API}/runs/1"):
                await client.runs.get(1)


async def test_keys_never_appear_in_errors_logs_or_tracebacks(
    scripted: ScriptedServer, client: ModelLabClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    async def echo_keys(request: web.Request) -> web.Response:
        return json_response({"errors": [dict(request.headers)]}, 400)

    scripted.handler = echo_keys
    with pytest.raises(ModelLabError) as caught:
        await client.runs.get(1)
    texts = [
        str(caught.value),
        repr(caught.value),
        "".join(traceback.format_exception(caught.value)),
        repr(client),
        repr(vars(client._dialect)),
        caplog.text,
    ]
    for text in texts:
        assert API_KEY not in text
        assert APP_KEY not in text


async def test_using_the_client_outside_async_with_says_what_to_do() -> None:
    client = ModelLabClient(API_KEY, APP_KEY, base_url="http://127.0.0.1:9")
    with pytest.raises(ClientStateError, match="async with"):
        await client.runs.get(1)
    paginator = client.runs.list()  # creating a listing sends nothing
    with pytest.raises(ClientStateError, match="async with"):
        await paginator.collect()


async def test_a_closed_client_refuses_work_and_cannot_reopen(scripted: ScriptedServer) -> None:
    client = ModelLabClient(API_KEY, APP_KEY, base_url=scripted.url)
    async with client:
        with pytest.raises(ClientStateError, match="already open"):
            await client.__aenter__()
    with pytest.raises(ClientStateError, match="closed"):
        await client.runs.get(1)
    with pytest.raises(ClientStateError, match="closed"):
        async with client:
            pass
    await client.aclose()  # closing twice is harmless
    assert "closed" in repr(client)


def test_a_client_used_from_another_event_loop_says_so() -> None:
    client = ModelLabClient(API_KEY, APP_KEY, base_url="http://127.0.0.1:9")

    async def open_client() -> None:
        await client.__aenter__()

    async def use_client() -> None:
        with pytest.raises(ClientStateError, match="another event loop"):
            await client.runs.get(1)

    async def close_client() -> None:
        await client.aclose()

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(open_client())
        asyncio.run(use_client())
        loop.run_until_complete(close_client())
    finally:
        loop.close()


async def test_a_session_passed_in_is_used_and_left_open(scripted: ScriptedServer) -> None:
    scripted.handler = answer({"data": run_resource(1)})
    async with aiohttp.ClientSession(headers={"X-Trace": "on"}) as session:
        async with ModelLabClient(
            API_KEY, APP_KEY, base_url=scripted.url, session=session
        ) as client:
            await client.runs.get(1)
        assert not session.closed
        assert scripted.seen[0].headers["X-Trace"] == "on"


async def test_a_client_made_outside_a_loop_works_inside_one(scripted: ScriptedServer) -> None:
    scripted.handler = answer({"data": run_resource(3)})
    client = ModelLabClient(API_KEY, APP_KEY, base_url=scripted.url)
    async with client:
        assert (await client.runs.get(3)).attributes.name == "run-3"
