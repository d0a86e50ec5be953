"""Copying runs into DuckDB with dlt: our source against the plain listing and dlt's generic source.

One changing page server (distinct runs, newest first) serves every variant.
Each variant runs in a fresh process: the plain listing, `modellab_source()`
yielding Arrow tables, the same source with each table turned into dicts, and
dlt's generic `rest_api` source configured for this API. Then, in this
process, an incremental sync after 1% of the runs changed is timed against a
full re-export, and the generic source is pointed at pages whose links name
another server.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._clients import modellab_listing
from ._data import PAGE_SIZE
from ._harness import Job, Outcome, RunVariant, Variant, ratios, run_interleaved, spread
from ._report import Section, check, megabytes, seconds, show, table, variant_rows
from ._server import TOUCH_PATH, ServerConfig, page_server, served_stats
from ._settings import Settings

__all__ = ["SCENARIO", "VARIANTS", "run"]

SCENARIO = "sync"
CHANGED_SHARE = 0.01
_KEY = "benchmark"
_API = "/api/v2/model-lab-api/"


def _quiet_dlt() -> None:
    # dlt reports usage to its makers unless told not to; a benchmark reaches no one.
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")


def _pipeline(folder: str) -> Any:
    import dlt  # noqa: PLC0415  # only the processes that sync import it

    return dlt.pipeline(
        "bench",
        pipelines_dir=folder,
        destination=dlt.destinations.duckdb(str(Path(folder) / "copy.duckdb")),
        dataset_name="main",
    )


def _as_dicts(item: Any) -> Any:
    import pyarrow as pa  # noqa: PLC0415

    return item.to_pylist() if isinstance(item, pa.Table) else item


def sync_once(origin: str, folder: str, *, dicts: bool = False, full: bool = False) -> Any:
    """Sync the runs at `origin` into `folder`'s DuckDB file; return the `SyncReport`."""
    _quiet_dlt()
    from modellab_async.dlt import SyncReport, modellab_source  # noqa: PLC0415

    report = SyncReport()
    source = modellab_source(
        base_url=origin, api_key=_KEY, app_key=_KEY, report=report, full_refresh=full
    ).with_resources("runs")
    if dicts:
        source.resources["runs"].add_map(_as_dicts)
    _pipeline(folder).run(source)
    return report


def source_into_duckdb(*, dicts: bool) -> RunVariant:
    """Return a variant body: a first sync of every run into a new DuckDB file."""

    def body(job: Job) -> int:
        with tempfile.TemporaryDirectory() as folder:
            changed: int = sync_once(job.origin, folder, dicts=dicts).changed["runs"]
        return changed

    return body


def _generic_config(origin: str, paginator: dict[str, Any]) -> Any:
    return {
        "client": {
            "base_url": origin + _API,
            "headers": {"DD-API-KEY": _KEY, "DD-APPLICATION-KEY": _KEY},
            "paginator": paginator,
        },
        "resources": [
            {
                "name": "runs",
                "primary_key": "id",
                "write_disposition": "merge",
                "endpoint": {
                    "path": "runs",
                    "params": {"page[size]": PAGE_SIZE},
                    "data_selector": "data",
                },
            }
        ],
    }


def _run_generic(origin: str, paginator: dict[str, Any]) -> None:
    _quiet_dlt()
    from dlt.sources.rest_api import rest_api_source  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as folder:
        _pipeline(folder).run(rest_api_source(_generic_config(origin, paginator)))


def generic_rest_api(job: Job) -> int:
    """dlt's generic source as a data team would configure it: numbered pages from 0."""
    pages = math.ceil(job.items / PAGE_SIZE)
    paginator = {
        "type": "page_number",
        "base_page": 0,
        "page_param": "page[number]",
        "total_path": None,
        "maximum_page": pages,
    }
    _run_generic(job.origin, paginator)
    return min(job.items, pages * PAGE_SIZE)


VARIANTS = (
    Variant("listing", "modellab_async: `async for` over `runs.list()`", modellab_listing()),
    Variant(
        "source",
        "`modellab_source()` into DuckDB: Arrow tables of 16,384 runs, replacing the empty tables",
        source_into_duckdb(dicts=False),
    ),
    Variant(
        "source_dicts",
        "`modellab_source()` into DuckDB, each table turned into dicts",
        source_into_duckdb(dicts=True),
    ),
    Variant(
        "rest_api",
        "dlt `rest_api` source into DuckDB: page-number paginator from 0, `data`, merge on `id`",
        generic_rest_api,
        slow=True,
    ),
)


#: The first sync's comparison; the dicts variant runs on a smaller listing (`run`).
MAIN = tuple(variant for variant in VARIANTS if variant.name != "source_dicts")


def _post(url: str) -> None:
    with urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=60):
        pass


def _served(origin: str) -> int:
    return served_stats(origin).requests


def _incremental(origin: str) -> list[list[str]]:
    """Sync, change 1% of the runs, then time an incremental sync against a full re-export."""
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        sync_once(origin, folder)
        _post(f"{origin}{TOUCH_PATH}?share={CHANGED_SHARE}")
        for label, full in (("incremental sync", False), ("full re-export (`full_refresh`)", True)):
            clock = time.perf_counter()
            report = sync_once(origin, folder, full=full)
            elapsed = time.perf_counter() - clock
            changed = report.changed["runs"]
            rows.append([label, f"{changed:,}", f"{report.requests:,}", seconds(elapsed)])
    return rows


