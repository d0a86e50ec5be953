"""Turn listings of runs or projects into Arrow, polars or pandas frames, page by page.

A run becomes one row: its attributes as typed columns, then `param.<key>`,
`tag.<key>` (strings) and `metric.<key>.<stat>` (numbers), as in mlflow's
`search_runs`. `id` and `project_id` are strings, as `run.id` is. Param values
are strings on the wire: a `param.*` column whose every value is a JSON integer
(within int64), a JSON number, or true/false (in any case) becomes int64,
float64 or bool once the whole listing is read, and stays a string column when
its values disagree, so its type never depends on the order of the pages.

Each page becomes a small Arrow table as it arrives; those are merged into
chunks of about `CHUNK_ROWS` rows, so Python objects are held for one page at a
time and the frame never exists twice. Columns are ordered attributes first,
then params, tags and metrics by key, so every listing with the same keys gives
the same schema whatever order its pages came in.

pyarrow, polars and pandas are imported only when a conversion runs; each
comes with an extra (`pip install "modellab-async[arrow]"`, `[polars]`, `[pandas]`).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, cast

from .models import Page, Project, Run

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl
    import pyarrow as pa

__all__ = [
    "CHUNK_ROWS",
    "METRIC_STATS",
    "PROJECTS",
    "RUNS",
    "Cell",
    "Kind",
    "Row",
    "arrow_types",
    "kind_of",
    "to_arrow",
    "to_pandas",
    "to_polars",
]

#: A value of one column of one row.
Cell = str | int | float | bool | datetime | None
#: One flat row: column name to value.
Row = dict[str, Cell]
#: Listings these functions convert: the `pages()` of `runs.list` or `projects.list`.
Pages = AsyncIterable[Page[Run]] | AsyncIterable[Page[Project]]

ColumnType = Literal["int64", "float64", "bool", "string", "timestamp"]

#: The statistics of a metric summary, in the order their columns appear.
METRIC_STATS = ("count", "min", "max", "mean", "latest", "stddev", "first_step", "last_step")
_INT_STATS = frozenset({"count", "first_step", "last_step"})
# Keyed columns come after the attributes, in this order of their prefixes.
_PREFIXES = ("param.", "tag.", "metric.")
_PARAM = "param."

_INTEGER = r"-?(?:0|[1-9][0-9]{0,17})"  # 18 digits at most: always within int64
_FRACTIONAL = r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+(?:[eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)"
#: The types a `param.*` column may take, most specific first, with the pattern every
#: one of its values must match; numbers follow JSON's grammar (no "1.", "+1" nor "007").
_PARAM_TYPES: tuple[tuple[ColumnType, str], ...] = (
    ("int64", f"^{_INTEGER}$"),
    ("float64", f"^(?:{_INTEGER}|{_FRACTIONAL})$"),
    ("bool", "^(?i:true|false)$"),
)

#: Rows gathered into one Arrow chunk: large enough for fast frames, small
#: enough that merging a chunk adds little to the peak memory.
CHUNK_ROWS = 4096


@contextmanager
def _needs_extra(extra: str) -> Iterator[None]:
    """Turn a missing optional library into an error naming the pip command."""
    try:
        yield
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            f"{exc.name} is not installed; install it with: pip install 'modellab-async[{extra}]'",
            name=exc.name,
        ) from exc


@dataclass(frozen=True)
class Kind:
    """How one resource type (runs, projects) becomes rows: its columns and their types."""

    name: str
    attributes: Sequence[tuple[str, ColumnType]]
    row: Callable[[Any], Row]

    def column_type(self, column: str) -> ColumnType:
        """Return the type of a column: declared for attributes, implied by a key's prefix."""
        for name, type_ in self.attributes:
            if name == column:
                return type_
        if column.startswith("metric."):
            stat = column.rpartition(".")[2]
            return "int64" if stat in _INT_STATS else "float64"
        return "string"

    def order(self, columns: Iterable[str]) -> list[str]:
        """Order columns as frames show them: attributes, then params, tags, metrics by key."""
        names = set(columns)
        ordered = [name for name, _ in self.attributes if name in names]
        keyed = names.difference(ordered)
        return ordered + sorted(keyed, key=_keyed_sort_key)


def _keyed_sort_key(column: str) -> tuple[int, str, int]:
    prefix = next((rank for rank, p in enumerate(_PREFIXES) if column.startswith(p)), 0)
    if column.startswith("metric."):
        key, _, stat = column.removeprefix("metric.").rpartition(".")
        rank = METRIC_STATS.index(stat) if stat in METRIC_STATS else len(METRIC_STATS)
        return prefix, key, rank
    return prefix, column, 0


