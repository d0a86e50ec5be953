"""Output formats: JSON lines as pages arrive, CSV, a terminal table, and Parquet.

JSON lines carry the API's objects as they are, one per line, flushed after
each page. CSV and the table flatten each record into rows (see `View`). CSV
is written page by page too: its columns are those of the first page, and a
column first seen later is left out, with one line on stderr naming it. The
table needs every row first, to size its columns. Parquet is for listings of
runs and projects, with the typed columns of their DataFrames.

What the service sends is data, never markup or terminal commands: table cells
are plain rich `Text`, and on a terminal control characters are shown escaped
(`printable`). Written to a file or a pipe, CSV keeps every character as sent,
quoted as RFC 4180 asks, and JSON lines escape control characters as JSON does.
"""

from __future__ import annotations

import csv
import enum
import io
import sys
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Generic, TypeVar

import click
import msgspec
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .. import Page, Project, Run
from ..frames import Cell, Row, to_arrow
from ._progress import STDERR
from ._text import first_names, printable, printable_json_lines

__all__ = ["Format", "Output", "View", "say_done", "write_listing", "write_records"]

T = TypeVar("T")
FrameItem = TypeVar("FrameItem", Run, Project)


class Format(enum.StrEnum):
    """The `--format` choices."""

    JSONL = "jsonl"
    CSV = "csv"
    TABLE = "table"
    PARQUET = "parquet"


@dataclass(frozen=True)
class Output:
    """Where and how a command writes its records: `--format` and `--output`."""

    format: Format
    path: str = "-"

    @classmethod
    def resolve(cls, fmt: str | None, path: str) -> Output:
        """Return the output asked for; without `--format`, a table on a terminal, else JSON lines."""
        if fmt is not None:
            chosen = Format(fmt)
        else:
            chosen = Format.TABLE if path == "-" and sys.stdout.isatty() else Format.JSONL
        if chosen is Format.PARQUET and path == "-" and sys.stdout.isatty():
            raise click.UsageError("Parquet is binary: write it to a file with --output PATH")
        return cls(chosen, path)

    @property
    def to_terminal(self) -> bool:
        """Whether the records go to a terminal, which must not see raw control characters."""
        return self.path == "-" and sys.stdout.isatty()

    @property
    def streams_to_terminal(self) -> bool:
        """Whether records go to a terminal as they arrive (where a progress bar would garble them)."""
        return self.format in (Format.JSONL, Format.CSV) and self.to_terminal

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """Open the destination for binary writing; stdout is left open."""
        with click.open_file(self.path, "wb") as stream:
            yield stream


@dataclass(frozen=True)
class View(Generic[T]):
    """How records of one type become rows, for CSV and the table.

    Attributes:
        rows: the flat rows of one record (a listing of facet keys gives several).
        columns: the columns of the terminal table, in order; `None` shows all.
        order: orders the union of the rows' columns for CSV; `None` keeps first-seen order.
        vertical: show the table as field/value pairs, for a single record.
    """

    rows: Callable[[T], Iterable[Row]]
    columns: Sequence[str] | None = None
    order: Callable[[Iterable[str]], list[str]] | None = None
    vertical: bool = False


_encoder = msgspec.json.Encoder()


def say_done(message: str) -> None:
    """Confirm a change in one line on a terminal; a script reading stdout gets nothing."""
    if sys.stdout.isatty():
        click.echo(message)


def _csv_cell(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, datetime):
        return cell.isoformat()
    return str(cell)


def _table_cell(cell: Cell) -> str:
    if isinstance(cell, float):
        return f"{cell:.6g}"
    if isinstance(cell, datetime):
        return cell.strftime("%Y-%m-%d %H:%M:%S")
    return printable(_csv_cell(cell))


async def _jsonl(
    batches: AsyncIterable[Sequence[Any]], stream: IO[bytes], *, terminal: bool
) -> None:
    async for batch in batches:
        lines = _encoder.encode_lines(batch)
        stream.write(printable_json_lines(lines.decode()).encode() if terminal else lines)
        stream.flush()