def _hazard(settings: Settings) -> str:
    """Point both sources at pages whose links name another server; count who went there."""
    with page_server(ServerConfig(total=PAGE_SIZE * 3, changing=True)) as elsewhere:
        config = ServerConfig(total=PAGE_SIZE * 3, changing=True, link_origin=elsewhere)
        with page_server(config) as origin, tempfile.TemporaryDirectory() as folder:
            sync_once(origin, folder)
            ours = _served(elsewhere)
            _run_generic(origin, {"type": "json_link", "next_url_path": "links.next"})
            generic = _served(elsewhere) - ours
    return (
        f"Links naming another host: with pages whose `links.next` names a second server, "
        f"the generic source following `links.next` sent {generic} requests there, each with "
        f"the keys; `modellab_source()` sent {ours} (it pages by number through the client). "
        "`tests/sync/test_hosts.py` holds ours to that."
    )


def run(settings: Settings, progress: Callable[[str], None]) -> Section:
    """Measure the first sync of `sync_runs` runs, then an incremental sync, then the hazard."""
    runs = settings.sync_runs
    server = ServerConfig(total=runs, max_seconds=settings.server_seconds, changing=True)
    with page_server(server) as origin:
        results = run_interleaved(
            SCENARIO,
            MAIN,
            origin,
            runs,
            repetitions=settings.repetitions,
            timeout=settings.job_timeout,
            slow_share=settings.sync_generic_share,
            progress=progress,
        )
        progress(f"{SCENARIO}: incremental sync after {CHANGED_SHARE:.0%} changed")
        incremental = _incremental(origin)
    # Dicts are slow too: Arrow against dicts on a listing the size the generic source copies.
    few = max(PAGE_SIZE, round(runs * settings.sync_generic_share))
    small = ServerConfig(total=few, max_seconds=settings.server_seconds, changing=True)
    with page_server(small) as origin:
        forms = run_interleaved(
            SCENARIO,
            [variant for variant in VARIANTS if variant.name.startswith("source")],
            origin,
            few,
            repetitions=settings.repetitions,
            timeout=settings.job_timeout,
            progress=progress,
        )
    progress(f"{SCENARIO}: links to another host")
    hazard = _hazard(settings)

    def cells(name: str, outcomes: list[Outcome]) -> list[str]:
        return [
            f"{outcomes[0].items:,}",
            show(spread([o.rate for o in outcomes]), suffix="/s"),
            show(ratios(results, name, "listing"), ".2f", "x"),
            show(ratios(results, name, "rest_api"), ",.1f", "x"),
            show(spread(megabytes(outcomes)), ".0f"),
        ]

    header = ["variant", "runs", "runs/s", "vs plain listing", "vs rest_api", "peak RSS MiB"]
    rows = variant_rows(MAIN, results, cells)
    to_generic = ratios(results, "source", "rest_api")
    to_listing = ratios(results, "source", "listing")
    arrow_to_dicts = ratios(forms, "source", "source_dicts")
    dicts_rate = spread([o.rate for o in forms["source_dicts"]])
    arrow_rate = spread([o.rate for o in forms["source"]])
    targets = (
        check(
            "first sync into DuckDB >= 20x dlt's generic rest_api source's runs/s",
            to_generic,
            20.0,
            show(to_generic, ",.0f", "x"),
        ),
        check(
            "first sync into DuckDB >= 1/4 of the plain listing's runs/s",
            to_listing,
            0.25,
            show(to_listing, ".0%"),
        ),
    )
    intro = (
        f"A first sync of {runs:,} distinct runs (pages of 100, newest first) from the loopback "
        f"page server into a new DuckDB file, {settings.repetitions} interleaved repetitions, "
        f"each variant in a fresh process; the generic source copies "
        f"{settings.sync_generic_share:.0%} of them (it is slow), its rate is per run all the "
        f"same. Arrow tables against dicts, both on a listing of {few:,} runs: "
        f"{show(arrow_rate, suffix='/s')} against {show(dicts_rate, suffix='/s')}, "
        f"{show(arrow_to_dicts, '.1f', 'x')} as fast, so the source yields Arrow."
    )
    incremental_text = (
        f"Then {CHANGED_SHARE:.0%} of the runs get a newer `updated_at` and the same copy is "
        "synced again, incrementally, then fully:"
    )
    body = "\n\n".join(
        [
            intro,
            table(header, rows),
            incremental_text,
            table(["sync", "runs written", "requests", "time"], incremental),
            hazard,
        ]
    )
    summary = (
        ("Sync into DuckDB: modellab_source vs dlt rest_api source", show(to_generic, ",.0f", "x")),
        ("Sync into DuckDB: modellab_source vs plain listing", show(to_listing, ".0%")),
        (
            f"Sync into DuckDB: incremental after {CHANGED_SHARE:.0%} changed vs full re-export",
            (
                f"{incremental[0][2]} vs {incremental[1][2]} requests, "
                f"{incremental[0][3]} vs {incremental[1][3]}"
            ),
        ),
    )
    return Section("Syncing runs into DuckDB", body, targets, summary)
