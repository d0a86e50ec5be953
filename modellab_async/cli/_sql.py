"""`modellab sql`: query the copy `modellab sync` keeps, without a database client of your own."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from ..frames import Cell, Row
from ._emit import emit
from ._options import output_options
from ._output import Output, View
from ._run import CommandError, SetupError, run
from ._sync import DEFAULT_OUTPUT

__all__ = ["query_rows", "sql"]


def query_rows(database: Path, query: str) -> tuple[list[str], list[Row]]:
    """Run `query` on a DuckDB file, read-only; return its column names and rows."""
    try:
        import duckdb  # noqa: PLC0415  # optional, and slow to import
    except ModuleNotFoundError:
        raise SetupError(
            "modellab sql needs duckdb; install it with: pip install 'modellab-async[dlt]'"
        ) from None
    if not database.is_file():
        raise CommandError(f"no database at {database}: run modellab sync first")
    try:
        with duckdb.connect(str(database), read_only=True) as connection:
            result = connection.execute(query)
            columns = [column[0] for column in result.description or ()]
            values: list[tuple[object, ...]] = result.fetchall()
    except duckdb.Error as exc:
        raise CommandError(f"the query failed: {str(exc).splitlines()[0]}") from None
    return columns, [
        {name: _cell(value) for name, value in zip(columns, row, strict=True)} for row in values
    ]


def _cell(value: object) -> Cell:
    """Keep what the outputs know (text, numbers, timestamps); show anything else as text."""
    if value is None or isinstance(value, (str, int, float, bool, datetime)):
        return value
    return str(value)


@click.command("sql")
@click.argument("query")
@click.option(
    "--database",
    "-d",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_OUTPUT,
    show_default=True,
    help="The DuckDB file modellab sync keeps.",
)
@output_options()
def sql(query: str, database: Path, fmt: str | None, output: str) -> None:
    """Run a SQL query on the copy modellab sync keeps, read-only.

    Tables: runs, projects, run_params, run_tags, run_metrics, project_tags. For example:
    modellab sql "select status, count(*) as runs from runs group by status"
    """
    out = Output.resolve(fmt, output)
    columns, rows = query_rows(database, query)
    run(emit(rows, View(_as_rows, columns=columns), out))


def _as_rows(row: Row) -> tuple[Row]:
    return (row,)
