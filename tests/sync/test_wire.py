"""What the sync reads off the wire: Arrow builds its rows from the JSON the service sent.

The source decodes each item's `id` with msgspec and hands its attributes, as
sent, to Arrow's JSON reader; these pages are written by hand to show how it
reads what the documented models leave open, and what it refuses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from aiohttp import web
from dlt.pipeline.exceptions import PipelineStepFailed

from modellab_async import DecodeError
from modellab_async.testing import FakeModelLab
from tests.scripted import ScriptedServer, json_response, run_resource

from .conftest import copy_of, count_where, served_by, sync, sync_from

pytestmark = pytest.mark.anyio

_METRIC = {"key": "loss", "count": 3, "min": 0.1, "max": 0.9, "mean": 0.5, "latest": 0.2}


def _page(data: list[Any]) -> dict[str, Any]:
    return {"data": data, "meta": {"page": {"number": 0, "size": 100, "total": len(data)}}}


async def _sync_pages(runs: list[Any], database: Path, *, raw: bytes | None = None) -> None:
    """Sync a service whose runs listing holds `runs` (or the body `raw`), and no project."""

    async def handler(request: web.Request) -> web.Response:
        if request.path.endswith("/runs"):
            if raw is not None:
                return web.Response(body=raw, content_type="application/json")
            return json_response(_page(runs))
        return json_response(_page([]))

    async with ScriptedServer(handler) as server:
        await sync_from(server.url, database, api_key="key", app_key="key")


def _rows(database: Path, query: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(database)) as db:
        return db.sql(query).fetchall()


async def test_fields_the_models_do_not_know_are_skipped_and_absent_ones_are_null(
    database: Path,
) -> None:
    run = run_resource(
        1,
        surprise={"nested": [1, 2]},
        tags=[{"key": "team", "value": "ml", "color": "blue"}],
        metric_summaries=[{**_METRIC, "unit": "nats"}],
    )
    for optional in ("completed_at", "duration", "external_url", "owner_id"):
        run["attributes"].pop(optional, None)
    await _sync_pages([run], database)
    assert _rows(database, "SELECT id, name, duration, owner_id FROM runs") == [
        ("1", "run-1", None, None)
    ]
    assert _rows(database, "SELECT run_id, key, value FROM run_tags") == [("1", "team", "ml")]
    assert _rows(database, "SELECT run_id, key, count, stddev, last_step FROM run_metrics") == [
        ("1", "loss", 3, None, None)
    ]
    assert count_where(database, "SELECT count(*) FROM run_params") == 0  # params: null


async def test_every_rfc_3339_form_msgspec_reads_is_a_timestamp(database: Path) -> None:
    forms = {
        1: "2026-05-01T12:00:00Z",
        2: "2026-05-01T14:00:00.5+02:00",
        3: "2026-05-01T12:00:00.123456789Z",  # nanoseconds: Arrow refuses, msgspec rounds
        4: "0001-01-01T00:00:00Z",  # a zero time, as Go services send
    }
    runs = [run_resource(run_id, started_at=form) for run_id, form in forms.items()]
    await _sync_pages(runs, database)
    started = dict(_rows(database, "SELECT id, strftime(started_at, '%Y %H:%M:%S.%f') FROM runs"))
    assert started == {
        "1": "2026 12:00:00.000000",
        "2": "2026 12:00:00.500000",
        "3": "2026 12:00:00.123457",
        "4": "0001 00:00:00.000000",
    }


async def test_json_laid_out_on_several_lines_reads_the_same(database: Path) -> None:
    runs = [run_resource(run_id, tags=[{"key": "k", "value": f"v{run_id}"}]) for run_id in (1, 2)]
    pretty = json_response(_page(runs)).body
    assert isinstance(pretty, bytes)
    indented = pretty.replace(b",", b",\n    ").replace(b"{", b"{\n  ")
    await _sync_pages(runs, database, raw=indented)
    assert _rows(database, "SELECT run_id, value FROM run_tags ORDER BY run_id") == [
        ("1", "v1"),
        ("2", "v2"),
    ]


async def test_a_run_larger_than_a_block_of_the_reader_is_read_whole(database: Path) -> None:
    params = [{"key": f"p{index:05d}", "value": "x" * 64} for index in range(20_000)]
    runs = [run_resource(1), run_resource(2, params=params), run_resource(3)]
    await _sync_pages(runs, database)
    assert count_where(database, "SELECT count(*) FROM run_params WHERE run_id = '2'") == 20_000
    assert count_where(database, "SELECT count(*) FROM runs") == 3


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({"name": 5}, "runs: an item not in the documented shape"),
        ({"metric_summaries": [{**_METRIC, "count": "many"}]}, "documented shape"),
        ({"created_at": "yesterday"}, "runs: a timestamp that is not RFC 3339"),
    ],
)
async def test_an_item_not_in_the_documented_shape_fails_the_sync_and_writes_nothing(
    database: Path, attributes: dict[str, Any], message: str
) -> None:
    runs = [run_resource(1), run_resource(2, **attributes)]
    with pytest.raises(PipelineStepFailed) as failure:  # dlt wraps what a source raises
        await _sync_pages(runs, database)
    cause: BaseException | None = failure.value
    while cause is not None and not isinstance(cause, DecodeError):
        cause = cause.__cause__ or getattr(cause, "exception", None)
    assert isinstance(cause, DecodeError)
    assert message in str(cause)
    assert (
        not database.exists()
        or count_where(
            database,
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'runs'",
        )
        == 0
    )


async def test_a_reconciliation_brings_back_a_run_the_copy_lacks(
    fake: FakeModelLab, database: Path
) -> None:
    """A deletion during a walk moves a run onto a page already read; its `updated_at` is old,
    so no later walk finds it: the reconciliation's live ids do."""
    await sync(fake, database)
    lost = fake.runs()[-1].id  # the oldest: no incremental walk reaches it
    with duckdb.connect(str(database)) as db:
        for table, owner in (("runs", "id"), ("run_params", "run_id"), ("run_tags", "run_id")):
            db.execute(f"DELETE FROM {table} WHERE {owner} = '{lost}'")
        db.execute(f"DELETE FROM run_metrics WHERE run_id = '{lost}'")
    await sync(fake, database)
    assert count_where(database, f"SELECT count(*) FROM runs WHERE id = '{lost}'") == 0
    report = await sync(fake, database, reconcile=True)
    assert report.changed["runs"] == 1
    assert report.deleted["runs"] == 0
    assert copy_of(database) == served_by(fake)
