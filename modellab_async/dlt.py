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
each missing one with a 404) and by every full refresh.

The first sync of a resource into a destination (no state saved for it yet)
replaces its tables instead of merging into them: dlt then writes straight
into them, with no staging copy and no merge. Items become Arrow tables a
thousand at a time as pages arrive, handed to dlt `_ROWS_PER_TABLE` runs at a
time (dlt's work per table yielded is large, its work per row in Arrow small).
Needs the `dlt` extra: `pip install "modellab-async[dlt]"`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence, Sized
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from itertools import accumulate, chain
from operator import attrgetter
from typing import Any

import anyio.to_thread
import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.schema.typing import TColumnSchema, TWriteDispositionConfig
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.sources import DltResource, DltSource

from . import ModelLabClient, Page, Paginator, Project, Run
from .frames import CHUNK_ROWS, METRIC_STATS, PROJECTS, RUNS, Kind, arrow_types
from .resources._base import Collection
from .resources._paginator import DEFAULT_OVERLAP

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
#: Items per table yielded: dlt's work per table is large, its work per row small.
_ROWS_PER_TABLE = 4 * CHUNK_ROWS
#: Items built into Arrow at once: few calls per row, few objects held long.
_ROWS_PER_BUILD = 1000

Item = Run | Project


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


def _repeat(values: Sequence[str], groups: Sequence[Sized]) -> pa.Array[Any]:
    """Repeat each value once per member of its group: each entry's owner, found in C++."""
    offsets = pa.array(list(accumulate(map(len, groups), initial=0)), pa.int32())
    members = pa.ListArray.from_arrays(offsets, pa.nulls(offsets[-1].as_py()))
    return pa.array(values, _TEXT).take(pc.list_parent_indices(members))


@dataclass(frozen=True)
class _Child:
    """A child table in long form: one row per entry (a param, a tag, a metric) of an item."""

    table: str
    owner: str
    columns: tuple[tuple[str, pa.DataType], ...]
    entries: Callable[[Any], Sequence[Any] | None]

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
        self, items: Sequence[Item], removed: Sequence[str], now: datetime, *, replace: bool
    ) -> pa.Table:
        """Build the rows of `items`; when merging, one deletion row per owner without entries.

        An owner (run, project) with no entries left, or `removed`, gets a row
        with `deleted_at` set: it deletes the owner's old rows and adds none.
        A table being replaced holds no old rows, so it needs no deletion rows.
        """
        groups = [self.entries(item.attributes) or () for item in items]
        entries = list(chain.from_iterable(groups))
        arrays = [_repeat([item.id for item in items], groups)]
        arrays.extend(
            pa.array(list(map(attrgetter(name), entries)), type_) for name, type_ in self.columns
        )
        arrays.append(pa.nulls(len(entries), self.schema.field(_DELETED_AT).type))
        table = pa.Table.from_arrays(arrays, schema=self.schema)
        emptied = [item.id for item, group in zip(items, groups, strict=True) if not group]
        if replace or not (removed or emptied):
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
        """The owner's id (never null), the entry's columns, `deleted_at`."""
        return pa.schema(
            [
                pa.field(self.owner, _TEXT, nullable=False),
                *(pa.field(name, type_) for name, type_ in self.columns),
                pa.field(_DELETED_AT, _TIMESTAMP),
            ]
        )


_KEY_VALUE = (("key", _TEXT), ("value", _TEXT))
_METRIC = (
    ("key", _TEXT),
    *((stat, _TYPES[RUNS.column_type(f"metric.x.{stat}")]) for stat in METRIC_STATS),
)


def _column(values: list[Any], type_: pa.DataType) -> pa.Array[Any]:
    """Build a column; ids the wire sends as numbers (`project_id`) become text, as in frames."""
    column: pa.Array[Any] = pa.array(values, None if type_ == _TEXT else type_)
    return column if column.type == type_ else column.cast(type_)


@dataclass(frozen=True)
class _Entity:
    """How one resource (runs, projects) becomes tables: its own, then its children."""

    kind: Kind
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

    def table_of(self, items: Sequence[Item]) -> pa.Table:
        """One row per item."""
        schema = self.schema
        attributes = [item.attributes for item in items]
        arrays: list[pa.Array[Any]] = [pa.array([item.id for item in items], _TEXT)]
        arrays.extend(
            _column(list(map(attrgetter(column.name), attributes)), column.type)
            for column in list(schema)[1:]
        )
        return pa.Table.from_arrays(arrays, schema=schema)

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

    def tables(
        self, items: Sequence[Item], removed: Sequence[str], now: datetime, *, replace: bool
    ) -> Iterator[tuple[str, pa.Table]]:
        """Build the rows of items and removed ids, by table: nothing if there are neither.

        With `replace`, the load's rows replace the tables' (a first sync: no
        staging, no merge), so removed ids need no rows.
        """
        if replace:
            removed = ()
        if not items and not removed:
            return
        own = self.table_of(items)
        yield self.table, pa.concat_tables([own, self.removal_of(removed, now)]) if removed else own
        for child in self.children:
            yield child.table, child.table_of(items, removed, now, replace=replace)

    def marked(self, table: str, rows: pa.Table, *, replace: bool) -> Any:
        """Return `rows` of `table` as dlt takes them: with the table's hints.

        Replacing, the rows a merge would delete (a non-null `deleted_at`) are left out.
        """
        if table == self.table:
            if replace:
                rows = rows.filter(pc.is_null(rows[_DELETED_AT]))
            return dlt.mark.with_hints(rows, _RESOURCE_HINTS[replace])
        child = next(child for child in self.children if child.table == table)
        return dlt.mark.with_hints(rows, child.hints(replace=replace), create_table_variant=True)


