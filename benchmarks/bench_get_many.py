"""Fetching many single runs by id, 32 at a time, against the transport ceiling."""

from __future__ import annotations

from collections.abc import Callable

from ._clients import batched_gets, modellab_get_many, modellab_gets, single_gets
from ._harness import Outcome, Variant, ratios, run_interleaved, spread
from ._report import Section, megabytes, show, table, variant_rows
from ._server import ServerConfig, page_server
from ._settings import Settings

__all__ = ["SCENARIO", "VARIANTS", "run"]

SCENARIO = "get_many"
CONCURRENCY = 32

VARIANTS = (
    Variant(
        "transport",
        f"aiohttp `GET /runs/{{id}}`, {CONCURRENCY} in flight, bodies discarded (ceiling)",
        single_gets(CONCURRENCY),
    ),
    Variant(
        "batched",
        f"aiohttp `GET /runs?filter[id]=` 100 ids at a time, {CONCURRENCY} in flight, "
        "bodies discarded",
        batched_gets(CONCURRENCY),
    ),
    Variant(
        "get_many",
        f"modellab_async: `runs.get_many(ids, concurrency={CONCURRENCY})`",
        modellab_get_many(concurrency=CONCURRENCY),
    ),
    Variant(
        "gets",
        f"modellab_async: `runs.get(id)` from {CONCURRENCY} hand-written tasks",
        modellab_gets(CONCURRENCY),
    ),
)


def run(settings: Settings, progress: Callable[[str], None]) -> Section:
    """Measure `get_many_runs` single-run requests at 32 concurrent."""
    with page_server(ServerConfig(total=100, max_seconds=settings.server_seconds)) as origin:
        results = run_interleaved(
            SCENARIO,
            VARIANTS,
            origin,
            settings.get_many_runs,
            repetitions=settings.repetitions,
            timeout=settings.job_timeout,
            progress=progress,
        )

    def cells(name: str, outcomes: list[Outcome]) -> list[str]:
        return [
            show(spread([o.rate for o in outcomes]), suffix="/s"),
            show(ratios(results, name, "transport"), ".2f", "x"),
            show(ratios(results, name, "batched"), ".2f", "x"),
            show(spread([o.cpu_per_1000 for o in outcomes]), ".3f"),
            show(spread(megabytes(outcomes)), ".0f"),
        ]

    rows = variant_rows(VARIANTS, results, cells)
    header = [
        "variant",
        "runs/s",
        "vs single-GET ceiling",
        "vs batched ceiling",
        "CPU s / 1,000 runs",
        "peak RSS MiB",
    ]
    intro = (
        f"{settings.get_many_runs:,} runs by id, {CONCURRENCY} requests in flight, "
        f"{settings.repetitions} interleaved repetitions. The ceiling is "
        f"{settings.get_many_runs:,} single `GET /runs/{{id}}`; `get_many` asks for ids "
        "100 at a time through `filter[id]` on the list endpoint, so the batched line is "
        "the ceiling of the requests it actually sends."
    )
    body = f"{intro}\n\n{table(header, rows)}"
    summary = (
        (
            f"get_many of {settings.get_many_runs:,} runs at {CONCURRENCY} vs ceiling",
            show(ratios(results, "get_many", "transport"), ".0%"),
        ),
    )
    return Section(f"Fetching {settings.get_many_runs:,} runs by id", body, (), summary)
