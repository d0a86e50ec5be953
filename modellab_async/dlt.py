"""A dlt source that keeps a copy of Model Lab's projects and runs current: `modellab_source`.

dlt loads data into DuckDB, Postgres, BigQuery, Snowflake, Databricks, Delta,
Iceberg and more; it keeps this source's state in the destination, beside the
data, and commits both with the same load. Each sync walks the listings newest
first with `changes()` and stops a little past the last sync's watermark, so
it costs about ceil(changed / 100) + 1 requests per listing, not a full walk.

Tables (ids are text, as on the wire; each table merges on its keys):

- `runs`: one row per run, its attributes as columns.
- `run_params`, `run_tags`: `run_id`, `key`, `value`.
- `run_metrics`: `run_id`, `key` and the summary's statistics (`count`, `min`,
  `max`, `mean`, `latest`, `stddev`, `first_step`, `last_step`).
- `projects`: one row per project; `project_tags`: `project_id`, `key`, `value`.

Params, tags and metrics are child tables in long form, so arbitrary keys never
widen `runs`; a changed run's entries replace its old ones (merged on `run_id`).
A deleted run or project is removed, its entries too: the source yields a row
with a non-null `deleted_at`, which dlt's `hard_delete` hint turns into a delete.
Deletions are found when asked (`reconcile=True`: list the live ids, confirm
each missing one with a 404) and by every full refresh. A reconciliation also
fetches the items listed that the copy lacks: a deletion during a walk moves
the items after it a place forward, and one may move onto a page already read.

The first sync of a resource into a destination (no state saved for it yet)
replaces its tables instead of merging into them: dlt then writes straight
into them, with no staging copy and no merge.

Rows are built without a Python object per value: the walk decodes each item's
`id` and keeps its attributes as sent (`msgspec.Raw`); Arrow's JSON reader reads
`_ROWS_PER_TABLE` of them at a time into typed columns, by the types of the wire
models, in a worker thread and outside the GIL, while the walk fetches on in a
job of its own (benchmarks/results.md, "Syncing runs into DuckDB", has the
rate it reaches).
Needs the `dlt` extra: `pip install "modellab-async[dlt]"`.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property, partial
from typing import Any, cast

import anyio.to_thread
import dlt
import msgspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
from anyio.streams.memory import MemoryObjectSendStream
from dlt.common.schema.typing import TColumnSchema, TWriteDispositionConfig
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.sources import DltResource, DltSource

from . import ModelLabClient, Page, Paginator, Project, Run
from ._core._tasks import Job
from .errors import DecodeError, NotFoundError
from .frames import CHUNK_ROWS, PROJECTS, RUNS, Kind, arrow_types
from .models import MetricSummary, ProjectAttributes, RunAttributes, RunParam, Tag
from .resources._base import Collection
from .resources._paginator import DEFAULT_OVERLAP, Changes

__all__ = ["SyncReport", "SyncStateError", "modellab_source"]

_TYPES = arrow_types()
_TIMESTAMP = _TYPES["timestamp"]
_TEXT = pa.string()
#: The column whose non-null value makes a merge delete the row (`hard_delete`).
_DELETED_AT = "deleted_at"
_REPLACE_BY_OWNER: TWriteDispositionConfig = {"disposition": "merge", "strategy": "delete-insert"}


def _deleted_at(*, replace: bool) -> TColumnSchema:
    """Return the hint of the `deleted_at` column; dlt applies `hard_delete` to merges alone."""
    return {"name": _DELETED_AT, "data_type": "timestamp", "hard_delete": not replace}


#: The hints of a resource's own table, by whether this load replaces it.
_RESOURCE_HINTS = {
    replace: dlt.mark.make_hints(
        write_disposition="replace" if replace else "merge",
        columns=[_deleted_at(replace=replace)],
    )
    for replace in (False, True)
}
#: Items per batch: each becomes one table per table name, handed to dlt at once
#: (dlt's work per table yielded is large, its work per row in Arrow small).
_ROWS_PER_TABLE = 4 * CHUNK_ROWS
#: Batches a walk may have built ahead of what dlt has taken.
_BATCHES_AHEAD = 1
#: How much of a batch Arrow's JSON reader takes at a time; a block holds whole items,
#: so one larger than this gets a block of its own size.
_BLOCK_BYTES = 1 << 20

#: The Arrow type each scalar of a wire model is read into; timestamps are read
#: as text and converted after (`_timestamps`), so every RFC 3339 form is taken.
_WIRE_SCALARS: dict[type[msgspec.inspect.Type], pa.DataType] = {
    msgspec.inspect.StrType: _TEXT,
    msgspec.inspect.IntType: pa.int64(),
    msgspec.inspect.FloatType: pa.float64(),
    msgspec.inspect.BoolType: pa.bool_(),
    msgspec.inspect.DateTimeType: _TEXT,
}


def _wire_type(info: msgspec.inspect.Type) -> pa.DataType:
    """Return the Arrow type of a field of a wire model, as Arrow's JSON reader reads it."""
    if isinstance(info, msgspec.inspect.UnionType):
        (member,) = (t for t in info.types if not isinstance(t, msgspec.inspect.NoneType))
        return _wire_type(member)
    if isinstance(info, msgspec.inspect.ListType):
        return pa.list_(_wire_type(info.item_type))
    if isinstance(info, msgspec.inspect.StructType):
        return pa.struct([(f.encode_name, _wire_type(f.type)) for f in info.fields])
    return _WIRE_SCALARS[type(info)]


