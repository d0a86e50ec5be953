"""Turn measurements into Markdown: tables, spreads, target checks and the machine's notes."""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import modellab_async

from ._harness import Outcome, Spread, Variant, measured

__all__ = [
    "Section",
    "Target",
    "check",
    "environment",
    "megabytes",
    "seconds",
    "show",
    "show_seconds",
    "table",
    "unavailable",
    "variant_rows",
]

Status = Literal["met", "not met", "not available yet"]

_PACKAGES = ("aiohttp", "msgspec", "anyio", "yarl", "datadog-api-client", "aiosonic", "pydantic")


@dataclass(frozen=True)
class Target:
    """A goal of the issue, and whether this run met it."""

    goal: str
    status: Status
    measured: str


@dataclass(frozen=True)
class Section:
    """One scenario's part of `results.md`; `summary` rows feed the README table."""

    title: str
    body: str
    targets: tuple[Target, ...] = ()
    summary: tuple[tuple[str, str], ...] = field(default=())


def check(
    goal: str, value: Spread | None, threshold: float, measured: str, *, below: bool = False
) -> Target:
    """Check a median against a threshold: at least it, or under it when `below`."""
    if value is None:
        return Target(goal, "not available yet", measured)
    met = value.median < threshold if below else value.median >= threshold
    return Target(goal, "met" if met else "not met", measured)


def show(value: Spread | None, fmt: str = ",.0f", suffix: str = "") -> str:
    """Render a median and its range, e.g. `12,345/s (11,900-12,800)`."""
    if value is None:
        return "not available yet"
    if value.count == 1:
        return f"{value.median:{fmt}}{suffix}"
    return f"{value.median:{fmt}}{suffix} ({value.low:{fmt}}-{value.high:{fmt}})"


def show_seconds(value: Spread | None) -> str:
    """Render a median duration and its range, each with its own unit."""
    if value is None:
        return "not available yet"
    if value.count == 1:
        return seconds(value.median)
    return f"{seconds(value.median)} ({seconds(value.low)}-{seconds(value.high)})"


def seconds(value: float) -> str:
    """Render a duration with a unit that keeps three significant digits."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value / 1e-9:.3g} ns"


def megabytes(outcomes: Sequence[Outcome]) -> list[float]:
    """Return the peak RSS of each outcome in MiB."""
    return [outcome.peak_rss / 2**20 for outcome in outcomes]


def unavailable(outcomes: Sequence[Outcome]) -> str | None:
    """Return why a variant was not measured, if it was not."""
    return next((o.unavailable for o in outcomes if o.unavailable is not None), None)


def table(header: Sequence[str], rows: Sequence[Sequence[str]], *, text_columns: int = 1) -> str:
    """Render a Markdown table: the first `text_columns` left-aligned, the rest right-aligned."""
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + " --- |" * text_columns + " ---: |" * (len(header) - text_columns),
        *("| " + " | ".join(row) + " |" for row in rows),
    ]
    return "\n".join(lines)


def variant_rows(
    variants: Sequence[Variant],
    results: Mapping[str, Sequence[Outcome]],
    cells: Callable[[str, list[Outcome]], list[str]],
) -> list[list[str]]:
    """Return one table row per variant: its label, then `cells(name, outcomes)`.

    A variant that was not available gets the reason in its second cell instead.
    """
    rows = []
    for variant in variants:
        outcomes = measured(results[variant.name])
        if outcomes:
            rows.append([variant.label, *cells(variant.name, outcomes)])
        else:
            rows.append(
                [variant.label, f"not available yet: `{unavailable(results[variant.name])}`"]
            )
    width = max(len(row) for row in rows)
    return [row + [""] * (width - len(row)) for row in rows]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def environment(mode: str, started: datetime.datetime, load_before: float) -> str:
    """Describe the machine, the interpreter, the libraries and the mode of this run."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load_after = os.getloadavg()[0]
    versions = ", ".join(f"{package} {_version(package)}" for package in _PACKAGES)
    return "\n".join(
        [
            f"- Date: {started:%Y-%m-%d %H:%M} UTC; mode: {mode}",
            (
                f"- Machine: {_cpu_model()}, {os.cpu_count()} logical CPUs, "
                f"{memory:.1f} GiB RAM; {platform.system()} {platform.release()}"
            ),
            f"- Load average (1 min): {load_before:.2f} before, {load_after:.2f} after",
            (
                f"- Python {platform.python_version()} ({platform.python_implementation()}, "
                f"{sys.executable.rsplit('/', 1)[-1]})"
            ),
            f"- modellab_async {modellab_async.__version__}; {versions}",
        ]
    )
