"""The `modellab` command group: global options and every sub-command."""

from __future__ import annotations

import click

from .. import __version__
from ._artifacts import artifacts
from ._demo import demo
from ._fake_server import fake_server
from ._projects import projects
from ._run import Settings
from ._runs import runs
from ._sync import sync

__all__ = ["app"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--base-url",
    metavar="URL",
    help="Send requests here instead of the site in DD_SITE (a proxy, a fake server).",
)
@click.version_option(__version__, prog_name="modellab")
@click.pass_context
def app(ctx: click.Context, base_url: str | None) -> None:
    """Query the Datadog Model Lab API: runs, projects, facets and artifacts.

    Keys come from DD_API_KEY and DD_APP_KEY, the site from DD_SITE
    (default datadoghq.com). Try it offline first: modellab demo
    """
    ctx.obj = Settings(base_url=base_url)


for command in (runs, projects, artifacts, sync, demo, fake_server):
    app.add_command(command)
