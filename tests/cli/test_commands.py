"""Every command, run in-process through click's runner against the fake server."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import msgspec
import pytest

from modellab_async import Project, Run
from modellab_async.testing import ArtifactFile
from tests.cli.conftest import FakeModellab


def jsonl_one(line: str) -> dict[str, object]:
    decoded: dict[str, object] = msgspec.json.decode(line)
    return decoded


def jsonl(text: str) -> list[dict[str, object]]:
    return [jsonl_one(line) for line in text.splitlines()]


def test_runs_list_streams_the_api_objects_as_json_lines(modellab: FakeModellab) -> None:
    result = modellab.invoke(
        "runs", "list", "--project", "2", "--limit", "150", "--page-size", "40"
    )
    assert result.exit_code == 0, result.stderr
    runs = [msgspec.json.decode(line, type=Run) for line in result.stdout.splitlines()]
    assert len(runs) == 150
    assert {run.attributes.project_id for run in runs} == {2}
    assert result.stderr == ""  # no progress bar off a terminal


def test_runs_list_passes_every_filter_to_the_service(modellab: FakeModellab) -> None:
    result = modellab.invoke(
        "runs", "list", "--id", "3", "--id", "4", "-q", "gpt2", "--owner", "u",
        "--status", "completed", "--project", "1", "--tag", "model:gpt2", "--tag", "stage:dev",
        "--param", "optimizer:adam", "--root-only", "--pinned-first", "--include-pinned",
        "--include-descendant-matches", "--sort", "-name", "--page-size", "7", "--start-page", "0",
        "--concurrency", "2", "--limit", "1",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    query = dict(modellab.fake.requests[-1].query)
    assert query == {
        "filter[id]": "3,4",
        "filter": "gpt2",
        "filter[owner_id]": "u",
        "filter[status]": "completed",
        "filter[project_id]": "1",
        "filter[tags]": "model:gpt2,stage:dev",
        "filter[params]": "optimizer:adam",
        "filter[parent_run_id]": "null",
        "pinned_first": "true",
        "include_pinned": "true",
        "include_descendant_matches": "true",
        "sort": "-name",
        "page[number]": "0",
        "page[size]": "7",
    }


def test_runs_list_as_csv_has_the_frame_columns(modellab: FakeModellab) -> None:
    result = modellab.invoke("runs", "list", "--project", "1", "--limit", "30", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 30
    header = list(rows[0])
    assert header[:4] == ["id", "project_id", "name", "status"]
    assert "param.learning_rate" in header
    assert "metric.loss.min" in header
    assert all(row["project_id"] == "1" for row in rows)


def test_runs_list_as_a_table(modellab: FakeModellab) -> None:
    result = modellab.invoke("runs", "list", "--limit", "3", "--format", "table")
    assert result.exit_code == 0, result.stderr
    header = result.stdout.splitlines()[1]
    for column in ("id", "project_id", "name", "status", "created_at", "duration"):
        assert column in header
    assert len(result.stdout.splitlines()) == 3 + 4  # three rows, four lines of frame


def test_runs_list_as_parquet(modellab: FakeModellab, tmp_path: Path) -> None:
    import pyarrow.parquet as pq  # noqa: PLC0415

    target = tmp_path / "runs.parquet"
    result = modellab.invoke(
        "runs", "list", "--project", "3", "--format", "parquet", "-o", str(target)
    )
    assert result.exit_code == 0, result.stderr
    table = pq.read_table(target)
    listed = modellab.invoke("runs", "list", "--project", "3").stdout.splitlines()
    assert table.num_rows == len(listed) > 100
    assert table.column("id").to_pylist() == [line["id"] for line in map(jsonl_one, listed)]
    assert str(table.schema.field("created_at").type) == "timestamp[us, tz=UTC]"
    assert str(table.schema.field("metric.loss.count").type) == "int64"
    assert str(table.schema.field("param.learning_rate").type) == "double"


def test_get_shows_one_record(modellab: FakeModellab) -> None:
    run = modellab.invoke("runs", "get", "5", "--format", "jsonl")
    assert msgspec.json.decode(run.stdout, type=Run).id == "5"
    project = modellab.invoke("projects", "get", "2", "--format", "jsonl")
    assert msgspec.json.decode(project.stdout, type=Project).id == "2"
    table = modellab.invoke("runs", "get", "5", "--format", "table")
    assert table.stdout.split()[:2] == ["id", "5"]


def test_pin_unpin_star_unstar_and_delete_change_the_service(modellab: FakeModellab) -> None:
    def pinned() -> bool:
        run = msgspec.json.decode(modellab.invoke("runs", "get", "9").stdout, type=Run)
        return run.attributes.is_pinned

    def starred() -> bool:
        text = modellab.invoke("projects", "get", "1").stdout
        return msgspec.json.decode(text, type=Project).attributes.is_starred

    assert modellab.invoke("runs", "pin", "9").exit_code == 0
    assert pinned()
    assert modellab.invoke("runs", "unpin", "9").exit_code == 0
    assert not pinned()
    assert modellab.invoke("projects", "star", "1").exit_code == 0
    assert starred()
    assert modellab.invoke("projects", "unstar", "1").exit_code == 0
    assert not starred()

    refused = modellab.invoke("runs", "delete", "11", input="n\n")
    assert refused.exit_code == 1
    assert modellab.invoke("runs", "get", "11").exit_code == 0
    assert modellab.invoke("runs", "delete", "11", "--yes").exit_code == 0
    gone = modellab.invoke("runs", "get", "11")
    assert gone.exit_code == 1
    assert gone.stderr.startswith("Error: HTTP 404")


def test_projects_list_and_its_filters(modellab: FakeModellab) -> None:
    result = modellab.invoke("projects", "list", "--sort", "name", "--format", "csv")
    names = [row["name"] for row in csv.DictReader(io.StringIO(result.stdout))]
    assert names == sorted(names)
    assert len(names) == 3
    modellab.invoke("projects", "list", "-q", "fraud", "--tag", "team:nlp", "--owner", "u")
    query = dict(modellab.fake.requests[-1].query)
    assert query["filter"] == "fraud"
    assert query["filter[tags]"] == "team:nlp"
    assert query["filter[owner_id]"] == "u"


def test_run_facets_keys_and_values(modellab: FakeModellab) -> None:
    keys = modellab.invoke("runs", "facets", "1", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(keys.stdout)))
    assert {"facet_type": "metric", "facet_name": "loss"} in rows
    assert {"facet_type": "parameter", "facet_name": "optimizer"} in rows

    metric = modellab.invoke(
        "runs", "facets", "1", "--type", "metric", "--name", "loss", "--format", "csv"
    )
    assert metric.stdout.splitlines()[0] == "stat,min,max"

    values = modellab.invoke(
        "runs", "facets", "1", "--type", "parameter", "--name", "optimizer", "--format", "csv"
    )
    assert values.stdout.split() == ["value", "adam", "adamw", "lion", "sgd"]

    missing_type = modellab.invoke("runs", "facets", "1", "--name", "loss")
    assert missing_type.exit_code == 2


def test_project_facets(modellab: FakeModellab) -> None:
    keys = modellab.invoke("projects", "facets", "--format", "csv")
    assert keys.stdout.split() == ["facet_type,facet_name", "tag,domain", "tag,team"]
    values = jsonl(modellab.invoke("projects", "facets", "--name", "team").stdout)
    assert values[0]["type"] == "facet_values"


def test_artifacts_ls_of_a_run_and_of_a_project(modellab: FakeModellab) -> None:
    top = jsonl(modellab.invoke("artifacts", "ls", "--run", "5").stdout)
    assert all("/" not in str(entry["path"]) for entry in top)
    tree = jsonl(modellab.invoke("artifacts", "ls", "--run", "5", "-r").stdout)
    files = [entry for entry in tree if not entry["is_dir"]]
    assert "metrics.json" in {entry["path"] for entry in files}
    assert all(str(entry["artifact_path"]).startswith("runs/5/") for entry in files)

    project = jsonl(modellab.invoke("artifacts", "ls", "--project", "1").stdout)
    assert {entry["filename"] for entry in project} == {"README.md", "train.csv", "model.pkl"}

    assert modellab.invoke("artifacts", "ls").exit_code == 2
    assert modellab.invoke("artifacts", "ls", "--run", "5", "--project", "1").exit_code == 2


def test_artifacts_get_to_stdout_and_to_a_file(modellab: FakeModellab, tmp_path: Path) -> None:
    entry = next(
        e for e in jsonl(modellab.invoke("artifacts", "ls", "--run", "5").stdout)
        if e["path"] == "metrics.json"
    )  # fmt: skip
    project_id, path = str(entry["project_id"]), str(entry["artifact_path"])
    content = modellab.invoke("artifacts", "get", project_id, path).stdout_bytes
    assert len(content) == entry["file_size"]

    written = modellab.invoke("artifacts", "get", project_id, path, "-o", str(tmp_path))
    assert written.stdout.strip() == str(tmp_path / "metrics.json")
    assert (tmp_path / "metrics.json").read_bytes() == content


def test_artifacts_download_writes_the_whole_tree(modellab: FakeModellab, tmp_path: Path) -> None:
    result = modellab.invoke("artifacts", "download", "5", str(tmp_path), "--concurrency", "2")
    assert result.exit_code == 0, result.stderr
    listed = jsonl(modellab.invoke("artifacts", "ls", "--run", "5", "-r").stdout)
    expected = {str(e["path"]): e["file_size"] for e in listed if not e["is_dir"]}
    written = {p.relative_to(tmp_path).as_posix(): p.stat().st_size for p in tmp_path.rglob("*")}
    assert {path: size for path, size in written.items() if path in expected} == expected
    assert sorted(result.stdout.split()) == sorted(str(tmp_path / p) for p in expected)
    assert result.stderr == ""


def test_artifacts_download_refuses_paths_that_leave_the_folder(
    modellab: FakeModellab, tmp_path: Path
) -> None:
    run = next(r for r in modellab.fake.dataset.runs if r.id == 6)
    run.artifacts.append(ArtifactFile("../escape.txt", 3, run.created_at))
    try:
        result = modellab.invoke("artifacts", "download", "6", str(tmp_path / "dest"))
    finally:
        run.artifacts.pop()
    assert result.exit_code == 1
    assert "outside" in result.stderr
    assert not (tmp_path / "escape.txt").exists()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("runs", "get", "99999"), 1, "Error: HTTP 404 for GET"),
        (("runs", "list", "--sort", "bogus"), 2, "Error: sort must be one of"),
        (("runs", "list", "--tag", "no-colon"), 2, "Error: tags must look like"),
        (("runs", "list", "--root-only", "--parent", "3"), 2, "Error: give parent_run_id"),
        (("runs", "get", "1"), 2, "DD_API_KEY"),
    ],
)
def test_errors_are_one_line_with_an_exit_code(
    modellab: FakeModellab, args: tuple[str, ...], code: int, message: str
) -> None:
    env = {"DD_API_KEY": ""} if message == "DD_API_KEY" else None
    result = modellab.invoke(*args, env=env)
    assert result.exit_code == code
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert result.stdout == ""


def test_usage_errors_exit_2(modellab: FakeModellab) -> None:
    assert modellab.invoke("runs", "list", "--status", "nope").exit_code == 2
    assert modellab.invoke("runs", "get", "0").exit_code == 2
    assert modellab.invoke("runs", "get", "5", "--format", "parquet").exit_code == 2


def test_an_unreachable_service_exits_1(modellab: FakeModellab) -> None:
    result = modellab.invoke("--base-url", "http://127.0.0.1:9", "runs", "get", "1")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert len(result.stderr.splitlines()) == 1
