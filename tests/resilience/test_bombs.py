"""Decompression bombs: the body cap counts inflated bytes, on every path, whatever the framing.

A refused bomb is a `DecodeError` that is not retried; a bomb in an error body
is still that status's `APIError`, retried as such, with its excerpt cut. Peak
memory stays near `max_body_size` (`python -m tests.resilience.bombs` measures
the resident figure in a fresh process).
"""

from __future__ import annotations

import tracemalloc
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest

from modellab_async import DecodeError, ModelLabClient, ModelLabError, ServerError
from tests.resilience.bombs import FILLER, FRAMINGS, BombServer, bomb, brotli_installed
from tests.resilience.support import API_KEY, APP_KEY, SPENT

pytestmark = pytest.mark.anyio

#: `max_body_size` of these tests, and how far beyond it traced memory may peak.
CAP = 2**20
MARGIN = 8 * 2**20
#: What each bomb inflates to, 64 times the cap, from about 130 KB on the wire.
INFLATED = 64 * 2**20
ENCODINGS = [
    "gzip",
    "deflate",
    pytest.param(
        "br", marks=pytest.mark.skipif(not brotli_installed(), reason="brotli is not installed")
    ),
]


@asynccontextmanager
async def bombed(
    encoding: str, framing: str, status: int = 200, **options: Any
) -> AsyncIterator[tuple[BombServer, ModelLabClient]]:
    body = bomb(encoding, INFLATED)  # made before memory is traced
    async with (
        BombServer(body, encoding, framing, status) as server,
        ModelLabClient(API_KEY, APP_KEY, base_url=server.url, retries=SPENT, **options) as client,
    ):
        yield server, client


async def refused(call: Awaitable[object]) -> tuple[ModelLabError, int]:
    """Await `call`, which must fail; return its error and the peak memory traced meanwhile."""
    tracemalloc.start()
    try:
        with anyio.fail_after(60), pytest.raises(ModelLabError) as caught:
            await call
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return caught.value, peak


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_a_bomb_in_a_listing_is_refused_at_the_cap_and_fetched_once(
    encoding: str, framing: str
) -> None:
    async with bombed(encoding, framing, max_body_size=CAP) as (server, client):
        listing = client.runs.list(page_size=100)
        error, peak = await refused(listing.collect())
    assert type(error) is DecodeError  # not a MalformedBodyError, which is retried
    assert f"{CAP}-byte limit" in str(error)
    assert error.checkpoint == listing.checkpoint
    assert server.requests == 1
    assert peak < CAP + MARGIN, f"{peak / 2**20:.1f} MiB traced for a {CAP / 2**20:.0f} MiB cap"


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_a_bomb_as_an_artifact_comes_as_stored_never_inflated(
    encoding: str, framing: str
) -> None:
    # Artifact content is the stored bytes: a Content-Encoding is never undone.
    async with bombed(encoding, framing) as (server, client):
        tracemalloc.start()
        try:
            content = await client.artifacts.read(1, "model.bin")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert content == server.body
        assert peak < len(server.body) * 4 + MARGIN
        too_small = len(server.body) - 1
        error, _ = await refused(client.artifacts.read(1, "model.bin", max_bytes=too_small))
    assert type(error) is DecodeError
    assert f"{too_small}-byte limit" in str(error)
    assert server.requests == 2


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("encoding", ENCODINGS)
async def test_a_bomb_as_an_error_body_is_still_the_server_error_with_a_cut_excerpt(
    encoding: str, framing: str
) -> None:
    async with bombed(encoding, framing, status=503, max_body_size=CAP) as (server, client):
        error, peak = await refused(client.runs.get(1))
    assert isinstance(error, ServerError)
    assert error.status == 503
    assert error.body_excerpt.startswith(FILLER.decode().strip())
    assert len(error.body_excerpt) <= 200
    assert server.requests == SPENT.retries + 1  # retried as any 503
    assert peak < CAP + MARGIN, f"{peak / 2**20:.1f} MiB traced for a {CAP / 2**20:.0f} MiB cap"
