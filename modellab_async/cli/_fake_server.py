"""`modellab fake-server`: serve the bundled fake Model Lab API until Ctrl-C.

Its dataset defaults are the demo's, so the commands `modellab demo` prints
give the output it shows. It prints the `export` lines that point `modellab`
(and any Datadog client reading DD_API_KEY and DD_APP_KEY) at it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from ._run import BASE_URL_ENV, CommandError

if TYPE_CHECKING:
    from ..testing import FakeModelLab, Fault, FaultEffect, RateLimit

__all__ = [
    "DEFAULT_PORT",
    "DEFAULT_PROJECTS",
    "DEFAULT_RUNS",
    "DEFAULT_SEED",
    "FAULT_KINDS",
    "fake_server",
    "generate_fake",
]

#: The dataset both `modellab demo` and `modellab fake-server` serve by default.
DEFAULT_RUNS = 30_000
DEFAULT_PROJECTS = 5
DEFAULT_SEED = 0
DEFAULT_PORT = 8126

#: The `--fault` kinds, each naming an effect of `modellab_async.testing`.
FAULT_KINDS = (
    "429",
    "500",
    "502",
    "503",
    "504",
    "proxy-page",
    "reset",
    "truncate",
    "slow",
    "drift",
)


def _effect(kind: str) -> FaultEffect:
    from .. import testing  # noqa: PLC0415  # aiohttp.web, only for the fake

    if kind == "429":
        return testing.TooManyRequests()
    if kind.isdigit():
        return testing.ServerError(int(kind))
    effects: dict[str, FaultEffect] = {
        "proxy-page": testing.ProxyErrorPage(),
        "reset": testing.ConnectionReset(),
        "truncate": testing.TruncatedBody(),
        "slow": testing.SlowBody(),
        "drift": testing.PageDrift(),
    }
    return effects[kind]


def _faults(_ctx: click.Context, _param: click.Parameter, specs: Sequence[str]) -> list[Fault]:
    """Parse each `KIND[:PROBABILITY][@ROUTE]`, e.g. `503:0.1@list_runs`, into a `Fault`."""
    from ..testing import Fault  # noqa: PLC0415

    faults = []
    for value in specs:
        spec, _, route = value.partition("@")
        kind, _, probability = spec.lower().partition(":")
        if kind not in FAULT_KINDS:
            raise click.BadParameter(f"{kind!r} is not one of {', '.join(FAULT_KINDS)}")
        try:
            chance = float(probability) if probability else 1.0
            faults.append(Fault(_effect(kind), route=route or None, probability=chance))
        except ValueError as exc:
            raise click.BadParameter(f"{value!r}: {exc}") from None
    return faults


def _rate_limit(_ctx: click.Context, _param: click.Parameter, spec: str | None) -> RateLimit | None:
    """Parse `N/PERIOD` into a `RateLimit`."""
    from ..testing import RateLimit  # noqa: PLC0415

    try:
        return None if spec is None else RateLimit.parse(spec)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def generate_fake(runs: int, projects: int, seed: int, **options: Any) -> FakeModelLab:
    """Say on stderr that the dataset is being generated (seconds for 30,000 runs), then build it."""
    from ..testing import FakeModelLab  # noqa: PLC0415

    click.echo(f"Generating {runs:,} runs in {projects} projects (seed {seed})...", err=True)
    return FakeModelLab(runs=runs, projects=projects, seed=seed, **options)


def exports(fake: FakeModelLab) -> str:
    """Return the shell lines that point `modellab` at `fake`."""
    return f"export {BASE_URL_ENV}={fake.url}\nexport DD_API_KEY={fake.api_key} DD_APP_KEY={fake.app_key}"


async def _serve(fake: FakeModelLab, host: str, port: int) -> None:
    try:
        await fake.start()
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise CommandError(
            f"cannot listen on {host}:{port}: {reason.lower()}; "
            "pick another --port (0 picks a free one)"
        ) from None
    try:
        click.echo(
            f"Fake Model Lab API serving {len(fake.dataset.runs):,} runs at {fake.url}\n"
            "Paste these lines into another shell to point modellab at it:\n"
            f"{exports(fake)}\n"
            "Press Ctrl-C to stop."
        )
        await asyncio.Event().wait()
    finally:
        await fake.close()


@click.command("fake-server", context_settings={"show_default": True})
@click.option("--host", default="127.0.0.1", help="Interface to listen on.")
@click.option(
    "--port", default=DEFAULT_PORT, type=click.IntRange(0, 65535), help="0 picks a free one."
)
@click.option("--runs", default=DEFAULT_RUNS, type=click.IntRange(min=1), help="Generated runs.")
@click.option(
    "--projects", default=DEFAULT_PROJECTS, type=click.IntRange(min=1), help="Generated projects."
)
@click.option("--seed", default=DEFAULT_SEED, help="Seed of the dataset and of the faults.")
@click.option("--page-base", default=0, type=click.IntRange(0, 1), help="Number of the first page.")
@click.option("--link-host", metavar="URL", help="Origin written in pagination links (a proxy's).")
@click.option(
    "--rate-limit",
    metavar="N/PERIOD",
    callback=_rate_limit,
    help="Allow N requests per key every PERIOD s.",
)
@click.option(
    "--latency",
    metavar="MS",
    default=0.0,
    type=click.FloatRange(min=0),
    help="Delay of every answer.",
)
@click.option(
    "--jitter",
    metavar="MS",
    default=0.0,
    type=click.FloatRange(min=0),
    help="Random extra delay, up to MS.",
)
@click.option(
    "--fault",
    "faults",
    metavar="SPEC",
    callback=_faults,
    multiple=True,
    help=(
        "KIND[:PROBABILITY][@ROUTE] (repeatable): KIND is one of "
        f"{', '.join(FAULT_KINDS)}; ROUTE an operation such as list_runs or a path "
        "pattern such as '/api/*' (default: every request). E.g. --fault 503:0.05@list_runs"
    ),
)
def fake_server(
    *,
    host: str,
    port: int,
    runs: int,
    projects: int,
    seed: int,
    page_base: int,
    link_host: str | None,
    rate_limit: RateLimit | None,
    latency: float,
    jitter: float,
    faults: list[Fault],
) -> None:
    """Serve a fake Model Lab API with a seeded dataset until Ctrl-C.

    The defaults serve the dataset `modellab demo` shows, so the commands it
    prints work as printed once the export lines it prints are pasted.
    Faults: see `modellab_async.testing.FaultPlan`.
    """
    from ..testing import Fault, FaultPlan, Latency  # noqa: PLC0415

    timing = [Fault(Latency(latency / 1000, jitter / 1000))] if latency or jitter else []
    fake = generate_fake(
        runs,
        projects,
        seed,
        page_base=page_base,
        link_host=link_host,
        rate_limit=rate_limit,
        faults=FaultPlan([*timing, *faults], seed=seed),
        host=host,
        port=port,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(fake, host, port))
