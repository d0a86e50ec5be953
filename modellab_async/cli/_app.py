"""The `modellab` command group: global options and every sub-command."""

from __future__ import annotations

import click

from .. import __version__
from ._artifacts import artifacts
from ._demo import demo
from ._fake_server import fake_server
from ._projects import projects
from ._run import global_options
from ._runs import runs
from ._sql import sql
from ._sync import sync

__all__ = ["app"]


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    params=global_options(from_environment=True),
)
@click.version_option(__version__, prog_name="modellab")
def app() -> None:
    """Query the Datadog Model Lab API: runs, projects, facets and artifacts.

    Keys come from DD_API_KEY and DD_APP_KEY, the site from DD_SITE
    (default datadoghq.com). The global options may also follow the command
    (modellab runs list --base-url URL). Try it offline first: modellab demo
    """


for command in (runs, projects, artifacts, sync, sql, demo, fake_server):
    app.add_command(command)
