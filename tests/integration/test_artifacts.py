"""Artifact content: read, stream and download over loopback."""

from __future__ import annotations

import hashlib
from contextlib import aclosing
from pathlib import Path

import pytest
from aiohttp import web

from modellab_async import DecodeError, ModelLabClient, NotFoundError, TransportError
from modellab_async.resources.artifacts import download_target
from tests.scripted import API, ScriptedServer, json_response

pytestmark = pytest.mark.anyio

CONTENT = bytes(range(256)) * 4096  # 1 MiB, several chunks


async def serve_content(request: web.Request) -> web.StreamResponse:
    if request.query["artifact_path"].endswith("missing.bin"):
        return json_response(
            {"errors": [{"title": "Generic Error", "detail": "artifact not found"}]}, 404
        )
    return web.Response(body=CONTENT, content_type="application/octet-stream")


async def reset_midway(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    response.content_length = len(CONTENT)
    await response.prepare(request)
    await response.write(CONTENT[: len(CONTENT) // 2])
    assert request.transport is not None
    request.transport.abort()
    return response


async def test_read_returns_the_bytes(scripted: ScriptedServer, client: ModelLabClient) -> None:
    scripted.handler = serve_content
    assert await client.artifacts.read(1, "runs/42/model/weights.pt") == CONTENT
    [seen] = scripted.seen
    assert seen.path == f"{API}/artifacts/content"
    assert seen.query == {"project_id": "1", "artifact_path": "runs/42/model/weights.pt"}
    assert seen.headers["Accept"] == "*/*"


async def test_read_can_cap_the_size(scripted: ScriptedServer, client: ModelLabClient) -> None:
    scripted.handler = serve_content
    with pytest.raises(DecodeError, match="1000-byte limit"):
        await client.artifacts.read(1, "a.bin", max_bytes=1000)


async def test_stream_yields_chunks(scripted: ScriptedServer, client: ModelLabClient) -> None:
    scripted.handler = serve_content
    chunks = [chunk async for chunk in client.artifacts.stream("1", "runs/42/model/weights.pt")]
    assert len(chunks) > 1
    assert b"".join(chunks) == CONTENT


async def test_stream_can_stop_early(scripted: ScriptedServer, client: ModelLabClient) -> None:
    scripted.handler = serve_content
    async with aclosing(client.artifacts.stream(1, "a.bin")) as chunks:
        async for _ in chunks:
            break
    assert await client.artifacts.read(1, "a.bin") == CONTENT  # the connection is usable again


async def test_missing_artifact(scripted: ScriptedServer, client: ModelLabClient) -> None:
    scripted.handler = serve_content
    with pytest.raises(NotFoundError, match="artifact not found"):
        await client.artifacts.read(1, "missing.bin")


async def test_download_to_a_file_path_creating_folders(
    scripted: ScriptedServer, client: ModelLabClient, tmp_path: Path
) -> None:
    scripted.handler = serve_content
    dest = tmp_path / "a" / "b" / "weights.pt"
    written = await client.artifacts.download(1, "runs/42/model/weights.pt", dest)
    assert written == dest
    assert hashlib.sha256(dest.read_bytes()).digest() == hashlib.sha256(CONTENT).digest()
    assert list(dest.parent.iterdir()) == [dest]


async def test_download_into_a_folder_uses_the_artifact_name(
    scripted: ScriptedServer, client: ModelLabClient, tmp_path: Path
) -> None:
    scripted.handler = serve_content
    written = await client.artifacts.download(1, "runs/42/model/weights.pt", str(tmp_path))
    assert written == tmp_path / "weights.pt"
    assert written.read_bytes() == CONTENT


async def test_download_never_escapes_the_folder(
    scripted: ScriptedServer, client: ModelLabClient, tmp_path: Path
) -> None:
    scripted.handler = serve_content
    inner = tmp_path / "inner"
    inner.mkdir()
    written = await client.artifacts.download(1, "../../etc/passwd", inner)
    assert written == inner / "passwd"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["inner", "passwd"]


@pytest.mark.parametrize("path", ["..", "runs/..", "/", "."])
def test_an_artifact_path_naming_no_file_cannot_go_into_a_folder(tmp_path: Path, path: str) -> None:
    with pytest.raises(ValueError, match="names no file"):
        download_target(tmp_path, path)


def test_backslashes_are_separators_too(tmp_path: Path) -> None:
    assert download_target(tmp_path, "..\\..\\evil.txt") == tmp_path / "evil.txt"


async def test_a_failed_download_leaves_no_partial_file_and_keeps_the_old_one(
    scripted: ScriptedServer, client: ModelLabClient, tmp_path: Path
) -> None:
    dest = tmp_path / "weights.pt"
    dest.write_bytes(b"old and complete")
    scripted.handler = reset_midway
    with pytest.raises(TransportError):
        await client.artifacts.download(1, "runs/42/model/weights.pt", dest)
    assert dest.read_bytes() == b"old and complete"
    assert list(tmp_path.iterdir()) == [dest]


async def test_an_error_answer_leaves_nothing_behind(
    scripted: ScriptedServer, client: ModelLabClient, tmp_path: Path
) -> None:
    scripted.handler = serve_content
    with pytest.raises(NotFoundError):
        await client.artifacts.download(1, "missing.bin", tmp_path)
    assert list(tmp_path.iterdir()) == []


async def test_download_replaces_an_existing_file_once_complete(
    scripted: ScriptedServer, client: ModelLabClient, tmp_path: Path
) -> None:
    dest = tmp_path / "weights.pt"
    dest.write_bytes(b"old")
    scripted.handler = serve_content
    await client.artifacts.download(1, "x/weights.pt", dest)
    assert dest.read_bytes() == CONTENT