def _columns(rows: Sequence[Row], order: Callable[[Iterable[str]], list[str]] | None) -> list[str]:
    seen = dict.fromkeys(name for row in rows for name in row)
    return order(seen) if order is not None else list(seen)


async def _csv(
    batches: AsyncIterable[Sequence[T]], view: View[T], stream: IO[bytes], *, terminal: bool
) -> None:
    """Write CSV batch by batch, with the columns of the first batch that has rows."""
    cell = (lambda value: printable(_csv_cell(value))) if terminal else _csv_cell
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text)
    columns: list[str] = []
    left_out: dict[str, None] = {}
    try:
        async for batch in batches:
            rows = [row for item in batch for row in view.rows(item)]
            if not rows:
                continue
            if not columns:
                columns = _columns(rows, view.order)
                writer.writerow([cell(name) for name in columns])
            known = set(columns)
            left_out.update(
                dict.fromkeys(name for row in rows for name in row if name not in known)
            )
            writer.writerows([cell(row.get(name)) for name in columns] for row in rows)
            stream.flush()
    finally:
        text.detach()  # leave the stream (perhaps stdout) open
    if left_out:
        STDERR.console.print(
            f"modellab: CSV has the columns of the first page; {len(left_out)} seen only later "
            f"were left out ({first_names(list(left_out))}); --format jsonl or parquet "
            "keeps every field",
            markup=False,
        )


def _table(rows: Sequence[Row], view: View[Any], stream: IO[bytes]) -> None:
    """Draw rows as a rich table; every cell and header is plain text, never markup."""
    text = io.TextIOWrapper(stream, encoding="utf-8", write_through=True)
    try:
        # Off a terminal nothing limits the width, so show every cell in full.
        console = Console(file=text, highlight=False, width=None if text.isatty() else 10_000)
        if view.vertical:
            for row in rows:
                table = Table("field", "value", show_header=False, box=None)
                for name, cell in row.items():
                    table.add_row(Text(printable(name)), Text(_table_cell(cell)))
                console.print(table)
            return
        columns = list(view.columns) if view.columns is not None else _columns(rows, view.order)
        cells = [[_table_cell(row.get(name)) for name in columns] for row in rows]
        table = Table(header_style="bold")
        for index, name in enumerate(columns):
            widest = max([len(name), *(len(line[index]) for line in cells)])
            # On a narrow terminal long cells are cut short; short ones stay whole.
            table.add_column(
                Text(printable(name)), no_wrap=True, overflow="ellipsis", min_width=min(widest, 10)
            )
        for line in cells:
            table.add_row(*map(Text, line))
        console.print(table)
    finally:
        text.detach()


async def write_records(batches: AsyncIterable[Sequence[T]], view: View[T], output: Output) -> None:
    """Write records as they arrive in batches (pages), in the output's format."""
    if output.format is Format.PARQUET:
        raise click.UsageError("Parquet is for listings of runs and projects")
    with output.open() as stream:
        if output.format is Format.JSONL:
            await _jsonl(batches, stream, terminal=output.to_terminal)
        elif output.format is Format.CSV:
            await _csv(batches, view, stream, terminal=output.to_terminal)
        else:
            rows = [row async for batch in batches for item in batch for row in view.rows(item)]
            _table(rows, view, stream)


async def _items(pages: AsyncIterable[Page[T]]) -> AsyncIterator[Sequence[T]]:
    async for page in pages:
        yield page.items


async def write_listing(
    pages: AsyncIterable[Page[FrameItem]], view: View[FrameItem], output: Output
) -> None:
    """Write a listing of runs or projects; Parquet gets the DataFrame's typed columns."""
    if output.format is not Format.PARQUET:
        await write_records(_items(pages), view, output)
        return
    table = await to_arrow(pages)
    import pyarrow.parquet as pq  # noqa: PLC0415  # present: to_arrow needed pyarrow

    with output.open() as stream:
        pq.write_table(table, stream)