def _wire_struct(model: type[msgspec.Struct]) -> pa.StructType:
    struct = _wire_type(msgspec.inspect.type_info(model))
    assert isinstance(struct, pa.StructType)
    return struct


def _timestamps(column: pa.Array[Any], table: str) -> pa.Array[Any]:
    """Convert RFC 3339 text to timestamps: in Arrow, or by msgspec for the forms Arrow refuses.

    Arrow reads the usual forms (`Z` or an offset, up to microseconds); msgspec
    reads the rest (nanoseconds, year 1), as it would when decoding a `Run`.
    """
    try:
        return pc.cast(column, _TIMESTAMP)
    except pa.ArrowInvalid:
        try:
            values = msgspec.convert(column.to_pylist(), list[datetime | None])
        except msgspec.ValidationError as exc:
            raise DecodeError(f"{table}: a timestamp that is not RFC 3339: {exc}") from None
        return pa.array(values, _TIMESTAMP)


class _Wire(msgspec.Struct):
    """A run or project as a sync reads it: its id, and its attributes as the service sent them."""

    id: str
    attributes: msgspec.Raw


Item = Run | Project


def _wire(item: Item) -> _Wire:
    """Return an item already decoded (fetched by id) as a sync reads it."""
    return _Wire(item.id, msgspec.Raw(msgspec.json.encode(item.attributes)))


class SyncStateError(ValueError):
    """The state a destination holds for this source cannot be read; a full refresh resets it."""


@dataclass
class SyncReport:
    """What a sync did, filled in while it runs.

    Attributes:
        changed: rows yielded per table (`runs`, `projects`): new or updated.
        deleted: rows removed per table, each confirmed deleted by a 404.
        requests: HTTP requests sent, retries included.
        on_page: called after each page with the table, the page's item count
            and, on a full walk, the listing's total (else `None`).
    """

    changed: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    on_page: Callable[[str, int, int | None], None] | None = None


def _add(counts: dict[str, int], table: str, number: int) -> None:
    counts[table] = counts.get(table, 0) + number


