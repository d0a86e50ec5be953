"""The dlt source against the fake: first sync, quiet syncs, changes, deletions, churn, scope."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from aiohttp import web

from modellab_async.testing import FakeModelLab, MetricSummary, Param, Tag
from tests.scripted import ScriptedServer, json_response, run_resource

from .conftest import (
    copy_of,
    count_where,
    schemas,
    served_by,
    sync,
    sync_from,
    walk_bound,
    walks,
)

pytestmark = pytest.mark.anyio


async def test_the_first_sync_equals_the_fake(fake: FakeModelLab, database: Path) -> None:
    report = await sync(fake, database)
    assert copy_of(database) == served_by(fake)
    live = len(fake.runs())
    assert report.changed == {"runs": live, "projects": 4}
    assert len(walks(fake.requests, "runs")) == walk_bound(live) - 1  # no page past the end
    assert report.requests == len(fake.requests) == 5


async def test_a_sync_with_nothing_changed_sends_one_request_per_listing_and_writes_nothing(
    fake: FakeModelLab, database: Path
) -> None:
    await sync(fake, database)
    before = copy_of(database)
    loads = count_where(database, "SELECT count(*) FROM _dlt_loads")
    fake.requests.clear()
    report = await sync(fake, database)
    assert report.requests == len(fake.requests) == 2
    assert report.changed == {"runs": 0, "projects": 0}
    assert copy_of(database) == before
    # Nothing was yielded, so no load package reached the destination.
    assert count_where(database, "SELECT count(*) FROM _dlt_loads") == loads


async def test_inserts_updates_and_deletes_are_synced_within_the_request_bound(
    fake: FakeModelLab, database: Path
) -> None:
    await sync(fake, database)
    rng = random.Random(11)
    victims = rng.sample([run.id for run in fake.runs()], 60)
    for run_id in victims[:20]:
        fake.delete_run(run_id)
    for run_id in victims[20:55]:
        fake.update_run(run_id, status=rng.choice(("failed", "killed")), name=f"renamed-{run_id}")
    # Entries that go away must leave the child tables too.
    fake.update_run(victims[55], params=None, tags=[], metric_summaries=[])
    fake.update_run(
        victims[56], params=[Param(key="lr", value="0.5")], tags=[Tag(key="a", value="b")]
    )
    fake.update_run(
        victims[57],
        metric_summaries=[
            MetricSummary(
                key="loss", count=3, first_step=0, last_step=2, latest=1, max=2, mean=1.5, min=1
            )
        ],
    )
    added = [fake.add_run(project_id=rng.randint(1, 4)) for _ in range(12)]
    fake.requests.clear()

    report = await sync(fake, database, reconcile=True)

    assert copy_of(database) == served_by(fake)
    changed = 35 + 3 + len(added)
    assert report.changed["runs"] == changed
    assert report.deleted == {"projects": 0, "runs": 20}
    assert len(walks(fake.requests, "runs")) <= walk_bound(changed)
    assert len(walks(fake.requests, "projects")) == 1


async def test_deletions_wait_for_a_reconciliation(fake: FakeModelLab, database: Path) -> None:
    await sync(fake, database)
    gone = fake.runs()[7].id
    fake.delete_run(gone)
    await sync(fake, database)
    assert count_where(database, f"SELECT count(*) FROM runs WHERE id = '{gone}'") == 1
    fake.requests.clear()
    report = await sync(fake, database, reconcile=True)
    assert report.deleted["runs"] == 1
    assert copy_of(database) == served_by(fake)
    # The live ids cost one walk of each listing, the suspect one confirming request.
    confirmations = [
        r for r in fake.requests if "filter[id]" in dict(r.query) or "/runs/" in r.path
    ]
    assert len(confirmations) == 2  # the batch that did not return it, then its own GET


async def test_a_full_refresh_walks_everything_and_finds_deletions(
    fake: FakeModelLab, database: Path
) -> None:
    await sync(fake, database)
    for run in fake.runs()[:5]:
        fake.delete_run(run.id)
    fake.requests.clear()
    report = await sync(fake, database, full_refresh=True)
    assert copy_of(database) == served_by(fake)
    assert report.changed["runs"] == len(fake.runs())
    assert report.deleted["runs"] == 5


async def test_a_sync_during_churn_then_a_quiet_sync_converge(
    fake: FakeModelLab, database: Path
) -> None:
    await sync(fake, database)
    with fake.start_churn(per_second=400, seed=3) as churn:
        await sync(fake, database)
        churn.make(50)  # whatever the machine's speed, changes happen after the walk too
    await sync(fake, database, reconcile=True)
    assert churn.inserted
    assert churn.updated
    assert churn.deleted
    assert copy_of(database) == served_by(fake)


async def test_a_project_scope_syncs_that_project_alone(fake: FakeModelLab, database: Path) -> None:
    await sync(fake, database, project_ids=[2])
    served = served_by(fake)
    mine = [row for row in served["runs"] if row[1] == "2"]
    copy = copy_of(database)
    assert copy["runs"] == mine
    assert [row[0] for row in copy["projects"]] == ["2"]
    # A change elsewhere is not this scope's business; one here is.
    elsewhere = next(run for run in fake.runs() if run.project_id == 3)
    here = next(run for run in fake.runs() if run.project_id == 2)
    fake.update_run(elsewhere.id, name="elsewhere")
    fake.update_run(here.id, name="here")
    fake.requests.clear()
    report = await sync(fake, database, project_ids=[2])
    assert report.changed == {"projects": 0, "runs": 1}
    assert count_where(database, "SELECT count(*) FROM runs WHERE name = 'here'") == 1
    assert count_where(database, "SELECT count(*) FROM runs WHERE project_id <> '2'") == 0


async def test_a_project_that_does_not_exist_fails_the_sync_before_anything_is_loaded(
    fake: FakeModelLab, database: Path
) -> None:
    await sync(fake, database)
    before = copy_of(database)
    fake.update_run(fake.runs()[0].id, name="changed meanwhile")
    with pytest.raises(Exception, match="404"):
        await sync(fake, database, project_ids=[1, 99])
    assert copy_of(database) == before


def test_neither_the_package_nor_the_command_line_imports_dlt() -> None:
    code = (
        "import sys, modellab_async, modellab_async.cli._app; "
        "assert 'dlt' not in sys.modules and 'duckdb' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


async def test_the_first_sync_writes_straight_into_the_tables_the_next_ones_merge(
    fake: FakeModelLab, database: Path
) -> None:
    await sync(fake, database)
    # Replaced, not merged: dlt made no staging copy to merge from.
    assert "main_staging" not in schemas(database)
    assert copy_of(database) == served_by(fake)
    changed = fake.runs()[3]
    fake.update_run(changed.id, name="renamed", params=None)
    fake.delete_run(fake.runs()[4].id)
    report = await sync(fake, database, reconcile=True)
    assert "main_staging" in schemas(database)
    assert report.changed["runs"] == 1
    assert copy_of(database) == served_by(fake)


async def test_a_listed_run_marked_deleted_stays_out_of_the_first_sync_as_out_of_a_merge(
    database: Path,
) -> None:
    stamps = ("2026-05-01T12:00:00Z", "2026-05-01T11:00:00Z", "2026-05-01T10:00:00Z")
    deleted = {"deleted_at": "2026-05-01T11:00:00Z"}
    tags = [{"key": "team", "value": "ml"}]
    runs = [
        run_resource(run_id, updated_at=stamp, tags=tags, **(deleted if run_id == 2 else {}))
        for run_id, stamp in enumerate(stamps, start=1)
    ]

    async def handler(request: web.Request) -> web.Response:
        data = runs if request.path.endswith("/runs") else []
        page = {"number": 0, "size": 100, "total": len(data)}
        return json_response({"data": data, "meta": {"page": page}})

    def ids() -> tuple[list[str], list[str]]:
        """The runs held, and the runs whose tags are held."""
        with duckdb.connect(str(database)) as db:
            held = db.sql("SELECT id FROM runs ORDER BY id").fetchall()
            tagged = db.sql("SELECT run_id FROM run_tags ORDER BY run_id").fetchall()
        return [row[0] for row in held], [row[0] for row in tagged]

    async with ScriptedServer(handler) as server:
        await sync_from(server.url, database, api_key="key", app_key="key")
        first = ids()
        await sync_from(server.url, database, api_key="key", app_key="key", full_refresh=True)
    assert first == ids() == (["1", "3"], ["1", "3"])
