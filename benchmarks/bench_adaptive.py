"""The default concurrency against fixed ones: at 50 ms per response, and under a rate limit.

Listings and `get_many` choose how many requests to keep in flight when the
caller passes no `concurrency`. Here the default races sequential and fixed
concurrencies of 4 to 32 against a server answering in 50 ms with jitter, and
lists alone against the same server rate limited as Datadog announces it
(`X-RateLimit-*` headers, 429 past the limit).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence

from modellab_async import RateLimitError

from ._clients import count_items, modellab_get_many, modellab_listing, open_client
from ._data import PAGE_SIZE
from ._harness import (
    Job,
    Outcome,
    Spread,
    Variant,
    asynchronous,
    measured,
    run_interleaved,
    run_job,
    spread,
)
from ._report import Section, Target, check, show, table, variant_rows
from ._server import ServedStats, ServerConfig, page_server, served_stats
from ._settings import Settings

__all__ = ["SCENARIO", "VARIANTS", "run"]

SCENARIO = "adaptive"
LATENCY = 0.05
JITTER = 0.02
FIXED = (4, 8, 16, 32)
WITHIN = 1.3
RATE_SHARE = 0.9
MAX_429_SHARE = 0.05


@asynchronous
async def listing_until_429(job: Job) -> int:
    """List with the default; a 429 reaching the caller ends it early (fewer items)."""
    async with open_client(job.origin) as client:
        runs = client.runs.list(limit=job.items)
        try:
            return await count_items(runs)
        except RateLimitError:
            return runs.stats.items


LISTING = (
    Variant("default", "`runs.list()` (default)", modellab_listing()),
    Variant("c1", "`runs.list(concurrency=1)` (sequential)", modellab_listing(concurrency=1)),
    *(
        Variant(f"c{n}", f"`runs.list(concurrency={n})`", modellab_listing(concurrency=n))
        for n in FIXED
    ),
)
GET_MANY = (
    Variant("get_many_default", "`runs.get_many(ids)` (default)", modellab_get_many()),
    *(
        Variant(
            f"get_many_c{n}",
            f"`runs.get_many(ids, concurrency={n})`",
            modellab_get_many(concurrency=n),
        )
        for n in FIXED
    ),
)
RATE_LIMITED = Variant("rate_limited", "`runs.list()` (default)", listing_until_429)
VARIANTS = (*LISTING, *GET_MANY, RATE_LIMITED)


def _versus_best_fixed(
    results: Mapping[str, Sequence[Outcome]], default: str, fixed: Sequence[str]
) -> tuple[Spread | None, str]:
    """Return the default's wall time over the best fixed variant's, per repetition, and its name.

    The best is the fixed variant with the lowest median time: taking the fastest
    of four in each repetition would favour them by picking their luckiest sample.
    """
    walls = {name: [o.wall for o in measured(results[name])] for name in fixed}
    medians = {name: statistics.median(times) for name, times in walls.items() if times}
    if not medians:
        return None, "none"
    best = min(medians, key=medians.__getitem__)
    pairs = zip(measured(results[default]), measured(results[best]), strict=False)
    return spread([outcome.wall / other.wall for outcome, other in pairs]), best


def _wall_rows(
    variants: Sequence[Variant], results: Mapping[str, Sequence[Outcome]], default: str
) -> list[list[str]]:
    def cells(name: str, outcomes: list[Outcome]) -> list[str]:
        walls = [o.wall for o in outcomes]
        versus = [
            o.wall / d.wall for o, d in zip(outcomes, measured(results[default]), strict=False)
        ]
        return [show(spread(walls), ".2f", " s"), show(spread(versus), ".2f", "x")]

    return variant_rows(variants, results, cells)


def _without_limit(settings: Settings, progress: Callable[[str], None]) -> Section:
    """Race the default against sequential and fixed concurrencies at 50 ms per response."""
    pages, ids = settings.adaptive_pages, settings.adaptive_ids
    config = ServerConfig(
        total=pages * PAGE_SIZE,
        latency=LATENCY,
        jitter=JITTER,
        max_seconds=settings.server_seconds,
    )
    with page_server(config) as origin:
        listing = run_interleaved(
            SCENARIO,
            LISTING,
            origin,
            pages * PAGE_SIZE,
            repetitions=settings.adaptive_repetitions,
            timeout=settings.job_timeout,
            progress=progress,
        )
        bulk = run_interleaved(
            SCENARIO,
            GET_MANY,
            origin,
            ids,
            repetitions=settings.adaptive_repetitions,
            timeout=settings.job_timeout,
            progress=progress,
        )
    fixed = [f"c{n}" for n in FIXED]
    versus, best = _versus_best_fixed(listing, "default", fixed)
    sequential = spread(
        [
            s.wall / d.wall
            for d, s in zip(measured(listing["default"]), measured(listing["c1"]), strict=False)
        ]
    )
    bulk_versus, bulk_best = _versus_best_fixed(
        bulk, "get_many_default", [f"get_many_c{n}" for n in FIXED]
    )
    delay = f"{LATENCY * 1000:.0f} ± {JITTER * 1000:.0f} ms per response"
    targets = (
        check(
            f"{delay}, {pages} pages: the default within {WITHIN}x of the best fixed "
            "concurrency's time",
            versus,
            WITHIN,
            f"{show(versus, '.2f', 'x')} of {best}'s time",
            below=True,
        ),
        check(
            f"{delay}, `get_many` of {ids:,} ids: the default within {WITHIN}x of the best "
            "fixed concurrency's time",
            bulk_versus,
            WITHIN,
            f"{show(bulk_versus, '.2f', 'x')} of {bulk_best.removeprefix('get_many_')}'s time",
            below=True,
        ),
    )
    header = ["variant", "wall time", "vs the default"]
    body = (
        f"{pages} pages of 100 runs, then `get_many` of {ids:,} ids (100 per request), the "
        f"server adding {delay} to every response; {settings.adaptive_repetitions} interleaved "
        "repetition(s). \"vs the default\" is each variant's wall time over the default's in "
        f"the same repetition.\n\n{table(header, _wall_rows(LISTING, listing, 'default'))}\n\n"
        f"{table(header, _wall_rows(GET_MANY, bulk, 'get_many_default'))}"
    )
    summary = (
        (f"{delay}, {pages} pages: the default vs sequential", show(sequential, ".1f", "x faster")),
        (
            f"{delay}, {pages} pages: the default vs the best fixed `concurrency` (4 to 32)",
            f"{show(versus, '.2f', 'x')} its time ({best})",
        ),
        (
            f"{delay}, `get_many` of {ids:,} runs: the default vs the best fixed `concurrency`",
            f"{show(bulk_versus, '.2f', 'x')} its time ({bulk_best.removeprefix('get_many_')})",
        ),
    )
    return Section("", body, targets, summary)


def _under_limit(settings: Settings, progress: Callable[[str], None]) -> Section:
    """List with the default against a rate-limited server, a fresh server (and window) each time.

    The server's windows start with its first request, so a client that sends
    every request the moment its window allows finishes at the start of the
    last window: `(ceil(pages / limit) - 1) * period`. The requests past the
    first window's share, over the wall time, are the rate sustained.
    """
    limit, period = settings.rate_limit
    pages = settings.rate_pages
    allowed = limit / period
    config = ServerConfig(
        total=pages * PAGE_SIZE,
        latency=LATENCY,
        jitter=JITTER,
        rate_limit=limit,
        rate_period=period,
        max_seconds=settings.server_seconds,
    )
    outcomes: list[Outcome] = []
    served: list[ServedStats] = []
    for repetition in range(settings.rate_repetitions):
        with page_server(config) as origin:
            outcome = run_job(Job(SCENARIO, RATE_LIMITED.name, origin, pages * PAGE_SIZE), 600.0)
            served.append(served_stats(origin))
        outcomes.append(outcome)
        progress(
            f"{SCENARIO} rate limited #{repetition + 1}: {outcome.items:,} runs in "
            f"{outcome.wall:.2f} s, {served[-1]}"
        )
    ideal = (math.ceil(pages / limit) - 1) * period
    rates = spread([(pages - limit) / o.wall / allowed for o in outcomes])
    answered_429 = spread([s.rate_limited / s.requests for s in served])
    reached = sum(o.items < pages * PAGE_SIZE for o in outcomes)
    window = f"{limit} requests per {period:g} s"
    targets = (
        check(
            f"{window}, {pages} pages: at least {RATE_SHARE:.0%} of the allowed rate",
            rates,
            RATE_SHARE,
            f"{show(rates, '.1%')} of {allowed:g} requests/s",
        ),
        Target(
            f"{window}: no 429 reaches the caller",
            "met" if not reached else "not met",
            f"{reached} of {len(outcomes)} listings ended by a 429",
        ),
        check(
            f"{window}: fewer than {MAX_429_SHARE:.0%} of requests answered 429",
            answered_429,
            MAX_429_SHARE,
            f"{show(answered_429, '.1%')} ({', '.join(str(s.rate_limited) for s in served)} 429s)",
            below=True,
        ),
    )
    rows = [
        [
            f"#{i + 1}",
            f"{o.wall:.2f} s",
            f"{(pages - limit) / o.wall:.2f}/s",
            f"{s.requests:,}",
            f"{s.rate_limited:,}",
            str(s.max_in_flight),
            f"{o.items:,}",
        ]
        for i, (o, s) in enumerate(zip(outcomes, served, strict=True))
    ]
    header = [
        "repetition",
        "wall time",
        "sustained rate",
        "requests",
        "answered 429",
        "most in flight at the server",
        "runs listed",
    ]
    body = (
        f"`runs.list()` of {pages} pages against the same server limited to {window} "
        f"(windows from its first request, announced by `X-RateLimit-Limit/Remaining/Reset/"
        f"Period`, integer seconds as Datadog sends them; 429 with "
        f'`{{"errors": ["Too many requests"]}}` past the limit), a fresh server each '
        f"repetition. A client sending each request the moment the window allows takes "
        f"{ideal:g} s; the sustained rate is the {pages - limit} requests past the first "
        f"window's {limit}, over the wall time, against {allowed:g} requests/s allowed."
        + (" Quick mode: a smaller window and fewer pages." if settings.name == "quick" else "")
        + f"\n\n{table(header, rows)}"
    )
    summary = (
        (
            f"Rate limit of {window}, {pages} pages, the default",
            (
                f"{show(rates, '.0%')} of the allowed rate, {show(answered_429, '.1%')} of "
                f"requests answered 429, {reached or 'none'} reaching the caller"
            ),
        ),
    )
    return Section("", body, targets, summary)


def run(settings: Settings, progress: Callable[[str], None]) -> Section:
    """Measure the default concurrency without a rate limit, then under one."""
    free = _without_limit(settings, progress)
    limited = _under_limit(settings, progress)
    return Section(
        "Adaptive concurrency: the default against fixed ones",
        f"{free.body}\n\n{limited.body}",
        free.targets + limited.targets,
        free.summary + limited.summary,
    )
