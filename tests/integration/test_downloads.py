"""Artifact content under hostile conditions: encodings, slow and lost bodies, closing, odd files."""

from __future__ import annotations

import gzip
import os
import stat
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from pathlib import Path

import aiohttp
import anyio
import anyio.lowlevel
import pytest
from aiohttp import web

from modellab_async import (
    ClientStateError,
    DecodeError,
    ModelLabClient,
    ModelLabError,
    RetryPolicy,
)
from tests.integration.conftest import API_KEY, APP_KEY
from tests.scripted import ScriptedServer

pytestmark = pytest.mark.anyio

CONTENT = bytes(range(256)) * 1024  # 256 KiB, several chunks
QUICK = RetryPolicy(retries=3, backoff=0.01, max_backoff=0.05)


def connect(server: ScriptedServer, **options: object) -> ModelLabClient:
    settings: dict[str, object] = {"retries": QUICK} | options
    return ModelLabClient(API_KEY, APP_KEY, base_url=server.url, **settings)  # type: ignore[arg-type]


async def serve(request: web.Request) -> web.StreamResponse:
    return web.Response(body=CONTENT, content_type="application/octet-stream")


async def serve_chunked(request: web.Request) -> web.StreamResponse:
    """The content without a Content-Length, so that only counting can limit it."""
    response = web.StreamResponse()
    response.enable_chunked_encoding()
    await response.prepare(request)
    for start in range(0, len(CONTENT), 16 * 1024):
        await response.write(CONTENT[start : start + 16 * 1024])
    await response.write_eof()
    return response


# Content-Encoding: artifact content is the bytes as stored


STORED_GZ = gzip.compress(CONTENT)


async def serve_stored_gz(request: web.Request) -> web.StreamResponse:
    # An object store serving a stored `.gz` with its metadata, whatever was asked for.
    return web.Response(
        body=STORED_GZ,
        headers={"Content-Type": "application/gzip", "Content-Encoding": "gzip"},
    )


