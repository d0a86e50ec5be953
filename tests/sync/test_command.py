"""`modellab sync` as a pipeline schedules it: a DuckDB file, one summary line, one-line errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dlt.common.versioned_state import compress_state, decompress_state

from modellab_async.testing import FakeModelLab

from .conftest import copy_of, invoke, served_by

pytestmark = pytest.mark.anyio

SUMMARY = re.compile(
    r"runs: (?P<runs>[\d,]+ new, [\d,]+ updated, [\d,]+ deleted); "
    r"projects: (?P<projects>[\d,]+ new, [\d,]+ updated, [\d,]+ deleted); "
    r"(?P<requests>[\d,]+) requests in [\d.]+ s"
)


def summary(stdout: str) -> dict[str, str]:
    [line] = stdout.splitlines()
    match = SUMMARY.fullmatch(line)
    assert match is not None, line
    return match.groupdict()


def one_line_error(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


async def test_sync_writes_modellab_duckdb_here_then_only_what_changed(
    fake: FakeModelLab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    first = await invoke(fake, "sync")
    assert first.exit_code == 0, first.stderr
    assert first.stderr == ""  # no terminal: no progress bar
    live = len(fake.runs())
    assert summary(first.stdout) == {
        "runs": f"{live} new, 0 updated, 0 deleted",
        "projects": "4 new, 0 updated, 0 deleted",
        "requests": "5",
    }
    database = tmp_path / "modellab.duckdb"
    assert copy_of(database) == served_by(fake)

    quiet = await invoke(fake, "sync")
    assert summary(quiet.stdout) == {
        "runs": "0 new, 0 updated, 0 deleted",
        "projects": "0 new, 0 updated, 0 deleted",
        "requests": "2",
    }

    runs = fake.runs()
    for run in runs[:3]:
        fake.delete_run(run.id)
    for run in runs[3:8]:
        fake.update_run(run.id, status="killed")
    fake.add_run(project_id=1)
    changed = await invoke(fake, "sync", "--reconcile")
    assert changed.exit_code == 0, changed.stderr
    counts = summary(changed.stdout)
    assert counts["runs"] == "1 new, 5 updated, 3 deleted"
    assert counts["projects"] == "0 new, 0 updated, 0 deleted"
    assert copy_of(database) == served_by(fake)


async def test_output_names_another_file_and_project_restricts_it(
    fake: FakeModelLab, tmp_path: Path
) -> None:
    database = tmp_path / "elsewhere.duckdb"
    result = await invoke(
        fake, "sync", "--output", str(database), "--project", "1", "--project", "3"
    )
    assert result.exit_code == 0, result.stderr
    served = served_by(fake)
    copy = copy_of(database)
    assert copy["runs"] == [row for row in served["runs"] if row[1] in ("1", "3")]
    assert [row[0] for row in copy["projects"]] == ["1", "3"]
    full = await invoke(
        fake, "sync", "-o", str(database), "--project", "1", "--project", "3", "--full"
    )
    assert summary(full.stdout)["runs"] == f"0 new, {len(copy['runs'])} updated, 0 deleted"


async def test_a_project_that_does_not_exist_writes_nothing(
    fake: FakeModelLab, tmp_path: Path
) -> None:
    database = tmp_path / "new.duckdb"
    result = await invoke(fake, "sync", "-o", str(database), "--project", "2", "--project", "99")
    assert result.exit_code == 1
    assert "404" in one_line_error(result.stderr)
    assert not database.exists()  # a first sync that failed leaves no file behind


async def test_a_file_that_is_not_a_duckdb_database_is_left_alone(
    fake: FakeModelLab, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.duckdb"
    notes.write_text("not a database\n")
    result = await invoke(fake, "sync", "-o", str(notes))
    assert result.exit_code == 1
    assert "not a valid DuckDB database" in one_line_error(result.stderr)
    assert notes.read_text() == "not a database\n"
    assert fake.requests == []  # the destination is checked before the service is asked


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        (("-o", "missing-folder/copy.duckdb"), 1, "Cannot open file"),
        (("--destination", "postgres"), 2, "credentials"),
        (("--destination", "no_such_destination"), 2, "no_such_destination"),
    ],
)
async def test_an_unusable_destination_is_one_line(
    fake: FakeModelLab,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    exit_code: int,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    result = await invoke(fake, "sync", *args)
    assert result.exit_code == exit_code
    assert message in one_line_error(result.stderr)
    assert list(tmp_path.iterdir()) == []
    assert fake.requests == []


async def test_output_and_destination_exclude_each_other(fake: FakeModelLab) -> None:
    result = await invoke(fake, "sync", "-o", "a.duckdb", "--destination", "postgres")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: give --output (a DuckDB file) or --destination, not both"
    )


async def test_a_bad_watermark_in_the_state_is_one_line_and_full_starts_over(
    fake: FakeModelLab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert (await invoke(fake, "sync")).exit_code == 0
    database = tmp_path / "modellab.duckdb"
    with duckdb.connect(str(database)) as db:
        [(load_id, text)] = db.sql(
            "SELECT _dlt_load_id, state FROM _dlt_pipeline_state ORDER BY _dlt_load_id DESC LIMIT 1"
        ).fetchall()
        state: Any = decompress_state(text)
        listings = state["sources"]["modellab"]["resources"]["runs"]["listings"]
        listings["all"]["watermark"] = "last tuesday"
        db.execute(
            "UPDATE _dlt_pipeline_state SET state = ? WHERE _dlt_load_id = ?",
            [compress_state(state), load_id],
        )
    fake.update_run(fake.runs()[0].id, name="changed meanwhile")
    before = copy_of(database)

    result = await invoke(fake, "sync")
    assert result.exit_code == 2
    assert "'last tuesday'" in one_line_error(result.stderr)
    assert copy_of(database) == before

    assert (await invoke(fake, "sync", "--full")).exit_code == 0
    assert copy_of(database) == served_by(fake)
