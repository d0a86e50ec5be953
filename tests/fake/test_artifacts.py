"""Artifact listings and artifact bytes."""

from __future__ import annotations

import aiohttp
import pytest

from modellab_async.testing import ArtifactFile, FakeModelLab

from .conftest import API, get_json

pytestmark = pytest.mark.anyio


def _completed_run(fake: FakeModelLab) -> tuple[int, int]:
    run = next(r for r in fake.dataset.runs if r.status == "completed" and not r.deleted_at)
    return run.id, run.project_id


async def test_run_artifacts_list_one_directory_level(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    run_id, _ = _completed_run(fake)
    _, root = await get_json(session, f"/runs/{run_id}/artifacts")
    assert root["data"]["id"] == str(run_id)
    assert root["data"]["type"] == "artifacts"
    assert root["data"]["attributes"]["path_in_project"] == f"runs/{run_id}"
    files = root["data"]["attributes"]["files"]
    assert {(f["path"], f["is_dir"]) for f in files} == {
        ("logs", True),
        ("metrics.json", False),
        ("model", True),
    }
    assert all(("file_size" in f) is (not f["is_dir"]) for f in files)
    _, nested = await get_json(session, f"/runs/{run_id}/artifacts", {"path": "logs/"})
    assert nested["data"]["attributes"]["files"] == [{"path": "logs/train", "is_dir": True}]
    _, missing = await get_json(session, f"/runs/{run_id}/artifacts", {"path": "nope"})
    assert missing["data"]["attributes"]["files"] == []


async def test_content_streams_bytes_with_their_length(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    run_id, project_id = _completed_run(fake)
    _, listing = await get_json(session, f"/runs/{run_id}/artifacts", {"path": "model"})
    weights = next(f for f in listing["data"]["attributes"]["files"] if f["path"].endswith(".pt"))
    params = {"project_id": str(project_id), "artifact_path": f"runs/{run_id}/{weights['path']}"}
    contents = []
    for _ in range(2):
        async with session.get(f"{API}/artifacts/content", params=params) as response:
            assert response.status == 200
            assert response.content_type == "application/octet-stream"
            assert response.content_length == weights["file_size"]
            contents.append(await response.read())
    assert len(contents[0]) == weights["file_size"]
    assert contents[0] == contents[1]


async def test_project_artifacts_and_their_content(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    _, listing = await get_json(session, "/projects/1/artifacts")
    assert listing["data"]["type"] == "project_files"
    for file in listing["data"]["attributes"]["files"]:
        assert file["artifact_path"].endswith(file["filename"])
        params = {"project_id": "1", "artifact_path": file["artifact_path"]}
        async with session.get(f"{API}/artifacts/content", params=params) as response:
            assert len(await response.read()) == file["file_size"]


async def test_stored_content_is_served_verbatim(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    run_id, project_id = _completed_run(fake)
    run = next(r for r in fake.dataset.runs if r.id == run_id)
    when = run.updated_at
    run.artifacts.append(ArtifactFile("notes.txt", 5, when, content=b"hello"))
    params = {"project_id": str(project_id), "artifact_path": f"runs/{run_id}/notes.txt"}
    async with session.get(f"{API}/artifacts/content", params=params) as response:
        assert await response.read() == b"hello"


@pytest.mark.parametrize("path", ["runs/1/missing.bin", "projects/1/artifacts/none", "runs/x/y"])
async def test_unknown_artifacts_answer_404(session: aiohttp.ClientSession, path: str) -> None:
    status, body = await get_json(
        session, "/artifacts/content", {"project_id": "1", "artifact_path": path}
    )
    assert status == 404
    assert body == {"errors": [{"title": "Generic Error", "detail": "artifact not found"}]}
