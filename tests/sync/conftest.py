"""Syncing the fake into a real DuckDB file, and reading both back in the same shape.

The fake serves on the test's event loop; each sync runs in a worker thread, as
a pipeline would run beside it, so the fake can change while a sync runs.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest
from click.testing import CliRunner, Result

pytest.importorskip("dlt")

import dlt
import duckdb

from modellab_async.cli._app import app
from modellab_async.dlt import SyncReport, modellab_source
from modellab_async.testing import FakeModelLab, RecordedRequest

PAGE_SIZE = 100
Rows = list[tuple[Any, ...]]
Copy = dict[str, Rows]

_RUN_COLUMNS = (
    "id, project_id, name, status, description, owner_id, created_at, started_at, updated_at,"
    " completed_at, duration, external_url"
)
_METRIC_COLUMNS = "run_id, key, count, min, max, mean, latest, first_step, last_step"
_QUERIES = {
    "runs": f"SELECT {_RUN_COLUMNS} FROM runs",
    "run_params": "SELECT run_id, key, value FROM run_params",
    "run_tags": "SELECT run_id, key, value FROM run_tags",
    "run_metrics": f"SELECT {_METRIC_COLUMNS} FROM run_metrics",
    "projects": "SELECT id, name, description, owner_id, created_at, updated_at FROM projects",
    "project_tags": "SELECT project_id, key, value FROM project_tags",
}


@pytest.fixture(autouse=True)
def _no_telemetry(monkeypatch: pytest.MonkeyPatch) -> None:
    """dlt reports usage to its makers unless told not to; tests reach no one."""
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")


@pytest.fixture
async def fake() -> AsyncIterator[FakeModelLab]:
    """A fake with 340 runs in 4 projects: four pages of runs."""
    async with FakeModelLab(runs=340, projects=4, seed=5) as server:
        yield server


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "copy.duckdb"


async def sync(fake: FakeModelLab, database: Path, **options: Any) -> SyncReport:
    """Run `modellab_source(**options)` on `fake` into `database` (see `sync_from`)."""
    return await sync_from(
        fake.url, database, api_key=fake.api_key, app_key=fake.app_key, **options
    )


async def sync_from(base_url: str, database: Path, **options: Any) -> SyncReport:
    """Run `modellab_source(**options)` into `database` with a dlt pipeline, in a worker thread.

    Each sync starts from an empty working folder, so what it knows of the
    last one comes from the destination alone.
    """
    report = SyncReport()
    source = modellab_source(base_url=base_url, report=report, **options)

    def run() -> None:
        with tempfile.TemporaryDirectory() as workdir:
            pipeline = dlt.pipeline(
                "modellab",
                pipelines_dir=workdir,
                destination=dlt.destinations.duckdb(str(database)),
                dataset_name="main",
            )
            pipeline.run(source)

    await anyio.to_thread.run_sync(run)
    return report


async def invoke(fake: FakeModelLab, *args: str) -> Result:
    """Run `modellab --base-url FAKE ARGS` in this process, in a worker thread."""
    environment = {"DD_API_KEY": fake.api_key, "DD_APP_KEY": fake.app_key}
    arguments = ["--base-url", fake.url, *args]
    return await anyio.to_thread.run_sync(
        lambda: CliRunner().invoke(app, arguments, env=environment)
    )


def copy_of(database: Path) -> Copy:
    """Every synced table, as sorted rows (duplicates kept, so that they show)."""
    with duckdb.connect(str(database)) as db:
        return {table: sorted(db.sql(query).fetchall()) for table, query in _QUERIES.items()}


def served_by(fake: FakeModelLab) -> Copy:
    """What the fake serves, in the shape of `copy_of`."""
    runs = fake.runs()
    projects = fake.projects()
    return {
        "runs": sorted(
            (
                str(r.id),
                str(r.project_id),
                r.name,
                r.status,
                r.description,
                r.owner_id,
                r.created_at,
                r.started_at,
                r.updated_at,
                r.completed_at,
                r.duration,
                r.external_url,
            )
            for r in runs
        ),
        "run_params": sorted((str(r.id), p.key, p.value) for r in runs for p in r.params or ()),
        "run_tags": sorted((str(r.id), t.key, t.value) for r in runs for t in r.tags),
        "run_metrics": sorted(
            (str(r.id), m.key, m.count, m.min, m.max, m.mean, m.latest, m.first_step, m.last_step)
            for r in runs
            for m in r.metric_summaries
        ),
        "projects": sorted(
            (str(p.id), p.name, p.description, p.owner_id, p.created_at, p.updated_at)
            for p in projects
        ),
        "project_tags": sorted((str(p.id), t.key, t.value) for p in projects for t in p.tags),
    }


def walks(requests: Sequence[RecordedRequest], resource: str) -> list[RecordedRequest]:
    """The pages a `changes()` walk of `/runs` or `/projects` asked for."""
    return [
        r
        for r in requests
        if r.path.endswith(f"/{resource}") and dict(r.query).get("sort") == "-updated_at"
    ]


def walk_bound(changed: int) -> int:
    """Requests item 1 allows a walk that hands over `changed` items."""
    return math.ceil(changed / PAGE_SIZE) + 1


def schemas(database: Path) -> set[str]:
    """The schemas of the DuckDB file: `main`, and `main_staging` once dlt has merged."""
    with duckdb.connect(str(database)) as db:
        rows = db.sql("SELECT schema_name FROM duckdb_schemas() WHERE NOT internal").fetchall()
    return {name for (name,) in rows}


def count_where(database: Path, query: str) -> int:
    with duckdb.connect(str(database)) as db:
        [(count,)] = db.sql(query).fetchall()
    return int(count)
