"""`modellab runs ...`: list, get, delete, pin, unpin and facets."""

from __future__ import annotations

from typing import Any

import click

from .. import FacetType, ModelLabClient
from ._emit import emit, emit_listing
from ._options import RUN_OPTIONS, choice, listing_options, output_options
from ._output import Format, Output, say_done
from ._run import ClientGroup, client_command
from ._views import FACET_KEYS, FACET_VALUES, RUN, RUN_LIST

__all__ = ["runs"]

_RUN_ID = click.argument("run_id", type=click.IntRange(min=1))


@click.group(cls=ClientGroup)
def runs() -> None:
    """Work with runs: list, get, delete, pin, unpin and facets."""


@runs.command("list")
@listing_options(RUN_OPTIONS)
@output_options(parquet=True)
@click.option(
    "--resume",
    "state",
    type=click.Path(dir_okay=False),
    help="With -o FILE: note after each page how far FILE got in this state file, and resume "
    "from it when run again, so that every run is in FILE once even after a kill.",
)
@client_command
async def list_runs(
    client: ModelLabClient,
    /,
    *,
    fmt: str | None,
    output: str,
    state: str | None,
    **options: Any,
) -> None:
    """List runs matching every filter given, page by page.

    For example: modellab runs list --project 3 --status completed --param 'learning_rate:>0.001'
    """
    out = Output.resolve(fmt, output)
    listing = client.runs.list(**options)
    if state is None:
        await emit_listing(listing, RUN_LIST, out, description="runs")
        return
    if out.path == "-" or out.format is not Format.JSONL:
        raise click.UsageError("--resume writes JSON lines to a file: give -o FILE (jsonl)")
    await listing.to_jsonl(out.path, state=state)


@runs.command("get")
@_RUN_ID
@output_options()
@client_command
async def get_run(client: ModelLabClient, /, *, run_id: int, fmt: str | None, output: str) -> None:
    """Show one run."""
    out = Output.resolve(fmt, output)
    await emit([await client.runs.get(run_id)], RUN, out)


@runs.command("delete")
@_RUN_ID
@click.confirmation_option(prompt="Delete this run?")
@client_command
async def delete_run(client: ModelLabClient, /, *, run_id: int) -> None:
    """Delete a run (asks first unless --yes is given)."""
    await client.runs.delete(run_id)
    say_done(f"Deleted run {run_id}.")


@runs.command("pin")
@_RUN_ID
@client_command
async def pin_run(client: ModelLabClient, /, *, run_id: int) -> None:
    """Pin a run for the application key's user."""
    await client.runs.pin(run_id)
    say_done(f"Pinned run {run_id}.")


@runs.command("unpin")
@_RUN_ID
@client_command
async def unpin_run(client: ModelLabClient, /, *, run_id: int) -> None:
    """Remove a run's pin."""
    await client.runs.unpin(run_id)
    say_done(f"Unpinned run {run_id}.")


@runs.command("facets")
@click.argument("project_id", type=click.IntRange(min=1))
@click.option(
    "--type",
    "facet_type",
    type=choice(str(t) for t in FacetType),
    help="With --name: the facet's type.",
)
@click.option("--name", "facet_name", help="Show this facet's values instead of the keys.")
@output_options()
@client_command
async def run_facets(
    client: ModelLabClient,
    /,
    *,
    project_id: int,
    facet_type: str | None,
    facet_name: str | None,
    fmt: str | None,
    output: str,
) -> None:
    """List the facet keys of a project's runs, or one facet's values.

    For example: modellab runs facets 3 --type metric --name loss
    """
    out = Output.resolve(fmt, output)
    if facet_name is None:
        await emit([await client.runs.facet_keys(project_id)], FACET_KEYS, out)
        return
    if facet_type is None:
        raise click.UsageError("--name needs --type")
    values = await client.runs.facet_values(project_id, facet_type, facet_name)
    await emit([values], FACET_VALUES, out)