@dataclass(frozen=True)
class _Child:
    """A child table in long form: one row per entry (a param, a tag, a metric) of an item.

    `field` names the list of entries among the item's attributes, `entry` the
    wire model of one entry, whose fields are the table's columns.
    """

    table: str
    owner: str
    field: str
    entry: type[msgspec.Struct]

    def hints(self, *, replace: bool) -> Any:
        """Merge by owner: an item's rows replace all its old ones, so removed keys go too."""
        return dlt.mark.make_hints(
            table_name=self.table,
            primary_key=[],
            merge_key=self.owner,
            write_disposition="replace" if replace else _REPLACE_BY_OWNER,
            columns=[
                {"name": self.owner, "data_type": "text", "nullable": False},
                _deleted_at(replace=replace),
            ],
        )

    def table_of(
        self,
        owners: pa.Array[Any],
        entries: pa.Array[Any],
        removed: Sequence[str],
        now: datetime,
        *,
        replace: bool,
    ) -> pa.Table:
        """Build the rows of the `entries` of `owners`; when merging, one deletion row per owner without entries.

        An owner (run, project) with no entries left, or `removed`, gets a row
        with `deleted_at` set: it deletes the owner's old rows and adds none.
        A table being replaced holds no old rows, so it needs no deletion rows.
        """
        flat = cast("pa.StructArray", pc.list_flatten(entries))
        arrays = [owners.take(pc.list_parent_indices(entries))]
        arrays.extend(flat.field(field.name) for field in list(self.schema)[1:-1])
        arrays.append(pa.nulls(len(flat), self.schema.field(_DELETED_AT).type))
        table = pa.Table.from_arrays(arrays, schema=self.schema)
        if replace:
            return table
        lengths = pc.list_value_length(entries).to_pylist()  # None for a null list
        emptied = [
            str(owner)
            for owner, length in zip(owners.to_pylist(), lengths, strict=True)
            if not length
        ]
        if not (removed or emptied):
            return table
        return pa.concat_tables([table, self.deletions_of([*removed, *emptied], now)])

    def deletions_of(self, owners: Sequence[str], now: datetime) -> pa.Table:
        """One row per owner whose old rows go: its id and `deleted_at`, the entry's columns null."""
        arrays: list[pa.Array[Any]] = [pa.array(owners, _TEXT)]
        arrays.extend(pa.nulls(len(owners), field.type) for field in list(self.schema)[1:-1])
        arrays.append(pa.array([now] * len(owners), _TIMESTAMP))
        return pa.Table.from_arrays(arrays, schema=self.schema)

    @cached_property
    def schema(self) -> pa.Schema:
        """The owner's id (never null), the entry's fields, `deleted_at`."""
        return pa.schema(
            [
                pa.field(self.owner, _TEXT, nullable=False),
                *_wire_struct(self.entry),
                pa.field(_DELETED_AT, _TIMESTAMP),
            ]
        )


@dataclass(frozen=True)
class _Built:
    """What one batch of items became: its tables, and what the sync notes of it."""

    tables: list[tuple[str, pa.Table]]
    changed: int
    """Items in the tables: those walked, less those unchanged since the last sync."""
    stamps: dict[str, datetime]
    """The `updated_at` of the items within the overlap of the batch's newest."""