class _Load:
    """One resource's rows: built into Arrow a thousand items at a time, handed to dlt in large tables.

    Built in small batches, items are let go while they are young, which costs
    the garbage collector little; dlt's work per table yielded is large, so
    the batches' tables are yielded together, `_ROWS_PER_TABLE` items at a time.
    """

    def __init__(self, entity: _Entity, *, replace: bool) -> None:
        self._entity = entity
        self._replace = replace
        self._items: list[Item] = []
        self._pieces: dict[str, list[pa.Table]] = {}
        self.rows = 0

    def add(self, items: Sequence[Item]) -> None:
        """Take `items` in, building their rows once enough have come."""
        self._items.extend(items)
        self.rows += len(items)
        if len(self._items) >= _ROWS_PER_BUILD:
            self._build(())

    def _build(self, removed: Sequence[str]) -> None:
        now = datetime.now(UTC)
        for table, rows in self._entity.tables(self._items, removed, now, replace=self._replace):
            self._pieces.setdefault(table, []).append(rows)
        self._items = []

    def take(self, removed: Sequence[str] = ()) -> list[Any]:
        """Return the tables of the items taken in and of `removed` ids, to yield; start afresh."""
        self._build(removed)
        taken = [
            self._entity.marked(table, pa.concat_tables(pieces), replace=self._replace)
            for table, pieces in self._pieces.items()
        ]
        self._pieces = {}
        self.rows = 0
        return taken


_RUNS = _Entity(
    RUNS,
    (
        _Child("run_params", "run_id", _KEY_VALUE, lambda a: a.params),
        _Child("run_tags", "run_id", _KEY_VALUE, lambda a: a.tags),
        _Child("run_metrics", "run_id", _METRIC, lambda a: a.metric_summaries),
    ),
    lambda client: client.runs,
)
_PROJECTS = _Entity(
    PROJECTS,
    (_Child("project_tags", "project_id", _KEY_VALUE, lambda a: a.tags),),
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

    def _hand_over(self, load: _Load, removed: Sequence[str] = ()) -> list[Any]:
        """Take what `load` holds, and `removed`, to yield it; count its items in the report."""
        _add(self._options.report.changed, self._entity.table, load.rows)
        return load.take(removed)

    async def _held(self, project_id: int | None) -> set[str]:
        return await anyio.to_thread.run_sync(_held_ids, self._pipeline, self._entity, project_id)

    async def listing(
        self,
        listing: Paginator[Page[Any], Any],
        scope: dict[str, Any],
        project_id: int | None = None,
    ) -> AsyncIterator[Any]:
        """Yield the changes of `listing` since the watermark in `scope`, then the deletions.

        `scope["recent"]` remembers the version of each item within the overlap
        of the watermark: the next walk sees them again and skips those unchanged,
        so a sync with nothing changed writes nothing.
        """
        options, entity = self._options, self._entity
        full = options.full_refresh
        since = None if full else _read_watermark(scope)
        recent: dict[str, str] = {} if full else scope.get("recent", {})
        gone: set[str] = set()
        collection = entity.collection(self._client)
        if options.reconcile and not full:
            missing = await self._held(project_id) - await listing.live_ids()
            gone = set(await collection.deleted(missing))
        changes = listing.changes(since, overlap=options.overlap)
        walked: set[str] = set()
        stamps: dict[str, datetime] = {}
        newest: datetime | None = None
        load = _Load(entity, replace=self._replace)
        async with aclosing(changes.pages()) as pages:
            async for page in pages:
                fresh = []
                for item in page.items:
                    stamp = item.attributes.updated_at
                    newest = stamp if newest is None else newest
                    if stamp >= newest - options.overlap:
                        stamps[item.id] = stamp
                    if item.id not in recent or recent[item.id] != stamp.isoformat():
                        fresh.append(item)
                load.add(fresh)
                walked.update(item.id for item in page.items)
                if options.report.on_page is not None:
                    total = page.meta.page.total if since is None else None
                    options.report.on_page(entity.table, len(page.items), total)
                if load.rows >= _ROWS_PER_TABLE:
                    for batch in self._hand_over(load):
                        yield batch
        if full:
            gone = set(await collection.deleted(await self._held(project_id) - walked))
        removed = sorted(gone - walked)
        for batch in self._hand_over(load, removed):
            yield batch
        _add(options.report.deleted, entity.table, len(removed))
        watermark = changes.watermark
        scope["watermark"] = None if watermark is None else watermark.isoformat()
        scope["recent"] = {
            item_id: stamp.isoformat()
            for item_id, stamp in stamps.items()
            if watermark is not None and stamp >= watermark - options.overlap
        }

    async def by_id(self, ids: Sequence[int], scope: dict[str, Any]) -> AsyncIterator[Any]:
        """Yield the items `ids` names that changed since the last sync; raise if one is gone."""
        recent: dict[str, str] = {} if self._options.full_refresh else scope.get("recent", {})
        collection = self._entity.collection(self._client)
        items = [result.unwrap() async for result in collection.get_many(ids)]
        fresh = [i for i in items if recent.get(i.id) != i.attributes.updated_at.isoformat()]
        load = _Load(self._entity, replace=self._replace)
        load.add(fresh)
        for batch in self._hand_over(load):
            yield batch
        scope["recent"] = {item.id: item.attributes.updated_at.isoformat() for item in items}


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
            the listing no longer returns, each confirmed by a 404); run it as
            often as the copy must notice deletions (every sync, or every Nth).
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
