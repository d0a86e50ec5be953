"""`modellab fake-server`: serve the bundled fake Model Lab API until Ctrl-C."""

from __future__ import annotations

import click

__all__ = ["fake_server"]


@click.command(
    "fake-server",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def fake_server(args: tuple[str, ...]) -> None:
    """Serve a fake Model Lab API with a seeded dataset (see: modellab fake-server --help).

    Same options as `python -m modellab_async.testing`, e.g. `--port 8126 --runs 10000`.
    """
    from ..testing.__main__ import main  # noqa: PLC0415  # loads aiohttp.web only when asked

    main(list(args))
