"""Run variants in fresh interpreters, interleaved, and summarise what they measured.

Each measurement is one subprocess (`python -m benchmarks._worker JOB`), so its
peak RSS belongs to that variant alone. Repetitions rotate the order of the
variants, so drift on a shared machine hits every variant alike, and ratios
are taken within a repetition before their median is.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass

import msgspec

__all__ = [
    "Job",
    "NotAvailableYet",
    "Outcome",
    "RunVariant",
    "Spread",
    "Variant",
    "asynchronous",
    "describe",
    "measured",
    "ratios",
    "run_interleaved",
    "run_job",
    "run_module",
    "spread",
]


class NotAvailableYet(Exception):
    """The library does not offer what this variant measures (yet)."""


class Job(msgspec.Struct, frozen=True):
    """One measurement: which variant of which scenario, against which server, how much."""

    scenario: str
    variant: str
    origin: str
    items: int


class Outcome(msgspec.Struct, frozen=True):
    """What a worker measured: items handled, wall and CPU seconds, peak RSS in bytes."""

    items: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    peak_rss: int = 0
    unavailable: str | None = None

    @property
    def rate(self) -> float:
        """Items per second of wall time."""
        return self.items / self.wall if self.wall > 0 else 0.0

    @property
    def cpu_per_1000(self) -> float:
        """CPU seconds of the client process per 1,000 items."""
        return self.cpu / self.items * 1000 if self.items else 0.0


RunVariant = Callable[[Job], int]


@dataclass(frozen=True)
class Variant:
    """One way of doing a scenario's work: `run(job)` does it and returns the items handled."""

    name: str
    label: str
    run: RunVariant
    slow: bool = False
    """Handles only a share of the scenario's items (`slow_share`), to keep runs short."""


def asynchronous(body: Callable[[Job], Coroutine[object, object, int]]) -> RunVariant:
    """Turn a coroutine function into a variant body that runs it on a fresh event loop."""

    def run(job: Job) -> int:
        return asyncio.run(body(job))

    run.__doc__ = body.__doc__
    return run


_outcome_decoder = msgspec.json.Decoder(Outcome)


def run_module(module: str, job: msgspec.Struct, timeout: float) -> bytes:
    """Run `python -m module JOB-JSON` in a fresh interpreter; return its last line of output."""
    completed = subprocess.run(
        [sys.executable, "-m", module, msgspec.json.encode(job).decode()],
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"{module} {job} failed ({completed.returncode}):\n"
            + completed.stderr.decode(errors="replace")[-4000:]
        )
    return completed.stdout.splitlines()[-1]


def run_job(job: Job, timeout: float) -> Outcome:
    """Run one job in a fresh interpreter and return its outcome."""
    return _outcome_decoder.decode(run_module("benchmarks._worker", job, timeout))


def run_interleaved(
    scenario: str,
    variants: Sequence[Variant],
    origin: str,
    items: int,
    *,
    repetitions: int,
    timeout: float,
    slow_share: float = 1.0,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, list[Outcome]]:
    """Run every variant `repetitions` times, rotating their order each time.

    Slow variants handle `slow_share` of the `items`. A variant found
    unavailable is measured once and then skipped.
    """
    outcomes: dict[str, list[Outcome]] = {variant.name: [] for variant in variants}
    for repetition in range(repetitions):
        shift = repetition % len(variants)
        for variant in (*variants[shift:], *variants[:shift]):
            done = outcomes[variant.name]
            if done and done[0].unavailable is not None:
                continue
            share = slow_share if variant.slow else 1.0
            job = Job(scenario, variant.name, origin, max(1, round(items * share)))
            outcome = run_job(job, timeout)
            progress(f"{scenario} #{repetition + 1} {variant.name}: {describe(outcome)}")
            done.append(outcome)
    return outcomes


def describe(outcome: Outcome) -> str:
    """Summarise one outcome in a line of progress output."""
    if outcome.unavailable is not None:
        return f"not available yet ({outcome.unavailable})"
    return (
        f"{outcome.items:,} items in {outcome.wall:.2f} s ({outcome.rate:,.0f}/s), "
        f"peak RSS {outcome.peak_rss / 2**20:.0f} MB"
    )


@dataclass(frozen=True)
class Spread:
    """The median of repeated measurements, with their lowest and highest values."""

    median: float
    low: float
    high: float
    count: int

    @property
    def relative(self) -> float:
        """Half the range as a share of the median: 0.05 reads as ±5%."""
        return (self.high - self.low) / 2 / self.median if self.median else 0.0


def spread(values: Sequence[float]) -> Spread | None:
    """Summarise repeated measurements; `None` if there are none."""
    if not values:
        return None
    return Spread(statistics.median(values), min(values), max(values), len(values))


def measured(outcomes: Sequence[Outcome]) -> list[Outcome]:
    """Drop the outcomes of variants that were not available."""
    return [outcome for outcome in outcomes if outcome.unavailable is None]


def ratios(
    results: Mapping[str, Sequence[Outcome]],
    name: str,
    reference: str,
    metric: Callable[[Outcome], float] = lambda outcome: outcome.rate,
) -> Spread | None:
    """Return the per-repetition ratio of `metric` of `name` over `reference`, summarised."""
    pairs = zip(measured(results[name]), measured(results[reference]), strict=False)
    return spread([metric(a) / metric(b) for a, b in pairs if metric(b) > 0])
