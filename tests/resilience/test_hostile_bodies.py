"""Hostile bodies: JSON nested without end, and text that would drive a terminal.

JSON nested deeper than a decoder recurses, in any field, ends as a
`DecodeError` (or, in an error body, as the status's `APIError` with an
excerpt), never as a bare `RecursionError`. Server text in messages and in
retry logs is rendered with its control characters escaped.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
import msgspec
import pytest
from aiohttp import web
from click.testing import CliRunner, Result

from modellab_async import (
    APIError,
    BadRequestError,
    DecodeError,
    ModelLabClient,
    NotFoundError,
)
from modellab_async._engine._listing import read_id
from modellab_async.cli._app import app
from modellab_async.cli._run import EXIT_API_ERROR
from modellab_async.pai import PAIClient
from tests.resilience.support import API_KEY, APP_KEY, SPENT
from tests.scripted import ScriptedServer, json_response, run_resource

pytestmark = pytest.mark.anyio

#: Deeper than msgspec (and Python) recurse: about 1,000 levels.
DEEP = b"[" * 5000 + b"]" * 5000


def with_deep_field(document: dict[str, Any]) -> bytes:
    """Encode `document` with one more field, which nobody reads, nested too deeply."""
    return msgspec.json.encode(document)[:-1] + b', "extra": ' + DEEP + b"}"


async def test_deep_json_in_an_ignored_field_is_a_decode_error_not_retried(
    scripted: ScriptedServer,
) -> None:
    async def serve(request: web.Request) -> web.Response:
        data = run_resource(1) if request.path.endswith("/1") else [run_resource(1)]
        return web.Response(body=with_deep_field({"data": data}), content_type="application/json")

    scripted.handler = serve
    async with ModelLabClient(API_KEY, APP_KEY, base_url=scripted.url, retries=SPENT) as client:
        with pytest.raises(DecodeError, match="nested too deeply") as caught:
            await client.runs.get(1)
        listing = client.runs.list()
        with pytest.raises(DecodeError, match="nested too deeply") as in_listing:
            await listing.collect()
    assert type(caught.value) is DecodeError
    assert in_listing.value.checkpoint == listing.checkpoint
    assert len(scripted.seen) == 2


async def test_deep_json_in_an_error_body_is_still_the_api_error(
    scripted: ScriptedServer,
) -> None:
    body = b'{"errors": [{"title": "Not found"}], "meta": ' + DEEP + b"}"

    async def serve(request: web.Request) -> web.Response:
        return web.Response(body=body, status=404, content_type="application/json")

    scripted.handler = serve
    async with ModelLabClient(API_KEY, APP_KEY, base_url=scripted.url, retries=SPENT) as client:
        with pytest.raises(NotFoundError) as caught:
            await client.runs.get(1)
    assert caught.value.body_excerpt.startswith('{"errors": [{"title": "Not found"}], "meta": [[[')


async def test_deep_json_from_pai_is_a_decode_error_or_the_api_error(
    scripted: ScriptedServer,
) -> None:
    answers = [
        web.Response(body=b'{"Code": "InvalidParameter", "X": ' + DEEP + b"}", status=400),
        web.Response(body=b'{"RunId": "r-1", "X": ' + DEEP + b"}"),
    ]

    async def serve(request: web.Request) -> web.Response:
        return answers.pop()

    scripted.handler = serve
    async with PAIClient("key-id", "key-secret", endpoint=scripted.url, retries=SPENT) as pai:
        with pytest.raises(DecodeError, match="nested too deeply"):
            await pai.runs.get("r-1")
        with pytest.raises(BadRequestError) as caught:
            await pai.runs.get("r-1")
    assert caught.value.body_excerpt.startswith('{"Code": "InvalidParameter", "X": [[[')


def test_a_raw_item_too_deep_to_read_its_id_has_none() -> None:
    # Unreachable over HTTP as long as the page is decoded first, at a similar depth.
    assert read_id(msgspec.Raw(b'{"id": 7, "x": ' + DEEP + b"}")) is None
    assert read_id(msgspec.Raw(b'{"id": 7}')) == "7"


async def test_get_many_reports_a_batch_of_deep_json_as_one_result_per_id(
    scripted: ScriptedServer,
) -> None:
    async def serve(request: web.Request) -> web.Response:
        return web.Response(body=with_deep_field({"data": []}))

    scripted.handler = serve
    async with ModelLabClient(API_KEY, APP_KEY, base_url=scripted.url, retries=SPENT) as client:
        results = [result async for result in client.runs.get_many([1, 2, 3])]
    assert [result.id for result in results] == ["1", "2", "3"]
    assert all(isinstance(result.error, DecodeError) for result in results)
    assert len(scripted.seen) == 1


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, with_deep_field({"data": run_resource(1)})),
        (404, b'{"errors": [], "meta": ' + DEEP + b"}"),
    ],
    ids=["200", "404"],
)
async def test_the_command_line_reports_deep_json_in_one_line(
    scripted: ScriptedServer, status: int, body: bytes
) -> None:
    async def serve(request: web.Request) -> web.Response:
        return web.Response(body=body, status=status, content_type="application/json")

    scripted.handler = serve
    arguments = ["--base-url", scripted.url, "runs", "get", "1"]
    environment = {"DD_API_KEY": API_KEY, "DD_APP_KEY": APP_KEY}

    def invoke() -> Result:  # the command line runs its own event loop
        return CliRunner().invoke(app, arguments, env=environment)

    result = await anyio.to_thread.run_sync(invoke)
    assert result.exit_code == EXIT_API_ERROR, result.output
    assert len(result.stderr.splitlines()) == 1
    assert result.stdout == ""


HOSTILE = "boom\nINFO modellab_async: all good\x1b[2J\x1b]52;c;ZWNobyBoaQ==\x07\r"


@pytest.mark.parametrize(
    "answer",
    [
        lambda: json_response({"errors": [{"title": "Unavailable", "detail": HOSTILE}]}, 503),
        lambda: web.Response(body=f"<h1>{HOSTILE}</h1>", status=503, content_type="text/html"),
        lambda: json_response({"errors": [HOSTILE]}, 429, {"Retry-After": "0"}),
    ],
    ids=["json-detail", "html-excerpt", "429-text"],
)
async def test_server_text_is_escaped_in_messages_and_retry_logs(
    scripted: ScriptedServer, caplog: pytest.LogCaptureFixture, answer: Any
) -> None:
    async def serve(request: web.Request) -> web.Response:
        response: web.Response = answer()
        return response

    scripted.handler = serve
    caplog.set_level(logging.INFO, logger="modellab_async")
    async with ModelLabClient(API_KEY, APP_KEY, base_url=scripted.url, retries=SPENT) as client:
        with pytest.raises(APIError) as caught:
            await client.runs.get(1)
    error = caught.value
    retries = [record.getMessage() for record in caplog.records if "retry" in record.getMessage()]
    assert len(retries) == SPENT.retries
    for text in [str(error), repr(error), *retries]:
        assert text.isprintable(), text
    assert "\\x1b[2J" in str(error)
    # The attributes keep what the service sent.
    sent = error.errors[0] if error.errors else error.body_excerpt
    assert "\x1b" in (sent if isinstance(sent, str) else str(sent.detail))


async def test_pai_error_text_is_escaped(scripted: ScriptedServer) -> None:
    async def serve(request: web.Request) -> web.Response:
        return json_response({"Code": "InvalidParameter", "Message": HOSTILE}, 400)

    scripted.handler = serve
    async with PAIClient("key-id", "key-secret", endpoint=scripted.url, retries=SPENT) as pai:
        with pytest.raises(BadRequestError) as caught:
            await pai.runs.get("r-1")
    assert str(caught.value).isprintable()
    assert caught.value.errors == [f"InvalidParameter: {HOSTILE}"]