async def test_read_stream_and_download_return_the_stored_bytes_of_an_encoded_artifact(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.handler = serve_stored_gz
    async with connect(scripted) as client:
        read = await client.artifacts.read(1, "runs/42/logs.gz")
        streamed = b"".join([chunk async for chunk in client.artifacts.stream(1, "logs.gz")])
        written = await client.artifacts.download(1, "runs/42/logs.gz", tmp_path)
    assert read == streamed == written.read_bytes() == STORED_GZ
    assert {seen.headers["Accept-Encoding"] for seen in scripted.seen} == {"identity"}


# max_bytes: counted on the bytes delivered


@pytest.mark.parametrize("handler", [serve, serve_chunked], ids=["content-length", "chunked"])
async def test_a_download_over_max_bytes_fails_and_leaves_no_file(
    scripted: ScriptedServer, tmp_path: Path, handler: Callable[..., Awaitable[web.StreamResponse]]
) -> None:
    scripted.handler = handler
    async with connect(scripted) as client:
        with pytest.raises(DecodeError, match="100000-byte limit"):
            await client.artifacts.download(1, "weights.pt", tmp_path, max_bytes=100_000)
        assert list(tmp_path.iterdir()) == []
        written = await client.artifacts.download(1, "weights.pt", tmp_path, max_bytes=len(CONTENT))
    assert written.read_bytes() == CONTENT
    assert len(scripted.seen) == 2  # the limit is not retried


async def test_a_stream_delivers_at_most_max_bytes(scripted: ScriptedServer) -> None:
    scripted.handler = serve_chunked
    delivered = 0

    async def count(chunks: AsyncIterator[bytes]) -> None:
        nonlocal delivered
        async for chunk in chunks:
            delivered += len(chunk)

    async with connect(scripted) as client:
        with pytest.raises(DecodeError, match="100000-byte limit"):
            await count(client.artifacts.stream(1, "weights.pt", max_bytes=100_000))
    assert 0 < delivered <= 100_000


async def test_read_counts_the_bytes_as_stored(scripted: ScriptedServer) -> None:
    scripted.handler = serve_stored_gz
    async with connect(scripted) as client:
        assert await client.artifacts.read(1, "a.gz", max_bytes=len(STORED_GZ)) == STORED_GZ
        with pytest.raises(DecodeError, match="byte limit"):
            await client.artifacts.read(1, "a.gz", max_bytes=len(STORED_GZ) - 1)


# aclose() ends a download or a stream in progress


class Stall:
    """Send the first 64 KiB of the content, then nothing until released."""

    def __init__(self) -> None:
        self.release = anyio.Event()
        self.sent = anyio.Event()

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.content_length = len(CONTENT)
        await response.prepare(request)
        await response.write(CONTENT[: 64 * 1024])
        self.sent.set()
        await self.release.wait()
        return response


@pytest.fixture
async def stall(scripted: ScriptedServer) -> AsyncIterator[Stall]:
    scripted.handler = handler = Stall()
    yield handler
    handler.release.set()


UNBOUNDED = aiohttp.ClientTimeout(total=None, sock_read=None)


async def test_closing_the_client_ends_a_download_and_removes_its_part_file(
    scripted: ScriptedServer, stall: Stall, tmp_path: Path
) -> None:
    errors: list[ModelLabError] = []

    async def download(client: ModelLabClient) -> None:
        try:
            await client.artifacts.download(1, "weights.pt", tmp_path)
        except ModelLabError as error:
            errors.append(error)

    with anyio.fail_after(10):
        async with connect(scripted, timeout=UNBOUNDED) as client, anyio.create_task_group() as tg:
            tg.start_soon(download, client)
            await stall.sent.wait()
            await anyio.wait_all_tasks_blocked()  # the download waits for more of the body
            assert len(list(tmp_path.iterdir())) == 1  # its .part file
            await client.aclose()
    [error] = errors
    assert isinstance(error, ClientStateError)
    assert "closed" in str(error)
    assert list(tmp_path.iterdir()) == []


async def test_closing_the_client_ends_a_stream(scripted: ScriptedServer, stall: Stall) -> None:
    with anyio.fail_after(10):
        async with (
            connect(scripted, timeout=UNBOUNDED) as client,
            aclosing(client.artifacts.stream(1, "weights.pt")) as chunks,
        ):
            await anext(chunks)
            async with anyio.create_task_group() as tg:
                tg.start_soon(client.aclose)
                with pytest.raises(ClientStateError, match="closed"):
                    await anext(chunks)


# Large artifacts: bounded per read, not in total; resumed after a lost connection


async def trickle(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    response.content_length = len(CONTENT)
    await response.prepare(request)
    step = len(CONTENT) // 10
    for start in range(0, len(CONTENT), step):
        await response.write(CONTENT[start : start + step])
        await anyio.sleep(0.08)
    return response


async def test_a_body_that_outlasts_the_timeout_while_flowing_downloads(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    # 10 pieces 0.08 s apart: a 0.5 s total would expire, a 0.5 s bound per read does not.
    scripted.handler = trickle
    async with connect(scripted, timeout=0.5, retries=0) as client:
        written = await client.artifacts.download(1, "weights.pt", tmp_path)
        assert written.read_bytes() == CONTENT
        assert b"".join([chunk async for chunk in client.artifacts.stream(1, "w")]) == CONTENT


class Flaky:
    """Lose the connection halfway through the first answer, then answer as configured.

    `ranges` is what later answers do with a `Range` header: "honour" it,
    "ignore" it (the whole content again), or "lie" with a wrong `Content-Range`
    (or an "absurd" one).
    """

    def __init__(self, ranges: str, content: bytes = CONTENT, etag: str = '"v1"') -> None:
        self.ranges = ranges
        self.content = content
        self.etag = etag
        self.ranges_asked: list[str | None] = []

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        self.ranges_asked.append(request.headers.get("Range"))
        if len(self.ranges_asked) == 1:
            response = web.StreamResponse(headers={"ETag": '"v1"'})
            response.content_length = len(CONTENT)
            await response.prepare(request)
            await response.write(CONTENT[: len(CONTENT) // 2 + 100])
            await anyio.sleep(0.05)  # let the client take the bytes before the reset
            assert request.transport is not None
            request.transport.abort()
            return response
        asked = request.headers.get("Range")
        headers = {"ETag": self.etag, "Accept-Ranges": "bytes"}
        if asked is None or self.ranges == "ignore":
            return web.Response(body=self.content, headers=headers)
        start = int(asked.removeprefix("bytes=").removesuffix("-"))
        if self.ranges == "lie":
            start = 0  # claims to start at 0, the whole content again
        size = len(self.content)
        headers["Content-Range"] = f"bytes {start}-{size - 1}/{size}"
        if self.ranges == "absurd":
            headers["Content-Range"] = f"bytes {start}-{'9' * 4400}/{size}"  # past int()'s limit
        return web.Response(body=self.content[start:], status=206, headers=headers)


@pytest.mark.parametrize("ranges", ["honour", "ignore"])
async def test_a_lost_connection_resumes_or_restarts_without_corrupting(
    scripted: ScriptedServer, tmp_path: Path, ranges: str
) -> None:
    scripted.handler = flaky = Flaky(ranges)
    async with connect(scripted) as client:
        written = await client.artifacts.download(1, "weights.pt", tmp_path)
    assert written.read_bytes() == CONTENT
    assert list(tmp_path.iterdir()) == [written]
    first, second = flaky.ranges_asked
    assert first is None
    assert second is not None
    assert second.startswith("bytes=")
    assert 0 < int(second.removeprefix("bytes=").removesuffix("-")) < len(CONTENT)


async def test_a_stream_resumes_where_its_reader_stopped(scripted: ScriptedServer) -> None:
    scripted.handler = Flaky("honour")
    async with connect(scripted) as client:
        assert b"".join([chunk async for chunk in client.artifacts.stream(1, "w")]) == CONTENT


@pytest.mark.parametrize(
    ("flaky", "reason"),
    [
        (Flaky("lie"), "Content-Range"),
        (Flaky("absurd"), "Content-Range"),
        (Flaky("honour", etag='"v2"'), "changed"),
        (Flaky("ignore", content=CONTENT[:-1]), "changed"),
    ],
    ids=["wrong-range", "absurd-range", "new-etag", "new-length"],
)
async def test_a_resumed_answer_that_does_not_continue_the_content_is_refused(
    scripted: ScriptedServer, tmp_path: Path, flaky: Flaky, reason: str
) -> None:
    scripted.handler = flaky
    dest = tmp_path / "weights.pt"
    dest.write_bytes(b"old")
    async with connect(scripted) as client:
        with pytest.raises(DecodeError, match=reason):
            await client.artifacts.download(1, "weights.pt", dest)
    assert dest.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [dest]


# Destinations


@pytest.mark.parametrize("separator", sorted({"/", os.sep}))
async def test_a_destination_ending_in_a_separator_is_a_folder_created_on_demand(
    scripted: ScriptedServer, tmp_path: Path, separator: str
) -> None:
    scripted.handler = serve
    async with connect(scripted) as client:
        written = await client.artifacts.download(
            1, "runs/42/weights.pt", f"{tmp_path / 'downloads'}{separator}"
        )
        again = await client.artifacts.download(
            1, "runs/42/other.pt", f"{tmp_path / 'downloads'}{separator}"
        )
    assert written == tmp_path / "downloads" / "weights.pt"
    assert again == tmp_path / "downloads" / "other.pt"
    assert written.read_bytes() == again.read_bytes() == CONTENT


async def test_a_replaced_file_keeps_its_permission_bits(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.handler = serve
    dest = tmp_path / "secret.bin"
    dest.write_bytes(b"old")
    dest.chmod(0o600)
    async with connect(scripted) as client:
        await client.artifacts.download(1, "secret.bin", dest)
    assert dest.read_bytes() == CONTENT
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
async def test_a_special_file_at_the_destination_is_refused(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.handler = serve
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "out"
    link.symlink_to(os.devnull)
    async with connect(scripted) as client:
        for dest in (fifo, link):
            with pytest.raises(ValueError, match="not a regular file"):
                await client.artifacts.download(1, "weights.pt", dest)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert link.is_symlink()
    assert scripted.seen == []  # refused before anything was asked


async def test_a_name_of_255_bytes_downloads(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.handler = serve
    name = "é" * 100 + "w" * 55  # 255 bytes in UTF-8
    async with connect(scripted) as client:
        written = await client.artifacts.download(1, f"runs/42/{name}", tmp_path)
    assert written.name == name
    assert written.read_bytes() == CONTENT


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.mark.skipif(os.name != "posix", reason="process ids are checked on POSIX only")
async def test_part_files_of_killed_downloads_are_swept_and_no_others(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.handler = serve
    hour_ago = time.time() - 3600
    orphan = tmp_path / f".weights.pt.{dead_pid()}.0123456789ab.part"
    recent = tmp_path / f".other.pt.{dead_pid()}.0123456789ab.part"  # may still be in use
    alive = tmp_path / f".third.pt.{os.getppid()}.0123456789ab.part"  # its process runs
    mine = tmp_path / f".fourth.pt.{os.getpid()}.0123456789ab.part"  # this process's
    unrelated = tmp_path / ".notes.part"
    for path in (orphan, recent, alive, mine, unrelated):
        path.write_bytes(b"partial")
    for path in (orphan, alive, mine, unrelated):
        os.utime(path, (hour_ago, hour_ago))
    async with connect(scripted) as client:
        written = await client.artifacts.download(1, "runs/42/weights.pt", tmp_path)
    assert sorted(tmp_path.iterdir()) == sorted([written, recent, alive, mine, unrelated])


async def test_closing_the_client_as_a_stream_begins_ends_it(scripted: ScriptedServer) -> None:
    # The close comes before the client's job that reads the content has run at all.
    scripted.handler = serve
    errors: list[ClientStateError] = []

    async def read_first(chunks: AsyncIterator[bytes]) -> None:
        try:
            await anext(chunks)
        except ClientStateError as error:
            errors.append(error)

    with anyio.fail_after(10):
        async with (
            connect(scripted) as client,
            aclosing(client.artifacts.stream(1, "weights.pt")) as chunks,
            anyio.create_task_group() as tg,
        ):
            tg.start_soon(read_first, chunks)
            await anyio.lowlevel.checkpoint()  # the reader spawns the job, which has not run yet
            await client.aclose()
    assert len(errors) == 1