@dataclass(frozen=True)
class _Entity:
    """How one resource (runs, projects) becomes tables: its own, then its children.

    Items come as `_Wire` values, their attributes as the service sent them.
    Arrow's JSON reader reads a batch of them into columns at once, outside
    the GIL, by the types of `wire` (the attributes' model): no Python object
    per value. Its own columns are those of `kind`, as frames show them.
    """

    kind: Kind
    wire: type[msgspec.Struct]
    children: tuple[_Child, ...]
    collection: Callable[[ModelLabClient], Collection]

    @property
    def table(self) -> str:
        return self.kind.name

    @cached_property
    def schema(self) -> pa.Schema:
        """`id` as text (never null), then the attributes as typed columns."""
        attributes = [
            pa.field(name, _TYPES[type_]) for name, type_ in self.kind.attributes if name != "id"
        ]
        return pa.schema([pa.field("id", _TEXT, nullable=False), *attributes])

    @cached_property
    def _parse_options(self) -> dict[bool, pj.ParseOptions]:
        """How Arrow reads the attributes, by whether their JSON spans several lines."""
        schema = pa.schema(list(_wire_struct(self.wire)))
        return {
            several_lines: pj.ParseOptions(
                explicit_schema=schema,
                unexpected_field_behavior="ignore",
                newlines_in_values=several_lines,
            )
            for several_lines in (False, True)
        }

    def parse(self, attributes: Sequence[msgspec.Raw]) -> pa.Table:
        """Read the attributes of a batch of items into one row each, by the wire model's types.

        Fields the model does not know are skipped; an absent field is null.
        """
        if not attributes:
            return self._parse_options[False].explicit_schema.empty_table()
        lines = b"\n".join(attributes)
        options = self._parse_options[lines.count(b"\n") >= len(attributes)]
        # One thread: the walk, dlt and the destination keep the other cores busy,
        # and Arrow's own threads measured slower there than one.
        block = max(_BLOCK_BYTES, max(map(len, attributes)) + 1)
        read = pj.ReadOptions(use_threads=False, block_size=block)
        try:
            return pj.read_json(io.BytesIO(lines), read_options=read, parse_options=options)
        except pa.ArrowInvalid as exc:
            raise DecodeError(f"{self.table}: an item not in the documented shape: {exc}") from None

    def build(
        self,
        items: Sequence[_Wire],
        removed: Sequence[str],
        recent: Mapping[str, str],
        overlap: timedelta,
        *,
        replace: bool,
    ) -> _Built:
        """Build the tables of `items` and `removed` ids; skip items unchanged since the last sync.

        `recent` holds the `updated_at` (ISO 8601) of the items the last sync saw
        within its overlap: this walk sees them again, and an unchanged one is skipped.
        With `replace`, the load's rows replace the tables' (a first sync: no
        staging, no merge), so removed ids need no rows.
        """
        now = datetime.now(UTC)
        parsed = self.parse([item.attributes for item in items])
        ids = pa.array([item.id for item in items], _TEXT)
        updated_at = _timestamps(parsed.column("updated_at").combine_chunks(), self.table)
        stamps = _stamps(ids, updated_at, overlap)
        if recent:
            keep = pc.invert(_unchanged(ids, updated_at, recent))
            parsed, ids, updated_at = parsed.filter(keep), ids.filter(keep), updated_at.filter(keep)
        return _Built(
            list(
                self._tables(
                    parsed, ids, updated_at, () if replace else removed, now=now, replace=replace
                )
            ),
            len(ids),
            stamps,
        )

    def _tables(
        self,
        parsed: pa.Table,
        ids: pa.Array[Any],
        updated_at: pa.Array[Any],
        removed: Sequence[str],
        *,
        now: datetime,
        replace: bool,
    ) -> Iterator[tuple[str, pa.Table]]:
        """Yield the tables of the parsed items, and of `removed` ids, by table name."""
        if not len(ids) and not removed:
            return
        columns: list[pa.Array[Any]] = [ids]
        for column in list(self.schema)[1:]:
            values = parsed.column(column.name).combine_chunks()
            if column.name == "updated_at":
                values = updated_at
            elif column.type == _TIMESTAMP:
                values = _timestamps(values, self.table)
            columns.append(values if values.type == column.type else values.cast(column.type))
        own = pa.Table.from_arrays(columns, schema=self.schema)
        # An item the service lists as deleted (`deleted_at` set) goes, with its entries:
        # left out of a table being replaced, deleted from one being merged into.
        listed = pc.is_null(columns[self.schema.get_field_index(_DELETED_AT)])
        owners_gone = list(removed)
        if not pc.all(listed).as_py():
            if replace:
                own = own.filter(listed)
            owners_gone.extend(map(str, ids.filter(pc.invert(listed)).to_pylist()))
            parsed, ids = parsed.filter(listed), ids.filter(listed)
        yield self.table, pa.concat_tables([own, self.removal_of(removed, now)]) if removed else own
        for child in self.children:
            entries = parsed.column(child.field).combine_chunks()
            yield child.table, child.table_of(ids, entries, owners_gone, now, replace=replace)

    def removal_of(self, ids: Sequence[str], now: datetime) -> pa.Table:
        """One row per removed item: its id and `deleted_at`, every other column null."""
        schema = self.schema
        arrays: list[pa.Array[Any]] = [pa.array(ids, _TEXT)]
        arrays.extend(
            pa.array([now] * len(ids), _TIMESTAMP)
            if column.name == _DELETED_AT
            else pa.nulls(len(ids), column.type)
            for column in list(schema)[1:]
        )
        return pa.Table.from_arrays(arrays, schema=schema)

    def marked(self, table: str, rows: pa.Table, *, replace: bool) -> Any:
        """Return `rows` of `table` as dlt takes them: with the table's hints."""
        if table == self.table:
            return dlt.mark.with_hints(rows, _RESOURCE_HINTS[replace])
        child = next(child for child in self.children if child.table == table)
        return dlt.mark.with_hints(rows, child.hints(replace=replace), create_table_variant=True)


def _stamps(
    ids: pa.Array[Any], updated_at: pa.Array[Any], overlap: timedelta
) -> dict[str, datetime]:
    """Return the `updated_at` of the items within `overlap` of the newest of them."""
    newest = pc.max(updated_at).as_py()
    if newest is None:
        return {}
    recent = pc.greater_equal(updated_at, pa.scalar(newest - overlap, _TIMESTAMP))
    stamps = zip(ids.filter(recent).to_pylist(), updated_at.filter(recent).to_pylist(), strict=True)
    return {str(item_id): stamp for item_id, stamp in stamps if stamp is not None}