def run_row(run: Run) -> Row:
    """Flatten a run into one row: attributes, `param.*`, `tag.*` and `metric.*.*`."""
    a = run.attributes
    row: Row = {
        "id": run.id,
        "project_id": str(a.project_id),
        "name": a.name,
        "status": a.status,
        "description": a.description,
        "owner_id": a.owner_id,
        "created_at": a.created_at,
        "started_at": a.started_at,
        "updated_at": a.updated_at,
        "completed_at": a.completed_at,
        "deleted_at": a.deleted_at,
        "duration": a.duration,
        "is_pinned": a.is_pinned,
        "has_children": a.has_children,
        "descendant_match": a.descendant_match,
        "mlflow_artifact_location": a.mlflow_artifact_location,
        "external_url": a.external_url,
    }
    row.update((f"param.{param.key}", param.value) for param in a.params or ())
    row.update((f"tag.{tag.key}", tag.value) for tag in a.tags)
    for summary in a.metric_summaries:
        prefix = f"metric.{summary.key}."
        row.update((prefix + stat, getattr(summary, stat)) for stat in METRIC_STATS)
    return row


def project_row(project: Project) -> Row:
    """Flatten a project into one row: attributes and `tag.*`."""
    a = project.attributes
    row: Row = {
        "id": project.id,
        "name": a.name,
        "description": a.description,
        "owner_id": a.owner_id,
        "is_starred": a.is_starred,
        "created_at": a.created_at,
        "updated_at": a.updated_at,
        "deleted_at": a.deleted_at,
        "artifact_storage_location": a.artifact_storage_location,
        "external_url": a.external_url,
    }
    row.update((f"tag.{tag.key}", tag.value) for tag in a.tags)
    return row


RUNS = Kind(
    "runs",
    (
        ("id", "string"),
        ("project_id", "string"),
        ("name", "string"),
        ("status", "string"),
        ("description", "string"),
        ("owner_id", "string"),
        ("created_at", "timestamp"),
        ("started_at", "timestamp"),
        ("updated_at", "timestamp"),
        ("completed_at", "timestamp"),
        ("deleted_at", "timestamp"),
        ("duration", "float64"),
        ("is_pinned", "bool"),
        ("has_children", "bool"),
        ("descendant_match", "bool"),
        ("mlflow_artifact_location", "string"),
        ("external_url", "string"),
    ),
    run_row,
)
"""Runs: attributes, `param.<key>`, `tag.<key>` and `metric.<key>.<stat>` columns."""

PROJECTS = Kind(
    "projects",
    (
        ("id", "string"),
        ("name", "string"),
        ("description", "string"),
        ("owner_id", "string"),
        ("is_starred", "bool"),
        ("created_at", "timestamp"),
        ("updated_at", "timestamp"),
        ("deleted_at", "timestamp"),
        ("artifact_storage_location", "string"),
        ("external_url", "string"),
    ),
    project_row,
)
"""Projects: attributes and `tag.<key>` columns."""


def kind_of(item: object) -> Kind:
    """Return the `Kind` that converts `item`, a `Run` or a `Project`."""
    if isinstance(item, Run):
        return RUNS
    if isinstance(item, Project):
        return PROJECTS
    raise TypeError(f"cannot make a frame of {type(item).__name__}; expected Run or Project")


def arrow_types(*, string_view: bool = False) -> dict[ColumnType, pa.DataType]:
    """Return the Arrow type of each column type; strings as string views if asked."""
    import pyarrow as pa  # noqa: PLC0415  # optional, and slow to import

    return {
        "int64": pa.int64(),
        "float64": pa.float64(),
        "bool": pa.bool_(),
        "string": pa.string_view() if string_view else pa.string(),
        "timestamp": pa.timestamp("us", tz="UTC"),
    }


