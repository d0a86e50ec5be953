"""Listing N runs in pages of 100: modellab_async against its ceilings and alternatives."""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from ._clients import (
    modellab_blocking_listing,
    modellab_listing,
    naive_dicts,
    official_async,
    official_sync,
    transport_only,
    typed_loop,
)
from ._harness import Outcome, Variant, ratios, run_interleaved, spread
from ._paired import PairedJob, run_paired
from ._report import Section, check, megabytes, show, table, variant_rows
from ._server import ServerConfig, page_server
from ._settings import Settings
from .bench_decode import SlimRun

__all__ = ["SCENARIO", "VARIANTS", "run"]

SCENARIO = "listing"

VARIANTS = (
    Variant(
        "transport", "aiohttp GETs, bodies read and discarded (transport ceiling)", transport_only
    ),
    Variant(
        "typed", "aiohttp + one reused msgspec `Page[Run]` decoder (typed ceiling)", typed_loop
    ),
    Variant("modellab", "modellab_async: `async for` over `runs.list()`", modellab_listing()),
    Variant(
        "modellab_blocking",
        "modellab_async: `for` over `BlockingModelLabClient().runs.list()`",
        modellab_blocking_listing,
    ),
    Variant(
        "modellab_no_prefetch",
        "modellab_async: `runs.list(prefetch=False)`",
        modellab_listing(prefetch=False),
    ),
    Variant(
        "modellab_c8",
        "modellab_async: `runs.list(concurrency=8)`",
        modellab_listing(concurrency=8),
    ),
    Variant(
        "modellab_slim",
        "modellab_async: `runs.list().decode_into(SlimRun)` (id, name, status, updated_at)",
        modellab_listing(model=SlimRun),
    ),
    Variant("naive", "aiohttp + `json.loads` into dicts, following `links.next`", naive_dicts),
    Variant(
        "official_sync", "datadog-api-client `ApiClient`, page by page", official_sync, slow=True
    ),
    Variant(
        "official_async",
        "datadog-api-client `AsyncApiClient`, page by page",
        official_async,
        slow=True,
    ),
)


