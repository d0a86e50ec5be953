"""Hooks: what a client tells of its work, as small frozen values, to callables of the caller's.

Pass a `Hooks` to a client (`ModelLabClient(hooks=Hooks(on_retry=print))`) to
hear of each request sent, each response received, each retry scheduled and
each wait on the rate limit. `on_operation` opens a scope around each logical
operation (a listing's walk, a page, a request, a download, a retry's wait):
what a tracer needs, and what `modellab_async.otel` builds its spans on.

Events name a request by its method and its path from the origin: never its
query, never a key, never a full URL. A hook that raises is logged on the
`modellab_async` logger and the client carries on. Hooks run inline, on the
event loop: keep them quick.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

from ..errors import APIError, ModelLabError, RateLimitError
from ._params import Query
from ._protocol import Request

__all__ = [
    "Dispatch",
    "Hooks",
    "ListingProgress",
    "Operation",
    "OperationKind",
    "OperationScope",
    "RequestSent",
    "ResponseReceived",
    "RetryScheduled",
    "Scope",
    "Throttled",
    "notify",
    "operation_of",
]

logger = logging.getLogger("modellab_async")

E = TypeVar("E")

#: What an `Operation` is: one iteration of a listing, one of its pages, any other
#: request (a get, a delete ...), a file's content, or the wait before a retry.
OperationKind = Literal["listing", "page", "request", "download", "retry_wait"]


@dataclass(frozen=True, slots=True)
class RequestSent:
    """One try of a request leaves for the service (after the rate-limit gate).

    Attributes:
        method: the HTTP method.
        path: the path from the origin, as in `/api/v2/model-lab-api/runs`; never the query.
        attempt: 1 for the first try, 2 for the first retry, and so on.
    """

    method: str
    path: str
    attempt: int


@dataclass(frozen=True, slots=True)
class ResponseReceived:
    """The service answered one try: its status is known, its body not yet read.

    Attributes:
        method, path, attempt: as in `RequestSent`.
        status: the HTTP status code (a redirect's too: each hop is a request).
        elapsed: seconds from sending the request to its status.
    """

    method: str
    path: str
    attempt: int
    status: int
    elapsed: float


@dataclass(frozen=True, slots=True)
class RetryScheduled:
    """A try failed and the request will be tried again after `delay` seconds.

    Attributes:
        method, path: as in `RequestSent`.
        attempt: the try that failed (1 for the first).
        delay: seconds the client waits before the next try.
        error: what went wrong (its message holds no key).
        status: the HTTP status of the failure; `None` for a lost connection or a timeout.
    """

    method: str
    path: str
    attempt: int
    delay: float
    error: ModelLabError
    status: int | None


@dataclass(frozen=True, slots=True)
class Throttled:
    """A request waits `delay` seconds on the rate limit.

    It waits at the client's gate (the service's window is spent, or a 429 shut
    it), or before retrying a 429 (a `RetryScheduled` comes first); the delays
    add up to `client.stats.throttled_seconds`.
    """

    method: str
    path: str
    delay: float


@dataclass(frozen=True, slots=True)
class ListingProgress:
    """How far one iteration of a listing has got, told as each page is handed over.

    Attributes:
        items: items handed over so far by this iteration (a resumed one counts from 0).
        total: items the listing holds, as its latest page says, at most the walk's
            `limit`; `None` when the API does not say.
        pages: pages received so far.
    """

    items: int
    total: int | None
    pages: int


@dataclass(frozen=True, slots=True)
class Operation:
    """One logical operation of a client, which `Hooks.on_operation` may trace.

    Attributes:
        kind: `listing` (one iteration, all its pages), `page` (one page of it,
            retries included), `request` (any other call: a get, a delete ...),
            `download` (a file's content, resumed tries included) or
            `retry_wait` (the pause before a retry).
        method, path: the request's, as in `RequestSent`.
        page: for a page, its place in the iteration: 1 for the first page fetched.
        paging: for a page, its paging parameters (page number and size, or token).
        attempt: for a retry's wait, the try it waits for (2 for the first retry).
        delay: for a retry's wait, its length in seconds.
    """

    kind: OperationKind
    method: str
    path: str
    page: int | None = None
    paging: Query = ()
    attempt: int | None = None
    delay: float | None = None


def operation_of(
    kind: OperationKind,
    request: Request,
    *,
    page: int | None = None,
    paging: Query = (),
    attempt: int | None = None,
    delay: float | None = None,
) -> Operation:
    """Return the `Operation` of `kind` that sends `request` (its method and path, no query)."""
    return Operation(kind, request.method, f"/{request.path}", page, paging, attempt, delay)


class OperationScope(Protocol):
    """What `Hooks.on_operation` returns: a scope around one operation (a tracer's span).

    The client makes it current (`activate`) around the work of the operation,
    possibly several times (a listing's, once for each page it starts), and
    ends it once; operations started while it is current are its children, and
    so are the events of the requests sent while it is current.
    """

    def activate(self) -> AbstractContextManager[object]:
        """Return a context manager making this operation the current one while it is open."""

    def end(self, error: BaseException | None) -> None:
        """End the operation: `error` is what ended it, if anything did.

        A `GeneratorExit` or a cancellation means the caller stopped early.
        """


@dataclass(frozen=True, slots=True)
class Hooks:
    """The callables a client calls as it works; each is optional.

    Each receives one frozen event value. An exception raised by a hook is
    logged on the `modellab_async` logger and not propagated.

    Example:
        >>> def show_retry(event: RetryScheduled) -> None:
        ...     print(f"{event.method} {event.path}: retry in {event.delay:.1f} s ({event.error})")
        >>> async with ModelLabClient(hooks=Hooks(on_retry=show_retry)) as client:
        ...     run = await client.runs.get(42)

    Attributes:
        on_request: a try of a request is sent (`RequestSent`).
        on_response: its status arrived (`ResponseReceived`).
        on_retry: a failed try will be tried again (`RetryScheduled`).
        on_throttle: a request waits on the rate limit (`Throttled`).
        on_operation: a logical operation starts (`Operation`); return the
            `OperationScope` the client activates around it and ends
            (see `modellab_async.otel`).
    """

    on_request: Callable[[RequestSent], object] | None = None
    on_response: Callable[[ResponseReceived], object] | None = None
    on_retry: Callable[[RetryScheduled], object] | None = None
    on_throttle: Callable[[Throttled], object] | None = None
    on_operation: Callable[[Operation], OperationScope] | None = None


def notify(hook: Callable[[E], object], event: E) -> None:
    """Call `hook` with `event`; log what it raises instead of raising it."""
    try:
        hook(event)
    except Exception:
        logger.exception("a hook raised on %s; the client carries on", type(event).__name__)


_SCOPE_FAILED = "a hook's scope failed to %s (%s %s %s); the client carries on"


class Scope:
    """An `OperationScope` of the caller's, whose errors are logged instead of raised."""

    __slots__ = ("_operation", "_scope")

    def __init__(self, scope: OperationScope, operation: Operation) -> None:
        self._scope = scope
        self._operation = operation

    def _where(self) -> tuple[str, str, str]:
        operation = self._operation
        return operation.kind, operation.method, operation.path

    @contextmanager
    def active(self) -> Iterator[None]:
        """Make the operation current while the block runs."""
        try:
            activation = self._scope.activate()
            activation.__enter__()
        except Exception:
            logger.exception(_SCOPE_FAILED, "activate", *self._where())
            yield
            return
        try:
            yield
        finally:
            try:
                activation.__exit__(None, None, None)
            except Exception:
                logger.exception(_SCOPE_FAILED, "deactivate", *self._where())

    def end(self, error: BaseException | None) -> None:
        """End the operation."""
        try:
            self._scope.end(error)
        except Exception:
            logger.exception(_SCOPE_FAILED, "end", *self._where())

    @contextmanager
    def running(self) -> Iterator[None]:
        """Make the operation current while the block runs, then end it with the block's error."""
        with self.active():
            try:
                yield
            except BaseException as error:
                self.end(error)
                raise
        self.end(None)


class Dispatch:
    """A client's side of its `Hooks`: builds each event, calls its hook, logs a hook's error."""

    __slots__ = ("_hooks",)

    def __init__(self, hooks: Hooks) -> None:
        if not isinstance(hooks, Hooks):
            raise TypeError(f"hooks must be a Hooks, got {type(hooks).__name__}")
        self._hooks = hooks

    def sent(self, request: Request, attempt: int) -> float:
        """Tell that a try of `request` leaves now; return the moment, for `received`."""
        hook = self._hooks.on_request
        if hook is not None:
            notify(hook, RequestSent(request.method, f"/{request.path}", attempt))
        return time.perf_counter()

    def received(self, request: Request, attempt: int, status: int, sent: float) -> None:
        """Tell that the try of `request` sent at `sent` was answered with `status`."""
        hook = self._hooks.on_response
        if hook is not None:
            elapsed = time.perf_counter() - sent
            notify(
                hook, ResponseReceived(request.method, f"/{request.path}", attempt, status, elapsed)
            )

    def retrying(self, request: Request, attempt: int, delay: float, error: ModelLabError) -> None:
        """Tell that try `attempt` of `request` failed with `error`, to be retried after `delay`."""
        hooks = self._hooks
        path = f"/{request.path}"
        if hooks.on_retry is not None:
            status = error.status if isinstance(error, APIError) else None
            notify(
                hooks.on_retry, RetryScheduled(request.method, path, attempt, delay, error, status)
            )
        if isinstance(error, RateLimitError):
            self.throttled(request, delay)

    def throttled(self, request: Request, delay: float) -> None:
        """Tell that `request` waits `delay` seconds on the rate limit."""
        hook = self._hooks.on_throttle
        if hook is not None:
            notify(hook, Throttled(request.method, f"/{request.path}", delay))

    def start(self, operation: Operation) -> Scope | None:
        """Start `operation`: return its scope, or `None` if no hook traces operations."""
        hook = self._hooks.on_operation
        if hook is None:
            return None
        try:
            return Scope(hook(operation), operation)
        except Exception:
            logger.exception("a hook raised on %s; the client carries on", operation.kind)
            return None

    def traced(self, operation: Operation) -> AbstractContextManager[None]:
        """Return a context manager running `operation`'s scope around a block, if traced."""
        scope = self.start(operation)
        return nullcontext() if scope is None else scope.running()
