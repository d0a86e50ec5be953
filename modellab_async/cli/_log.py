"""The library's log records on the command line: retries on the status line, and `--verbose`.

The client logs each retry at INFO on the `modellab_async` logger, with the
attempt, the number of attempts allowed, the wait and the error as record
attributes, and each answer at DEBUG. Here a handler turns retries into the
terminal's status line ("retrying in 2.1 s (attempt 3 of 6): connection
refused") and remembers, per request, how many attempts were made, for the
final error. With `--verbose` every record is printed on stderr; warnings
always are. None of these records holds a key.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from .. import APIError, ModelLabError, RequestTimeoutError
from ._progress import STDERR
from ._text import printable

__all__ = ["RetryLog", "logging_to_stderr"]

_LOGGER = logging.getLogger("modellab_async")


def _request_of(error: ModelLabError) -> str:
    """Return the `METHOD /path` an error is about: every client error names it first."""
    if isinstance(error, APIError):
        return f"{error.method} {error.path}"
    return str(error).partition(": ")[0]


def _reason(error: ModelLabError) -> str:
    """Return why a request failed, in a few words."""
    if isinstance(error, APIError):
        return f"HTTP {error.status}"
    if isinstance(error, RequestTimeoutError):
        return "timed out"
    cause = error.__cause__
    if isinstance(cause, OSError) and cause.errno:  # connection refused, reset, ...
        return os.strerror(cause.errno).lower()
    return str(error).partition(": ")[2] or str(error)


class RetryLog(logging.Handler):
    """Show each retry on the terminal's status line; count the attempts made per request."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self._attempts: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        """Take note of a retry record; other records are not for this handler."""
        error = getattr(record, "error", None)
        attempt, attempts = getattr(record, "attempt", None), getattr(record, "attempts", None)
        delay = getattr(record, "delay", None)
        if not isinstance(error, ModelLabError) or attempt is None:
            return
        self._attempts[_request_of(error)] = attempt
        STDERR.status(
            f"retrying in {delay:.1f} s (attempt {attempt} of {attempts}): {_reason(error)}"
        )

    def attempts_made(self, error: ModelLabError) -> int | None:
        """Return how many attempts the request that failed with `error` made, if it was retried."""
        return self._attempts.get(_request_of(error))


class _StderrLines(logging.Handler):
    """Print records on stderr, one line each, above any progress bar."""

    def emit(self, record: logging.LogRecord) -> None:
        STDERR.console.print(f"modellab: {printable(record.getMessage())}", markup=False)


@contextmanager
def logging_to_stderr(*, verbose: bool) -> Iterator[RetryLog]:
    """Route the library's records to stderr while the block runs; yield the retry counter.

    Warnings are always printed; with `verbose`, every request and retry too.
    """
    retries = RetryLog()
    lines = _StderrLines(logging.DEBUG if verbose else logging.WARNING)
    level, propagate = _LOGGER.level, _LOGGER.propagate
    _LOGGER.setLevel(logging.DEBUG if verbose else logging.INFO)
    _LOGGER.propagate = False  # printed here, not again by a handler on the root logger
    _LOGGER.addHandler(retries)
    _LOGGER.addHandler(lines)
    try:
        yield retries
    finally:
        _LOGGER.removeHandler(lines)
        _LOGGER.removeHandler(retries)
        _LOGGER.setLevel(level)
        _LOGGER.propagate = propagate
        STDERR.status(None)