def _unchanged(
    ids: pa.Array[Any], updated_at: pa.Array[Any], recent: Mapping[str, str]
) -> pa.BooleanArray:
    """Mark the items `recent` holds at the same `updated_at`: the last sync saw them as they are."""
    seen = pc.is_in(ids, value_set=pa.array(list(recent), _TEXT))
    if not pc.any(seen).as_py():
        return seen
    return pa.array(
        [
            bool(was_seen) and stamp is not None and recent[str(item_id)] == stamp.isoformat()
            for was_seen, item_id, stamp in zip(
                seen.to_pylist(), ids.to_pylist(), updated_at.to_pylist(), strict=True
            )
        ],
        pa.bool_(),
    )


class _Load:
    """One resource's items, gathered as pages come and built into Arrow in worker threads.

    `build` starts building what was taken in, in a thread of its own (Arrow's
    JSON reader lets go of the GIL), so the walk fetches and decodes the next
    pages meanwhile; `hand_over` turns what a build made into tables for dlt.
    """

    def __init__(
        self,
        entity: _Entity,
        client: ModelLabClient,
        options: _Options,
        recent: Mapping[str, str],
        *,
        replace: bool,
    ) -> None:
        self._entity = entity
        self._client = client
        self._options = options
        self._recent = recent
        self._replace = replace
        self._items: list[_Wire] = []
        #: The `updated_at` of the items handed over within the overlap of the newest.
        self.stamps: dict[str, datetime] = {}

    def add(self, items: Iterable[_Wire]) -> None:
        """Take `items` in."""
        self._items.extend(items)

    @property
    def full(self) -> bool:
        """Whether enough items have come to make a batch."""
        return len(self._items) >= _ROWS_PER_TABLE

    def build(self, removed: Sequence[str] = ()) -> Job[_Built]:
        """Start building the items taken in, and rows for `removed` ids; start afresh."""
        build = partial(
            self._entity.build,
            self._items,
            removed,
            self._recent,
            self._options.overlap,
            replace=self._replace,
        )
        self._items = []
        return self._client._spawn(Job[_Built](), partial(anyio.to_thread.run_sync, build))

    def hand_over(self, built: _Built) -> list[Any]:
        """Count a built batch in the report, note its stamps; return its tables marked for dlt."""
        _add(self._options.report.changed, self._entity.table, built.changed)
        self.stamps.update(built.stamps)
        return [
            self._entity.marked(table, rows, replace=self._replace) for table, rows in built.tables
        ]


_RUNS = _Entity(
    RUNS,
    RunAttributes,
    (
        _Child("run_params", "run_id", "params", RunParam),
        _Child("run_tags", "run_id", "tags", Tag),
        _Child("run_metrics", "run_id", "metric_summaries", MetricSummary),
    ),
    lambda client: client.runs,
)
_PROJECTS = _Entity(
    PROJECTS,
    ProjectAttributes,
    (_Child("project_tags", "project_id", "tags", Tag),),
    lambda client: client.projects,
)


def _held_ids(pipeline: dlt.Pipeline, entity: _Entity, project_id: int | None) -> set[str]:
    """Read the ids the destination holds: rows of the table, and child rows left without one.

    A load killed half-way may have removed a run but not yet its entries;
    those owners count as held, so that the next reconciliation removes them.
    """
    held: set[str] = set()
    with pipeline.sql_client() as sql:
        table = sql.make_qualified_table_name(entity.table)
        scope = "" if project_id is None else f" WHERE project_id = {int(project_id)}"
        queries = [f"SELECT id FROM {table}{scope}"]
        for child in entity.children:
            owner = sql.escape_column_name(child.owner)
            queries.append(
                f"SELECT DISTINCT {owner} FROM {sql.make_qualified_table_name(child.table)}"
                f" WHERE {owner} NOT IN (SELECT id FROM {table})"
            )
        for query in queries:
            try:
                rows = sql.execute_sql(query) or []
            except DatabaseUndefinedRelation:
                continue  # nothing synced into it yet
            held.update(str(row[0]) for row in rows)
    return held


