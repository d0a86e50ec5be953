"""Run a command's coroutine: global options, one event loop, one client, errors as one line.

Exit codes: 0 success, 1 the service failed or could not be reached, 2 a usage
or configuration error (click's own code for bad options), 130 interrupted
by Ctrl-C, 141 the reader of stdout went away (as for a process killed by SIGPIPE).

The global options (`--base-url`, `--proxy`, `--ca-bundle`, `--verbose`) are accepted
before the command (`modellab --base-url URL runs list`) and after it
(`modellab runs list --base-url URL`):
every command that talks to the service carries them too (`ClientCommand`).
"""

from __future__ import annotations

import asyncio
import functools
import os
import ssl
import sys
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Concatenate, NoReturn, ParamSpec

import click
from click.core import ParameterSource

from .. import SITES, ConfigurationError, ModelLabClient, ModelLabError
from .._core._config import proxy_url
from ..resources._config import API_KEY_ENV, APP_KEY_ENV, SITE_ENV, site_origin
from ._log import RetryLog, logging_to_stderr
from ._text import printable

__all__ = [
    "BASE_URL_ENV",
    "EXIT_API_ERROR",
    "EXIT_BROKEN_PIPE",
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "ClientCommand",
    "ClientGroup",
    "CommandError",
    "Settings",
    "SetupError",
    "client_command",
    "global_options",
    "run",
]

EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141

#: The environment variable that sets `--base-url`.
BASE_URL_ENV = "MODELLAB_BASE_URL"

P = ParamSpec("P")


class CommandError(click.ClickException):
    """The service failed or could not be reached: one line on stderr (`Error: ...`), exit 1."""

    exit_code = EXIT_API_ERROR


class SetupError(click.ClickException):
    """A missing key or extra, or an argument the library rejected: one line, exit 2."""

    exit_code = EXIT_USAGE


def _keys_missing() -> SetupError | None:
    for variable, what in ((API_KEY_ENV, "API key"), (APP_KEY_ENV, "application key")):
        if not os.environ.get(variable):
            return SetupError(f"{variable} is not set: export {variable}=<your Datadog {what}>")
    return None


@dataclass
class Settings:
    """The global options: where the client sends requests, and how much to say on stderr."""

    base_url: str | None = None
    proxy: str | None = None
    ca_bundle: str | None = None
    verbose: bool = False

    def _tls_context(self) -> ssl.SSLContext | None:
        if self.ca_bundle is None:
            return None
        try:
            return ssl.create_default_context(cafile=self.ca_bundle)
        except ssl.SSLError as exc:
            raise SetupError(
                f"--ca-bundle: {printable(self.ca_bundle)} holds no PEM certificate ({exc.reason})"
            ) from None

    def client(self) -> ModelLabClient:
        """Return a client configured from these options and the DD_* environment variables.

        Configuration errors are worded for a shell: the variable or option to set.
        """
        missing = _keys_missing()
        if missing is not None:
            raise missing
        site = os.environ.get(SITE_ENV)
        if self.base_url is None and site:
            try:
                site_origin(site)
            except ConfigurationError:
                raise SetupError(
                    f"{SITE_ENV}={printable(site)!r} is not a Datadog site: set {SITE_ENV} to one "
                    f"of {', '.join(SITES)}, or give --base-url URL"
                ) from None
        context = self._tls_context()
        try:
            return ModelLabClient(base_url=self.base_url, proxy=self.proxy, ssl=context)
        except ConfigurationError as exc:
            raise SetupError(f"--base-url: {printable(str(exc))}") from None


def _remember(ctx: click.Context, param: click.Parameter, value: object) -> None:
    """Keep a global option's value, wherever on the command line it was given."""
    assert param.name is not None  # every option here has a name
    if ctx.get_parameter_source(param.name) is not ParameterSource.DEFAULT:
        setattr(ctx.ensure_object(Settings), param.name, value)


def _remember_proxy(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        try:
            proxy_url(value, source="the proxy")
        except ConfigurationError as exc:
            raise click.BadParameter(printable(str(exc)), ctx, param) from None
    _remember(ctx, param, value)


def global_options(*, from_environment: bool) -> list[click.Parameter]:
    """Return new global options (`--base-url`, `--proxy`, ...): they fill the context's `Settings`.

    Only the group's read the environment, so that a value given on the command
    line, before or after the command, wins over it.
    """
    return [
        click.Option(
            ["--base-url"],
            metavar="URL",
            envvar=BASE_URL_ENV if from_environment else None,
            show_envvar=from_environment,
            expose_value=False,
            callback=_remember,
            help="Send requests here instead of the site in DD_SITE (a reverse proxy, a fake server).",
        ),
        click.Option(
            ["--proxy"],
            metavar="URL",
            expose_value=False,
            callback=_remember_proxy,
            help="Send requests through this proxy (default: HTTPS_PROXY, unless NO_PROXY).",
        ),
        click.Option(
            ["--ca-bundle"],
            type=click.Path(exists=True, dir_okay=False),
            expose_value=False,
            callback=_remember,
            help="Trust only the CAs in this PEM file (default: SSL_CERT_FILE, else Python's).",
        ),
        click.Option(
            ["--verbose", "-v"],
            is_flag=True,
            expose_value=False,
            callback=_remember,
            help="Log each request and retry on stderr (never a key).",
        ),
    ]


class ClientCommand(click.Command):
    """A command that talks to the service: it also takes the global options."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(global_options(from_environment=False))


class ClientGroup(click.Group):
    """A group of `ClientCommand`s (`runs`, `projects`, `artifacts`)."""

    command_class = ClientCommand


def _command_error(exc: BaseException, retries: RetryLog | None) -> click.ClickException | None:
    """Map an expected failure to a one-line error; `None` for a bug, which keeps its traceback."""
    while isinstance(exc, BaseExceptionGroup):  # concurrent work fails as a group; show one
        exc = exc.exceptions[0]
    if isinstance(exc, click.ClickException):
        return exc
    if isinstance(exc, ConfigurationError):
        return SetupError(printable(str(exc)))
    if isinstance(exc, ModelLabError):
        attempts = retries.attempts_made(exc) if retries is not None else None
        gave_up = f" (gave up after {attempts} attempts)" if attempts else ""
        return CommandError(printable(str(exc)) + gave_up)
    # An optional extra (pyarrow for Parquet), or an argument the library rejected
    # before sending anything.
    if isinstance(exc, (ModuleNotFoundError, ValueError)):
        return SetupError(printable(str(exc)))
    return None


def _exit_quietly_on_broken_pipe() -> NoReturn:
    # Python would report the failed flush of stdout at exit: point it at /dev/null.
    # https://docs.python.org/3/library/signal.html#note-on-sigpipe
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(EXIT_BROKEN_PIPE)


def run(main: Coroutine[Any, Any, None], *, verbose: bool = False) -> None:
    """Run `main` in a new event loop and turn its failures into exit codes.

    The library's retries show on a terminal's status line while it runs; with
    `verbose`, each request and retry is logged on stderr.
    """
    with logging_to_stderr(verbose=verbose) as retries:
        try:
            asyncio.run(main)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
        except BrokenPipeError:
            _exit_quietly_on_broken_pipe()
        except Exception as exc:
            error = _command_error(exc, retries)
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

        run(main(), verbose=settings.verbose)

    return callback
