"""Run a command's coroutine: one event loop, one client, errors as one line, exit codes.

Exit codes: 0 success, 1 the service failed or could not be reached, 2 a usage
or configuration error (click's own code for bad options), 130 interrupted
by Ctrl-C, 141 the reader of stdout went away (as for a process killed by SIGPIPE).
"""

from __future__ import annotations

import asyncio
import functools
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Concatenate, NoReturn, ParamSpec

import click

from .. import ConfigurationError, ModelLabClient, ModelLabError

__all__ = [
    "EXIT_API_ERROR",
    "EXIT_BROKEN_PIPE",
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "CommandError",
    "Settings",
    "SetupError",
    "client_command",
    "run",
]

EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141

P = ParamSpec("P")


@dataclass(frozen=True)
class Settings:
    """The global options: where the client sends requests."""

    base_url: str | None = None

    def client(self) -> ModelLabClient:
        """Return a client configured from these options and the DD_* environment variables."""
        return ModelLabClient(base_url=self.base_url)


class CommandError(click.ClickException):
    """The service failed or could not be reached: one line on stderr (`Error: ...`), exit 1."""

    exit_code = EXIT_API_ERROR


class SetupError(click.ClickException):
    """A missing key or extra, or an argument the library rejected: one line, exit 2."""

    exit_code = EXIT_USAGE


def _command_error(exc: BaseException) -> click.ClickException | None:
    """Map an expected failure to a one-line error; `None` for a bug, which keeps its traceback."""
    while isinstance(exc, BaseExceptionGroup):  # concurrent work fails as a group; show one
        exc = exc.exceptions[0]
    if isinstance(exc, click.ClickException):
        return exc
    if isinstance(exc, ConfigurationError):
        return SetupError(str(exc))
    if isinstance(exc, ModelLabError):
        return CommandError(str(exc))
    # An optional extra (pyarrow for Parquet), or an argument the library rejected
    # before sending anything.
    if isinstance(exc, (ModuleNotFoundError, ValueError)):
        return SetupError(str(exc))
    return None


def _exit_quietly_on_broken_pipe() -> NoReturn:
    # Python would report the failed flush of stdout at exit: point it at /dev/null.
    # https://docs.python.org/3/library/signal.html#note-on-sigpipe
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(EXIT_BROKEN_PIPE)


def run(main: Coroutine[Any, Any, None]) -> None:
    """Run `main` in a new event loop and turn its failures into exit codes."""
    try:
        asyncio.run(main)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
    except BrokenPipeError:
        _exit_quietly_on_broken_pipe()
    except Exception as exc:
        error = _command_error(exc)
        if error is None:
            raise
        raise error from None


def client_command(
    body: Callable[Concatenate[ModelLabClient, P], Awaitable[None]],
) -> Callable[P, None]:
    """Make an async command body a click callback that gets an open client first."""

    @functools.wraps(body)
    def callback(*args: P.args, **kwargs: P.kwargs) -> None:
        settings = click.get_current_context().ensure_object(Settings)

        async def main() -> None:
            async with settings.client() as client:
                await body(client, *args, **kwargs)

        run(main())

    return callback
