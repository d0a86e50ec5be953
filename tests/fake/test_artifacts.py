"""Artifact listings and artifact bytes."""

from __future__ import annotations

import json

import aiohttp
import pytest

from modellab_async.testing import ArtifactFile, FakeModelLab, MetricSummary, Param, Run

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


async def _run_file(session: aiohttp.ClientSession, run: Run, path: str) -> tuple[bytes, int]:
    """Return a run file's bytes and the size its folder's listing gives."""
    folder, _, _ = path.rpartition("/")
    _, listing = await get_json(session, f"/runs/{run.id}/artifacts", {"path": folder})
    [size] = [f["file_size"] for f in listing["data"]["attributes"]["files"] if f["path"] == path]
    params = {"project_id": str(run.project_id), "artifact_path": f"runs/{run.id}/{path}"}
    async with session.get(f"{API}/artifacts/content", params=params) as response:
        assert response.status == 200
        return await response.read(), size


def _as_written(value: str) -> object:
    """A param's value as the training script had it: a number or boolean when it spells one."""
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return decoded if isinstance(decoded, int | float | bool) else value


async def test_metrics_and_config_hold_the_runs_own_json(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    runs = [run for run in fake.runs() if run.artifacts][:40]
    assert any(run.params is None for run in runs)
    for run in runs:
        metrics, metrics_size = await _run_file(session, run, "metrics.json")
        config, config_size = await _run_file(session, run, "model/config.json")
        assert json.loads(metrics) == {s.key: s.latest for s in run.metric_summaries}
        assert json.loads(config) == {p.key: _as_written(p.value) for p in run.params or ()}
        assert (len(metrics), len(config)) == (metrics_size, config_size)
    assert any(isinstance(value, float) for value in json.loads(config).values())


async def test_logs_are_text_lines(fake: FakeModelLab, session: aiohttp.ClientSession) -> None:
    run = next(run for run in fake.runs() if run.artifacts)
    log, size = await _run_file(session, run, "logs/train/events.log")
    assert len(log) == size
    lines = log.decode("utf-8").splitlines(keepends=True)
    assert len(lines) > 10
    assert all(line.endswith("\n") and line[:-1].isprintable() for line in lines)
    assert all(line.startswith("INFO step=") for line in lines[:-1])


async def test_run_files_follow_changes_to_the_run(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    run = next(run for run in fake.runs() if run.artifacts)
    changed = fake.update_run(
        run.id,
        metric_summaries=[MetricSummary("bleu", 4, 0, 30, 31.5, 33.0, 30.2, 28.0)],
        params=[Param("beam_width", "5"), Param("use_cache", "true"), Param("tokenizer", "spm")],
    )
    metrics, metrics_size = await _run_file(session, changed, "metrics.json")
    config, config_size = await _run_file(session, changed, "model/config.json")
    assert json.loads(metrics) == {"bleu": 31.5}
    assert json.loads(config) == {"beam_width": 5, "use_cache": True, "tokenizer": "spm"}
    assert (len(metrics), len(config)) == (metrics_size, config_size)
    sizes = {file.path: file.size for file in changed.artifacts}
    assert (sizes["metrics.json"], sizes["model/config.json"]) == (len(metrics), len(config))


@pytest.mark.parametrize("path", ["runs/1/missing.bin", "projects/1/artifacts/none", "runs/x/y"])
async def test_unknown_artifacts_answer_404(session: aiohttp.ClientSession, path: str) -> None:
    status, body = await get_json(
        session, "/artifacts/content", {"project_id": "1", "artifact_path": path}
    )
    assert status == 404
    assert body == {"errors": [{"title": "Generic Error", "detail": "artifact not found"}]}
