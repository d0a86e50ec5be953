"""OpenTelemetry spans for a client's operations, built on its hooks (extra: otel).

Install `modellab-async[otel]` (opentelemetry-api alone) and bring your own
SDK and exporter; `hooks()` returns the `Hooks` that make the spans.

Example:
    >>> from modellab_async import ModelLabClient, otel
    >>> async with ModelLabClient(hooks=otel.hooks()) as client:
    ...     runs = await client.runs.list(project_id=3).collect()

One span per logical operation, under whatever span is current when it starts:

- `modellab.listing`: one iteration of a listing, with `modellab.pages`;
- `modellab.page`: each page it fetches, its child even when fetched ahead,
  with `modellab.page.index` (1 for the first page asked for) and
  `modellab.page.paging` (its page number and size, or its token);
- `modellab.request`: any other call (a get, a delete ...);
- `modellab.download`: a file's content, resumed tries included;
- `modellab.retry_wait`: the wait before each retry, a child of what it retries,
  with `modellab.retry.attempt` and `modellab.retry.delay_seconds`.

Each carries `modellab.operation` (`GET /api/v2/model-lab-api/runs`),
`http.request.method` and `url.path`; all but the waits carry
`http.response.status_code` (the last answer's), `modellab.retries` and
`modellab.throttled_seconds` (time waited on the rate limit), a listing's
adding up its pages'. No span holds a key, a query or a full URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial

from ._core._hooks import (
    Hooks,
    Operation,
    ResponseReceived,
    RetryScheduled,
    Throttled,
)
from ._version import __version__

try:
    from opentelemetry import context, trace
except ImportError as exc:  # pragma: no cover  # the tests run with the extra installed
    raise ImportError(
        "modellab_async.otel needs opentelemetry-api: pip install 'modellab-async[otel]'"
    ) from exc

__all__ = ["hooks"]

#: The innermost operation traced in this context: where events count.
_current: ContextVar[_Span | None] = ContextVar("modellab_async.otel.current", default=None)


def hooks(tracer_provider: trace.TracerProvider | None = None) -> Hooks:
    """Return the hooks that trace a client's operations as OpenTelemetry spans.

    Args:
        tracer_provider: where the spans go; by default, the global provider
            (`opentelemetry.trace.set_tracer_provider`).
    """
    tracer = trace.get_tracer("modellab_async", __version__, tracer_provider)
    return Hooks(
        on_response=_on_response,
        on_retry=_on_retry,
        on_throttle=_on_throttle,
        on_operation=partial(_Span, tracer),
    )


class _Span:
    """One operation's span, and what its requests met: status, retries, time throttled."""

    __slots__ = ("_context", "_kind", "_parent", "_span", "pages", "retries", "status", "throttled")

    def __init__(self, tracer: trace.Tracer, operation: Operation) -> None:
        self._kind = operation.kind
        self._parent = _current.get()
        self._span = tracer.start_span(f"modellab.{operation.kind}", attributes=_opening(operation))
        self._context = trace.set_span_in_context(self._span)
        self.status: int | None = None
        self.retries = 0
        self.throttled = 0.0
        self.pages = 0

    @contextmanager
    def activate(self) -> Iterator[None]:
        """Make the span current (for OpenTelemetry and for the events) while the block runs."""
        token = context.attach(self._context)
        mine = _current.set(self)
        try:
            yield
        finally:
            _current.reset(mine)
            context.detach(token)

    def end(self, error: BaseException | None) -> None:
        """Write what the operation met, mark an error, end the span; count it in its parent's."""
        span = self._span
        if self._kind != "retry_wait":
            if self.status is not None:
                span.set_attribute("http.response.status_code", self.status)
            span.set_attribute("modellab.retries", self.retries)
            span.set_attribute("modellab.throttled_seconds", self.throttled)
        if self._kind == "listing":
            span.set_attribute("modellab.pages", self.pages)
        if isinstance(error, Exception):  # not an early stop or a cancellation
            span.record_exception(error)
            span.set_status(trace.Status(trace.StatusCode.ERROR, type(error).__name__))
        span.end()
        parent = self._parent
        if parent is not None and self._kind != "retry_wait":
            parent.retries += self.retries
            parent.throttled += self.throttled
            parent.pages += self._kind == "page" and error is None


def _opening(operation: Operation) -> dict[str, str | int | float]:
    attributes: dict[str, str | int | float] = {
        "modellab.operation": f"{operation.method} {operation.path}",
        "http.request.method": operation.method,
        "url.path": operation.path,
    }
    if operation.page is not None:
        attributes["modellab.page.index"] = operation.page
        attributes["modellab.page.paging"] = "&".join(f"{k}={v}" for k, v in operation.paging)
    if operation.attempt is not None:
        attributes["modellab.retry.attempt"] = operation.attempt
    if operation.delay is not None:
        attributes["modellab.retry.delay_seconds"] = operation.delay
    return attributes


def _on_response(event: ResponseReceived) -> None:
    span = _current.get()
    if span is not None:
        span.status = event.status


def _on_retry(event: RetryScheduled) -> None:
    span = _current.get()
    if span is not None:
        span.retries += 1


def _on_throttle(event: Throttled) -> None:
    span = _current.get()
    if span is not None:
        span.throttled += event.delay
