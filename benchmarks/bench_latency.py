"""A slow service: 50 ms added to every response, 100 pages, sequential against concurrent."""

from __future__ import annotations

from collections.abc import Callable

from ._clients import modellab_listing, ordered_fan_out
from ._data import PAGE_SIZE
from ._harness import Outcome, Variant, ratios, run_interleaved, spread
from ._report import Section, check, show, table, variant_rows
from ._server import ServerConfig, page_server
from ._settings import Settings

__all__ = ["LATENCY", "SCENARIO", "VARIANTS", "run"]

SCENARIO = "latency"
LATENCY = 0.05
CONCURRENCY = 16

VARIANTS = (
    Variant(
        "sequential",
        "modellab_async: `runs.list(concurrency=1)`, sequential",
        modellab_listing(concurrency=1),
    ),
    Variant(
        "concurrent",
        f"modellab_async: `runs.list(concurrency={CONCURRENCY})`",
        modellab_listing(concurrency=CONCURRENCY),
    ),
    Variant(
        "fan_out",
        f"hand-written ordered fan-out, {CONCURRENCY} in flight (reference)",
        ordered_fan_out(CONCURRENCY),
    ),
)


def run(settings: Settings, progress: Callable[[str], None]) -> Section:
    """Measure listing `latency_pages` pages, each answered after 50 ms."""
    runs = settings.latency_pages * PAGE_SIZE
    with page_server(
        ServerConfig(total=runs, latency=LATENCY, max_seconds=settings.server_seconds)
    ) as origin:
        results = run_interleaved(
            SCENARIO,
            VARIANTS,
            origin,
            runs,
            repetitions=settings.latency_repetitions,
            timeout=settings.job_timeout,
            progress=progress,
        )

    def cells(name: str, outcomes: list[Outcome]) -> list[str]:
        return [
            show(spread([o.wall for o in outcomes]), ".2f", " s"),
            show(ratios(results, name, "sequential"), ".1f", "x"),
        ]

    rows = variant_rows(VARIANTS, results, cells)
    speedup = ratios(results, "concurrent", "sequential")
    reference = ratios(results, "fan_out", "sequential")
    target = check(
        f"{LATENCY * 1000:.0f} ms per response: concurrency={CONCURRENCY} >= 8x sequential",
        speedup,
        8.0,
        f"{show(speedup, '.1f', 'x')} (hand-written reference: {show(reference, '.1f', 'x')})",
    )
    intro = (
        f"{settings.latency_pages} pages of 100 runs, the server adding {LATENCY * 1000:.0f} "
        f"ms to every response; {settings.latency_repetitions} interleaved repetitions. "
        "Speedups are against modellab_async's sequential listing in the same repetition."
    )
    body = f"{intro}\n\n{table(['variant', 'wall time', 'speedup'], rows)}"
    summary = (
        (
            (
                f"{LATENCY * 1000:.0f} ms per page, {settings.latency_pages} pages: "
                f"concurrency={CONCURRENCY} vs sequential"
            ),
            show(speedup, ".1f", "x"),
        ),
    )
    return Section("Latency: 50 ms per response", body, (target,), summary)
