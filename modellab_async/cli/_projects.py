"""`modellab projects ...`: list, get, star, unstar and facets."""

from __future__ import annotations

from typing import Any

import click

from .. import ModelLabClient
from ._emit import emit, emit_listing
from ._options import PROJECT_OPTIONS, listing_options, output_options
from ._output import Output, say_done
from ._run import ClientGroup, client_command
from ._views import FACET_KEYS, FACET_VALUES, PROJECT, PROJECT_LIST

__all__ = ["projects"]

_PROJECT_ID = click.argument("project_id", type=click.IntRange(min=1))


@click.group(cls=ClientGroup)
def projects() -> None:
    """Work with projects: list, get, star, unstar and facets."""


@projects.command("list")
@listing_options(PROJECT_OPTIONS)
@output_options(parquet=True)
@client_command
async def list_projects(
    client: ModelLabClient, /, *, fmt: str | None, output: str, **options: Any
) -> None:
    """List projects matching every filter given."""
    out = Output.resolve(fmt, output)
    listing = client.projects.list(**options)
    await emit_listing(listing, PROJECT_LIST, out, description="projects")


@projects.command("get")
@_PROJECT_ID
@output_options()
@client_command
async def get_project(
    client: ModelLabClient, /, *, project_id: int, fmt: str | None, output: str
) -> None:
    """Show one project."""
    out = Output.resolve(fmt, output)
    await emit([await client.projects.get(project_id)], PROJECT, out)


@projects.command("star")
@_PROJECT_ID
@client_command
async def star_project(client: ModelLabClient, /, *, project_id: int) -> None:
    """Star a project for the application key's user."""
    await client.projects.star(project_id)
    say_done(f"Starred project {project_id}.")


@projects.command("unstar")
@_PROJECT_ID
@client_command
async def unstar_project(client: ModelLabClient, /, *, project_id: int) -> None:
    """Remove a project's star."""
    await client.projects.unstar(project_id)
    say_done(f"Unstarred project {project_id}.")


@projects.command("facets")
@click.option("--name", "facet_name", help="Show this tag's values instead of the keys.")
@output_options()
@client_command
async def project_facets(
    client: ModelLabClient, /, *, facet_name: str | None, fmt: str | None, output: str
) -> None:
    """List the tag keys projects can be filtered on, or one tag's values."""
    out = Output.resolve(fmt, output)
    if facet_name is None:
        await emit([await client.projects.facet_keys()], FACET_KEYS, out)
    else:
        await emit([await client.projects.facet_values(facet_name)], FACET_VALUES, out)
