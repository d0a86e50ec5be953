"""`modellab sync`: keep a database copy of the runs and projects current, with dlt.

The watermarks live in the destination (dlt's `_dlt_pipeline_state`, committed
with the data), so the command keeps no state of its own: dlt works in a
temporary folder that each sync starts afresh, restoring its state from the
destination.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import ModelLabError
from ._progress import item_bars, show_progress
from ._run import CommandError, Settings, SetupError, run

if TYPE_CHECKING:
    import dlt

    from ..dlt import SyncReport

__all__ = ["DEFAULT_OUTPUT", "SyncOrder", "sync", "synchronize"]

DEFAULT_OUTPUT = "modellab.duckdb"
_TABLES = ("runs", "projects")
# dlt errors that mean the destination is not set up as it should be, not that it failed.
_SETUP_ERRORS = frozenset(
    {
        "ConfigFieldMissingException",
        "MissingDependencyException",
        "UnknownDestinationModule",
        "InvalidDestinationReference",
    }
)


@click.command("sync")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    help=f"The DuckDB file to keep current (default: {DEFAULT_OUTPUT} in this folder).",
)
@click.option(
    "--destination",
    metavar="NAME",
    help="Any other dlt destination (postgres, bigquery, ...), configured the dlt way.",
)
@click.option(
    "--project",
    "project_ids",
    type=click.IntRange(min=1),
    multiple=True,
    help="Only this project and its runs (repeatable).",
)
@click.option("--full", is_flag=True, help="Walk everything again and remove what is gone.")
@click.option(
    "--reconcile",
    is_flag=True,
    help="Find deleted runs and projects now, and fetch any the copy lacks.",
)
def sync(
    output: str | None,
    destination: str | None,
    project_ids: Sequence[int],
    full: bool,
    reconcile: bool,
) -> None:
    """Copy runs and projects into a database, then only what changed since.

    Tables: runs, projects, and run_params, run_tags, run_metrics, project_tags
    (long form: run_id, key, value or statistics). For example:
    modellab sync && duckdb modellab.duckdb "select status, count(*) from runs group by 1"
    """
    if output is not None and destination is not None:
        raise click.UsageError("give --output (a DuckDB file) or --destination, not both")
    settings = click.get_current_context().ensure_object(Settings)
    order = SyncOrder(
        output=output or DEFAULT_OUTPUT,
        destination=destination,
        project_ids=tuple(project_ids),
        full=full,
        reconcile=reconcile,
    )
    run(_echo_sync(order, settings.base_url))


@dataclass(frozen=True, kw_only=True)
class SyncOrder:
    """One `modellab sync`: where to, which projects, and how (see the command's options)."""

    output: str = DEFAULT_OUTPUT
    destination: str | None = None
    project_ids: tuple[int, ...] = ()
    full: bool = False
    reconcile: bool = False


async def _echo_sync(order: SyncOrder, base_url: str | None) -> None:
    # dlt blocks this thread, so Ctrl-C reaches it as it would any program.
    click.echo(synchronize(order, base_url=base_url, progress=show_progress()))


def synchronize(
    order: SyncOrder,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    app_key: str | None = None,
    progress: bool = False,
) -> str:
    """Run one sync and return its summary line; keys from the environment unless given."""
    try:
        import dlt  # noqa: PLC0415  # optional, and slow to import

        from ..dlt import SyncReport, modellab_source  # noqa: PLC0415
    except ModuleNotFoundError as exc:
        raise SetupError(
            f"modellab sync needs {exc.name}; install it with: pip install 'modellab-async[dlt]'"
        ) from None
    # The command keeps the organisation's data out of dlt's anonymous usage telemetry.
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    started = time.perf_counter()
    destination, output = order.destination, Path(order.output)
    target: Any = destination or dlt.destinations.duckdb(credentials=str(output))
    with (
        item_bars(enabled=progress) as bars,
        tempfile.TemporaryDirectory(prefix="modellab-sync-") as workdir,
        _removed_on_failure(None if destination else output),
        _translated_errors(),
    ):
        tasks: dict[str, Any] = {}

        def on_page(table: str, items: int, total: int | None) -> None:
            if table not in tasks:
                tasks[table] = bars.add_task(table, total=total)
            bars.update(tasks[table], advance=items, total=total)

        report = SyncReport(on_page=on_page)
        source = modellab_source(
            order.project_ids,
            full_refresh=order.full,
            reconcile=order.reconcile,
            api_key=api_key,
            app_key=app_key,
            base_url=base_url,
            report=report,
        )
        pipeline = dlt.pipeline(
            "modellab",
            pipelines_dir=workdir,
            destination=target,
            dataset_name="modellab" if destination else "main",
        )
        pipeline.sync_destination()
        before = _row_counts(pipeline)
        pipeline.run(source)
        after = _row_counts(pipeline)
    return _summary(report, before, after, time.perf_counter() - started)


def _row_counts(pipeline: dlt.Pipeline) -> dict[str, int]:
    """Count the rows of `runs` and `projects` (0 before the first sync)."""
    from dlt.destinations.exceptions import DatabaseUndefinedRelation  # noqa: PLC0415

    if not pipeline.schema_names:
        return dict.fromkeys(_TABLES, 0)
    counts = {}
    with pipeline.sql_client() as sql:
        for table in _TABLES:
            try:
                rows = sql.execute_sql(
                    f"SELECT COUNT(*) FROM {sql.make_qualified_table_name(table)}"
                )
            except DatabaseUndefinedRelation:
                rows = [(0,)]
            counts[table] = int(rows[0][0]) if rows else 0
    return counts


def _summary(
    report: SyncReport, before: dict[str, int], after: dict[str, int], seconds: float
) -> str:
    """One line: new, updated and deleted per table, then requests and seconds."""
    parts = []
    for table in _TABLES:
        deleted = report.deleted.get(table, 0)
        new = after[table] - before[table] + deleted
        updated = report.changed.get(table, 0) - new
        parts.append(f"{table}: {new:,} new, {updated:,} updated, {deleted:,} deleted")
    return f"{'; '.join(parts)}; {report.requests:,} requests in {seconds:.1f} s"


@contextmanager
def _removed_on_failure(path: Path | None) -> Iterator[None]:
    """Remove a DuckDB file this sync created if it fails: a failed first sync leaves nothing."""
    created = path is not None and not path.exists()
    try:
        yield
    except BaseException:
        if created and path is not None:
            for leftover in (path, path.with_name(path.name + ".wal")):
                leftover.unlink(missing_ok=True)
        raise


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """Walk an exception's causes, dlt's wrapped step exceptions included."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        wrapped = getattr(current, "exception", None)
        current = (
            wrapped
            if isinstance(wrapped, BaseException)
            else current.__cause__ or current.__context__
        )


@contextmanager
def _translated_errors() -> Iterator[None]:
    """Turn what dlt raised into the one-line errors and exit codes of the other commands."""
    from dlt.common.exceptions import DltException, SignalReceivedException  # noqa: PLC0415

    try:
        yield
    except DltException as exc:
        causes = list(_causes(exc))
        if any(isinstance(cause, SignalReceivedException) for cause in causes):
            raise KeyboardInterrupt from None
        for cause in causes:
            if isinstance(cause, (ModelLabError, ValueError)):
                raise cause from None  # `run` shows these as the other commands do
        if getattr(exc, "step", None) == "extract":
            raise  # the source broke: a bug, which keeps its traceback
        message = f"the destination failed: {_first_line(causes[-1])}"
        if any(type(cause).__name__ in _SETUP_ERRORS for cause in causes):
            raise SetupError(message) from None
        raise CommandError(message) from None


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