def _read_watermark(scope: dict[str, Any]) -> datetime | None:
    text = scope.get("watermark")
    if text is None:
        return None
    try:
        watermark = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        watermark = None
    if watermark is None or watermark.tzinfo is None:
        raise SyncStateError(
            f"the sync state holds a watermark that is not a timestamp with a time zone: {text!r};"
            " a full refresh starts over"
        )
    return watermark


@dataclass(frozen=True)
class _Options:
    full_refresh: bool
    reconcile: bool
    overlap: timedelta
    report: SyncReport


class _Sync:
    """One resource's sync through one client: each listing, then what it found deleted.

    `listings` is the resource's state, one scope per listing. Before its first
    sync it holds none, and this sync replaces the resource's tables instead of
    merging into them: all they will hold is what it yields. A sync killed
    half-way commits no state, so the next one replaces them again.
    """

    def __init__(
        self,
        client: ModelLabClient,
        entity: _Entity,
        options: _Options,
        listings: dict[str, Any],
    ) -> None:
        self._client = client
        self._entity = entity
        self._options = options
        self._pipeline = dlt.current.pipeline()
        self._replace = not listings

    async def _held(self, project_id: int | None) -> set[str]:
        return await anyio.to_thread.run_sync(_held_ids, self._pipeline, self._entity, project_id)

    def _load(self, recent: Mapping[str, str]) -> _Load:
        return _Load(self._entity, self._client, self._options, recent, replace=self._replace)

    async def listing(
        self,
        listing: Paginator[Page[Any], Any],
        scope: dict[str, Any],
        project_id: int | None = None,
    ) -> AsyncIterator[Any]:
        """Yield the changes of `listing` since the watermark in `scope`, then the deletions.

        The walk runs as a job of its own, a batch ahead of dlt, so that it goes
        on while dlt writes what this yields. `scope["recent"]` remembers the
        version of each item within the overlap of the watermark: the next walk
        sees them again and skips those unchanged, so a sync with nothing
        changed writes nothing.
        """
        options = self._options
        since = None if options.full_refresh else _read_watermark(scope)
        load = self._load({} if options.full_refresh else scope.get("recent", {}))
        changes = listing.changes(since, overlap=options.overlap).decode_into(_Wire)
        batches, built = anyio.create_memory_object_stream[Job[_Built]](_BATCHES_AHEAD)
        walk = partial(self._walk, listing, changes, load, batches, project_id)
        walking = self._client._spawn(Job[int](), walk)
        try:
            async with built:
                async for building in built:
                    for batch in load.hand_over(await building.wait()):
                        yield batch
            removed = await walking.wait()
        finally:
            walking.cancel()
        _add(options.report.deleted, self._entity.table, removed)
        watermark = changes.watermark
        scope["watermark"] = None if watermark is None else watermark.isoformat()
        scope["recent"] = {
            item_id: stamp.isoformat()
            for item_id, stamp in load.stamps.items()
            if watermark is not None and stamp >= watermark - options.overlap
        }

    async def _walk(
        self,
        listing: Paginator[Page[Any], Any],
        changes: Changes[_Wire],
        load: _Load,
        batches: MemoryObjectSendStream[Job[_Built]],
        project_id: int | None,
    ) -> int:
        """Walk `changes`, sending each batch as its build starts, then the deletions; count those.

        With `reconcile`, the ids the destination holds that the service no
        longer lists are confirmed deleted; with `full_refresh`, those the walk
        did not see.
        """
        options, entity = self._options, self._entity
        full, since = options.full_refresh, changes.since
        collection = entity.collection(self._client)
        async with batches:
            held = await self._held(project_id) if options.reconcile or full else set()
            live = await listing.live_ids() if options.reconcile and not full else None
            walked: set[str] = set()
            async with aclosing(changes.pages()) as pages:
                async for page in pages:
                    load.add(page.items)
                    walked.update(item.id for item in page.items)
                    if options.report.on_page is not None:
                        total = page.meta.page.total if since is None else None
                        options.report.on_page(entity.table, len(page.items), total)
                    if load.full:
                        await batches.send(load.build())
            if live is None:
                gone = await collection.deleted(held - walked) if full else []
            else:
                # A deletion during a walk moves every item after it a place forward,
                # and one may move onto a page already read: the live ids show it.
                load.add(map(_wire, await _fetched(collection, live - held - walked)))
                gone = await collection.deleted(held - live)
            removed = sorted(set(gone) - walked)
            await batches.send(load.build(removed))
        return len(removed)

    async def by_id(self, ids: Sequence[int], scope: dict[str, Any]) -> AsyncIterator[Any]:
        """Yield the items `ids` names that changed since the last sync; raise if one is gone."""
        collection = self._entity.collection(self._client)
        items = [result.unwrap() async for result in collection.get_many(ids)]
        load = self._load({} if self._options.full_refresh else scope.get("recent", {}))
        load.add(map(_wire, items))
        for batch in load.hand_over(await load.build().wait()):
            yield batch
        scope["recent"] = {item.id: item.attributes.updated_at.isoformat() for item in items}