class _ChunkBuilder:
    """Gather pages into Arrow tables of about `CHUNK_ROWS` rows, each with its own columns."""

    def __init__(self, *, string_view: bool) -> None:
        self._types = arrow_types(string_view=string_view)
        self.kind: Kind | None = None
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        # For each `param.*` column, the types all its values seen so far fit.
        self._param_fits: dict[str, list[tuple[ColumnType, str]]] = {}

    def add(self, items: Sequence[Run] | Sequence[Project]) -> pa.Table | None:
        """Convert one page's items; return a finished chunk once enough rows have come."""
        import pyarrow as pa  # noqa: PLC0415

        if not items:
            return None
        kind = kind_of(items[0])
        if self.kind not in (None, kind):
            raise TypeError("a listing mixes runs and projects")
        self.kind = kind
        rows = [kind.row(item) for item in items]
        names = kind.order({name for row in rows for name in row})
        arrays = [self._array(kind, name, [row.get(name) for row in rows]) for name in names]
        self._pending.append(pa.Table.from_arrays(arrays, names=names))
        self._pending_rows += len(rows)
        return self.flush() if self._pending_rows >= CHUNK_ROWS else None

    def _array(self, kind: Kind, name: str, values: list[Cell]) -> pa.Array[Any]:
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.compute as pc  # noqa: PLC0415

        if not name.startswith(_PARAM):
            return pa.array(values, type=self._types[kind.column_type(name)])
        array = pa.array(values, type=pa.string())  # not a view: the regex kernels need this
        fits = self._param_fits.setdefault(name, list(_PARAM_TYPES))
        # `all` skips the nulls of runs without this param.
        fits[:] = [
            (type_, pattern)
            for type_, pattern in fits
            if pc.all(pc.match_substring_regex(array, pattern)).as_py()
        ]
        return array

    def param_types(self) -> dict[str, pa.DataType]:
        """Return the type of each `param.*` column whose values all fit one; call it last."""
        return {name: self._types[fits[0][0]] for name, fits in self._param_fits.items() if fits}

    def flush(self) -> pa.Table | None:
        """Return the pages gathered so far as one chunk, or `None` if there are none."""
        import pyarrow as pa  # noqa: PLC0415

        if not self._pending:
            return None
        # A page that lacks a key gets a null column of its type.
        merged = pa.concat_tables(self._pending, promote_options="default").combine_chunks()
        self._pending, self._pending_rows = [], 0
        return merged

    async def chunks(self, pages: Pages) -> AsyncIterator[pa.Table]:
        """Yield a listing as Arrow tables of about `CHUNK_ROWS` rows; `kind` is then set."""
        async for page in pages:
            chunk = self.add(page.items)
            if chunk is not None:
                yield chunk
        chunk = self.flush()
        if chunk is not None:
            yield chunk


async def to_arrow(pages: Pages) -> pa.Table:
    """Build a `pyarrow.Table` of a listing, one row per run or project, page by page.

    An empty listing gives a table with no columns.

    Example:
        >>> table = await to_arrow(client.runs.list(project_id=7).pages())
        >>> table.column("metric.loss.min")
    """
    with _needs_extra("arrow"):
        import pyarrow as pa  # noqa: PLC0415  # optional, and slow to import

        builder = _ChunkBuilder(string_view=False)
    chunks = [chunk async for chunk in builder.chunks(pages)]
    if builder.kind is None:
        return pa.table({})
    table = pa.concat_tables(chunks, promote_options="default")
    for name, type_ in builder.param_types().items():
        table = table.set_column(table.column_names.index(name), name, table[name].cast(type_))
    return table.select(builder.kind.order(table.column_names))


async def to_polars(pages: Pages) -> pl.DataFrame:
    """Build a `polars.DataFrame` of a listing (see `to_arrow` for its columns).

    Each Arrow chunk becomes polars as soon as it is complete, so the listing
    is never held in both forms at once.
    """
    with _needs_extra("polars"):
        import polars as pl  # noqa: PLC0415  # optional, and slow to import

        # Strings as Arrow string views are what polars adopts without copying them.
        builder = _ChunkBuilder(string_view=True)
    # A Table gives a DataFrame (a Series comes only from an Array).
    frames = [cast("pl.DataFrame", pl.from_arrow(c)) async for c in builder.chunks(pages)]
    if builder.kind is None:
        return pl.DataFrame()
    frame = pl.concat(frames, how="diagonal", rechunk=False)
    # Chunk by chunk: a column chunked unlike the others would make polars copy the frame.
    frame = frame.with_columns(
        pl.concat(
            [pl.Series(name, part.to_arrow().cast(type_)) for part in frame[name].get_chunks()],
            rechunk=False,
        )
        for name, type_ in builder.param_types().items()
    )
    return frame.select(builder.kind.order(frame.columns))


async def to_pandas(pages: Pages) -> pd.DataFrame:
    """Build a `pandas.DataFrame` of a listing (see `to_arrow` for its columns).

    Columns have pandas' Arrow-backed dtypes (`pd.ArrowDtype`: `int64[pyarrow]`,
    `timestamp[us, tz=UTC][pyarrow]`, ...): the frame shares the Arrow table's
    memory instead of copying it, and integers stay integers where values are
    missing. For NumPy dtypes, call `.convert_dtypes(dtype_backend="numpy_nullable")`.
    """
    with _needs_extra("pandas"):
        import pandas as pd  # noqa: PLC0415  # optional, and slow to import
    table = await to_arrow(pages)
    return table.to_pandas(types_mapper=pd.ArrowDtype)