def run(settings: Settings, progress: Callable[[str], None]) -> Section:
    """Measure every variant, interleaved, against one server listing `listing_runs` runs."""
    with page_server(
        ServerConfig(total=settings.listing_runs, max_seconds=settings.server_seconds)
    ) as origin:
        results = run_interleaved(
            SCENARIO,
            VARIANTS,
            origin,
            settings.listing_runs,
            repetitions=settings.repetitions,
            timeout=settings.job_timeout,
            slow_share=settings.official_share,
            progress=progress,
        )
        paired, paired_sequential = [], []
        for repetition in range(settings.repetitions):
            job = PairedJob(origin, settings.paired_slice_runs, settings.paired_slices)
            paired.append(run_paired(job, settings.job_timeout))
            progress(f"{SCENARIO} head to head #{repetition + 1}: {paired[-1].ratio:.0%}")
            sequential = msgspec.structs.replace(job, concurrency=1)
            paired_sequential.append(run_paired(sequential, settings.job_timeout))
            progress(
                f"{SCENARIO} head to head, concurrency=1, #{repetition + 1}: "
                f"{paired_sequential[-1].ratio:.0%}"
            )

    def cells(name: str, outcomes: list[Outcome]) -> list[str]:
        return [
            f"{outcomes[0].items:,}",
            show(spread([o.rate for o in outcomes]), suffix="/s"),
            show(ratios(results, name, "transport"), ".2f", "x"),
            show(ratios(results, name, "official_async"), ",.1f", "x"),
            show(spread([o.cpu_per_1000 for o in outcomes]), ".3f"),
            show(spread(megabytes(outcomes)), ".0f"),
        ]

    rows = variant_rows(VARIANTS, results, cells)
    header = [
        "variant",
        "runs",
        "runs/s",
        "vs transport ceiling",
        "vs official async",
        "CPU s / 1,000 runs",
        "peak RSS MiB",
    ]
    to_typed = ratios(results, "modellab", "typed")
    head_to_head = spread([result.ratio for result in paired])
    head_to_head_sequential = spread([result.ratio for result in paired_sequential])
    to_official = ratios(results, "modellab", "official_async")
    blocking_to_async = ratios(results, "modellab_blocking", "modellab")
    typed_to_transport = ratios(results, "typed", "transport")
    modellab_to_transport = ratios(results, "modellab", "transport")
    distance = (
        f"typed ceiling at {show(typed_to_transport, '.0%')} and modellab_async at "
        f"{show(modellab_to_transport, '.0%')} of the transport ceiling"
    )
    targets = (
        check(
            "streaming >= 90% of the hand-written typed loop's runs/s (head to head)",
            head_to_head,
            0.9,
            f"{show(head_to_head, '.0%')} head to head ({show(to_typed, '.0%')} from separate "
            f"processes); {distance}",
        ),
        check(
            "streaming >= 50x the official async client's runs/s",
            to_official,
            50.0,
            f"{show(to_official, ',.0f', 'x')}",
        ),
        check(
            "the blocking client lists >= 80% of the async client's runs/s",
            blocking_to_async,
            0.8,
            f"{show(blocking_to_async, '.0%')}",
        ),
    )
    intro = (
        f"{settings.listing_runs:,} runs in pages of 100 from the loopback page server, "
        f"{settings.repetitions} interleaved repetitions, each variant in a fresh process. "
        f"The official clients list {settings.official_share:.1%} of the runs (they are "
        "slow); their rate is per run all the same. Ratios are taken within a repetition, "
        "then their median; ranges are min-max over repetitions."
    )
    per_slice = spread([ratio for result in paired for ratio in result.ratios])
    head_to_head_text = (
        "Head to head (`_paired.py`): the typed loop and `async for` over `runs.list()` in one "
        f"process, taking turns every {settings.paired_slice_runs:,} runs (ABBA), "
        f"{settings.paired_slices} slices each, in {settings.repetitions} processes. Separate "
        "processes run seconds apart, and on a shared machine that alone moves a rate by a "
        "third; taking turns in one process lets a slow moment hit both alike. modellab_async "
        f"lists at {show(head_to_head, '.0%')} of the typed loop's rate: each process takes the "
        "median of its pairs of adjacent slices, and the figure is the median of the processes "
        f"with their range in brackets. Single pairs ranged {show(per_slice, '.0%')}. "
        "With `concurrency=1` (page by page, one page prefetched: the default before listings "
        f"chose their own concurrency) it lists at {show(head_to_head_sequential, '.0%')}: on "
        "loopback decoding, not the network, is the bound, and many requests in flight cost "
        "CPU that a round trip of a millisecond does not repay."
    )
    body = f"{intro}\n\n{table(header, rows)}\n\n{head_to_head_text}"
    summary = (
        (
            "Listing: modellab_async vs hand-written typed loop, head to head",
            show(head_to_head, ".0%"),
        ),
        (
            "Listing: modellab_async with `concurrency=1` vs hand-written typed loop, head to head",
            show(head_to_head_sequential, ".0%"),
        ),
        (
            "Listing: modellab_async vs hand-written typed loop, separate processes",
            show(to_typed, ".0%"),
        ),
        ("Listing: modellab_async vs transport ceiling", show(modellab_to_transport, ".0%")),
        ("Listing: modellab_async vs official async client", show(to_official, ",.0f", "x")),
        (
            "Listing: modellab_async vs official sync client",
            show(ratios(results, "modellab", "official_sync"), ",.0f", "x"),
        ),
        ("Listing: the blocking client vs the async client", show(blocking_to_async, ".0%")),
        (
            "Listing: `decode_into` a slim model vs the full models",
            show(ratios(results, "modellab_slim", "modellab"), ".2f", "x"),
        ),
        (
            "Listing: modellab_async vs aiohttp + json.loads",
            show(ratios(results, "modellab", "naive"), ".2f", "x"),
        ),
    )
    return Section("Listing runs", body, targets, summary)
