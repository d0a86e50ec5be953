"""Peak memory while streaming a very long listing (a million runs) through `async for`."""

from __future__ import annotations

from collections.abc import Callable

from ._clients import modellab_listing
from ._harness import Outcome, Variant, measured, run_interleaved, spread
from ._report import Section, Target, check, megabytes, show, table, variant_rows
from ._server import ServerConfig, page_server
from ._settings import Settings

__all__ = ["SCENARIO", "VARIANTS", "run"]

SCENARIO = "stream"
TARGET_RUNS = 1_000_000
LIMIT_MIB = 100.0

VARIANTS = (
    Variant(
        "default", "modellab_async: `async for` over `runs.list()` (default)", modellab_listing()
    ),
    Variant(
        "sequential",
        "modellab_async: `runs.list(concurrency=1)` (sequential)",
        modellab_listing(concurrency=1),
    ),
)


def run(settings: Settings, progress: Callable[[str], None]) -> Section:
    """Stream `stream_runs` runs and report each process's peak RSS."""
    runs = settings.stream_runs
    with page_server(ServerConfig(total=runs, max_seconds=settings.server_seconds)) as origin:
        results = run_interleaved(
            SCENARIO,
            VARIANTS,
            origin,
            runs,
            repetitions=settings.stream_repetitions,
            timeout=settings.job_timeout,
            progress=progress,
        )

    def cells(_: str, outcomes: list[Outcome]) -> list[str]:
        return [
            show(spread(megabytes(outcomes)), ".0f"),
            show(spread([o.rate for o in outcomes]), suffix="/s"),
            show(spread([o.wall for o in outcomes]), ".1f", " s"),
        ]

    rows = variant_rows(VARIANTS, results, cells)
    peak = spread(megabytes(measured(results["default"])))
    goal = f"streaming {TARGET_RUNS:,} runs with the default under {LIMIT_MIB:.0f} MiB peak RSS"
    target: Target = check(goal, peak, LIMIT_MIB, f"{show(peak, '.0f', ' MiB')}", below=True)
    if runs < TARGET_RUNS:
        target = Target(goal, target.status, f"{target.measured} over only {runs:,} runs")
    intro = (
        f"{runs:,} runs ({runs // 100:,} pages of 100, served by repeating pre-rendered "
        f"pages with their own numbers); {settings.stream_repetitions} repetition(s). "
        "Peak RSS is the whole client process's, interpreter and imports included."
    )
    body = f"{intro}\n\n{table(['variant', 'peak RSS MiB', 'runs/s', 'wall time'], rows)}"
    summary = ((f"Peak RSS streaming {runs:,} runs (default)", show(peak, ".0f", " MiB")),)
    return Section(f"Streaming {runs:,} runs", body, (target,), summary)