async def _fetched(collection: Collection, ids: Iterable[str]) -> list[Item]:
    """Fetch the items `ids` names, leaving out those deleted since (a later sync removes them)."""
    return [
        result.unwrap()
        async for result in collection.get_many(sorted(ids))
        if not isinstance(result.error, NotFoundError)
    ]


def modellab_source(
    project_ids: Sequence[int] = (),
    *,
    full_refresh: bool = False,
    reconcile: bool = False,
    overlap: timedelta = DEFAULT_OVERLAP,
    api_key: str | None = None,
    app_key: str | None = None,
    site: str | None = None,
    base_url: str | None = None,
    report: SyncReport | None = None,
) -> DltSource:
    """Return a dlt source of the organisation's projects and runs, synced incrementally.

    Run it with any dlt pipeline; the watermark of each listing is kept in the
    resources' dlt state, so the next run fetches only what changed::

        pipeline = dlt.pipeline("modellab", destination="duckdb", dataset_name="main")
        pipeline.run(modellab_source(reconcile=True))

    Args:
        project_ids: only these projects and their runs (each must exist).
        full_refresh: walk everything again, and remove what the service no
            longer has, whatever the saved watermarks say.
        reconcile: find deleted items now (the ids the destination holds that
            the listing no longer returns, each confirmed by a 404), and fetch
            the items listed that it lacks; run it as often as the copy must
            notice deletions (every sync, or every Nth).
            Reconciliation and full refreshes read the destination through
            `pipeline.sql_client()`.
        overlap: how far behind the watermark each walk looks again (equal
            timestamps, clock skew); items seen unchanged there are skipped.
        api_key: as for `ModelLabClient`; by default DD_API_KEY.
        app_key: as for `ModelLabClient`; by default DD_APP_KEY.
        site: as for `ModelLabClient`; by default DD_SITE, else datadoghq.com.
        base_url: send requests here instead (a proxy, a fake server).
        report: filled in with what the sync did as it runs.
    """
    options = _Options(full_refresh, reconcile, overlap, report or SyncReport())
    ids = sorted(set(project_ids))

    def client() -> ModelLabClient:
        return ModelLabClient(api_key=api_key, app_key=app_key, site=site, base_url=base_url)

    async def projects() -> AsyncIterator[Any]:
        state = dlt.current.resource_state().setdefault("listings", {})
        async with client() as api:
            try:
                sync = _Sync(api, _PROJECTS, options, state)
                if ids:
                    stream = sync.by_id(ids, state.setdefault("ids", {}))
                else:
                    stream = sync.listing(api.projects.list(), state.setdefault("all", {}))
                async for batch in stream:
                    yield batch
            finally:
                options.report.requests += api.stats.requests

    async def runs() -> AsyncIterator[Any]:
        state = dlt.current.resource_state().setdefault("listings", {})
        async with client() as api:
            try:
                sync = _Sync(api, _RUNS, options, state)
                scopes: list[int | None] = [*ids] or [None]
                for project_id in scopes:
                    key = "all" if project_id is None else f"project:{project_id}"
                    listing = api.runs.list(project_id=project_id)
                    async for batch in sync.listing(listing, state.setdefault(key, {}), project_id):
                        yield batch
            finally:
                options.report.requests += api.stats.requests

    @dlt.source(name="modellab")
    def source() -> tuple[DltResource, DltResource]:
        return (_resource(projects, _PROJECTS), _resource(runs, _RUNS))

    return source()


def _resource(generator: Callable[[], AsyncIterator[Any]], entity: _Entity) -> DltResource:
    factory = dlt.resource(
        generator,
        name=entity.table,
        primary_key="id",
        write_disposition="merge",
        columns=[_deleted_at(replace=False)],
    )
    return factory()
