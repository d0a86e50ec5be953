"""`modellab sql`: a query over the copy `modellab sync` keeps, read-only, in any output format."""

from __future__ import annotations

from pathlib import Path

import duckdb
import msgspec
from click.testing import CliRunner

from modellab_async.cli._app import app


def database(folder: Path) -> Path:
    path = folder / "modellab.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("create table runs (id text, status text, duration double)")
        connection.execute(
            "insert into runs values ('1', 'completed', 2.5), ('2', 'failed', null), "
            "('3', 'completed', 4.0)"
        )
    return path


def test_a_query_prints_its_rows_in_the_format_asked(tmp_path: Path) -> None:
    path = database(tmp_path)
    query = (
        "select status, count(*) as runs, max(duration) as longest from runs group by 1 order by 1"
    )
    result = CliRunner().invoke(app, ["sql", query, "-d", str(path), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    assert [msgspec.json.decode(line) for line in result.stdout.splitlines()] == [
        {"status": "completed", "runs": 2, "longest": 4.0},
        {"status": "failed", "runs": 1, "longest": None},
    ]
    table = CliRunner().invoke(app, ["sql", query, "-d", str(path), "--format", "table"]).stdout
    assert table.splitlines()[1].split() == ["┃", "status", "┃", "runs", "┃", "longest", "┃"]


def test_the_copy_is_read_only(tmp_path: Path) -> None:
    path = database(tmp_path)
    result = CliRunner().invoke(app, ["sql", "delete from runs", "-d", str(path)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the query failed: ")
    with duckdb.connect(str(path), read_only=True) as connection:
        assert connection.execute("select count(*) from runs").fetchone() == (3,)


def test_a_bad_query_or_a_missing_copy_is_one_line(tmp_path: Path) -> None:
    path = database(tmp_path)
    bad = CliRunner().invoke(app, ["sql", "select nothing from nowhere", "-d", str(path)])
    assert bad.exit_code == 1
    assert len(bad.stderr.splitlines()) == 1
    missing = CliRunner().invoke(app, ["sql", "select 1", "-d", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 1
    assert (
        missing.stderr
        == f"Error: no database at {tmp_path / 'none.duckdb'}: run modellab sync first\n"
    )
