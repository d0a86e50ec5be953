"""The HTTP core every API client here shares: retries, throttle, redirects, background jobs.

A client is this machinery plus a `Dialect` (where an API's requests go, how
they are authenticated, how its error bodies read) over a `Transport` (how
bytes move: aiohttp by default, see `_transport.py`).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self, TypeVar

import anyio
import msgspec
from yarl import URL

from ..errors import (
    APIError,
    ClientStateError,
    ModelLabError,
    NotFoundError,
    RateLimitError,
    UnsafeRedirectError,
    printable,
)
from ._config import SecretHeaders
from ._content import Content
from ._hooks import Dispatch, Hooks, Operation, operation_of
from ._params import positive
from ._protocol import REDIRECT_STATUSES, Request, Response, decode, redirect_target
from ._retry import RetryPolicy, lost_answer
from ._tasks import Job, TaskHost, settle
from ._throttle import ClientStats, Throttle
from ._traffic import Traffic

if TYPE_CHECKING:
    from anyio.streams.memory import MemoryObjectSendStream

    from .._transport import ResponseStream, Transport

__all__ = ["DEFAULT_MAX_BODY_SIZE", "DEFAULT_MAX_CONCURRENCY", "BaseClient", "Dialect"]

logger = logging.getLogger("modellab_async")

T = TypeVar("T")

DEFAULT_MAX_BODY_SIZE = 64 * 1024 * 1024
DEFAULT_MAX_CONCURRENCY = 64
MAX_REDIRECTS = 5
#: Chunks of content read ahead of their reader, so that network and disk work overlap.
READ_AHEAD = 4


class Dialect(Protocol):
    """What one API adds to the shared machinery."""

    @property
    def origin(self) -> URL:
        """The only origin that ever receives a request, and so the credentials."""

    def prepare(self, request: Request) -> tuple[URL, Mapping[str, str]]:
        """Return the URL and the headers (credentials included) to send `request` with."""

    def error(self, request: Request, response: Response) -> APIError:
        """Build the typed error for an error answer."""


class BaseClient:
    """Sends requests for a `Dialect`: one session, retries, one throttle, one task host.

    Use it as an async context manager: it opens its HTTP session on entry
    (inside the running loop) and closes it on exit.
    """

    def __init__(
        self,
        dialect: Dialect,
        transport: Transport,
        *,
        retries: int | RetryPolicy,
        max_concurrency: int,
        max_body_size: int,
        hooks: Hooks | None = None,
    ) -> None:
        self._dialect = dialect
        self._transport = transport
        self._max_body_size = positive(max_body_size, "max_body_size")
        self._retry = retries if isinstance(retries, RetryPolicy) else RetryPolicy(retries)
        self._rng = random.Random()
        self._throttle = Throttle(
            positive(max_concurrency, "max_concurrency"), self._rng, self._retry.max_wait
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks = TaskHost()
        # The ends content jobs send into: closing them wakes the readers of jobs cancelled early.
        self._content_senders: set[MemoryObjectSendStream[bytes]] = set()
        self._closed = False
        #: The caller's hooks; `None` keeps every request free of them.
        self._hooks = None if hooks is None else Dispatch(hooks)

    @property
    def stats(self) -> ClientStats:
        """Counters of requests, retries, 429s and time spent throttled."""
        return self._throttle.stats

    @property
    def base_url(self) -> URL:
        """The origin every request goes to; no other host ever receives the credentials."""
        return self._dialect.origin

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open" if self._loop else "not entered"
        return f"<{type(self).__name__} base_url={str(self.base_url)!r} {state}>"

    async def open(self) -> Self:
        """Open the client on the running event loop and return it; `aclose()` closes it.

        `async with client:` calls this; call it yourself where a block does not
        fit, as in a notebook keeping one client across cells::

            client = await ModelLabClient().open()
            ...
            await client.aclose()

        Raises:
            ClientStateError: the client is already open, or closed.
        """
        name = type(self).__name__
        if self._closed:
            raise ClientStateError(f"this {name} is closed; create a new one")
        if self._loop is not None:
            raise ClientStateError(f"this {name} is already open")
        self._loop = asyncio.get_running_loop()
        await self._tasks.start()
        return self

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Cancel background jobs and close the transport (a session passed in is left open)."""
        if self._closed:
            return
        self._closed = True
        await self._tasks.aclose()
        for sender in list(self._content_senders):
            sender.close()  # a job cancelled before it started never closed its own
        await self._transport.aclose()

    def _check_open(self) -> None:
        """Raise `ClientStateError` unless the client is open, on this event loop."""
        name = type(self).__name__
        if self._closed:
            raise ClientStateError(f"this {name} is closed; create a new one")
        if self._loop is None:
            raise ClientStateError(
                f"open the client first: `async with {name}(...) as client:` or `await client.open()`"
            )
        if asyncio.get_running_loop() is not self._loop:
            raise ClientStateError(
                f"this {name} belongs to another event loop; create one client per loop"
            )

    def _traced(self, operation: Callable[[], Operation]) -> AbstractContextManager[None]:
        """Return a context manager tracing a block as `operation()`, if a hook traces."""
        hooks = self._hooks
        return nullcontext() if hooks is None else hooks.traced(operation())

    def _spawn(self, job: Job[T], call: Callable[[], Awaitable[T]]) -> Job[T]:
        """Run `call` in the background as `job`; closing the client cancels it."""
        self._check_open()
        return self._tasks.spawn(job, call)

    @asynccontextmanager
    async def _exchange(
        self,
        request: Request,
        meter: Traffic | None = None,
        *,
        stream: bool = False,
        offset: int = 0,
        attempt: int = 1,
    ) -> AsyncIterator[ResponseStream]:
        """Try `request` once: pass the gate, follow same-origin redirects, raise on errors.

        `meter` counts the request too (a walk's traffic); `stream` asks for a
        file's content (see `Transport.open`); `offset` asks for its bytes from
        there on, with a `Range` header; `attempt` numbers the try, for hooks.
        """
        self._check_open()
        hooks = self._hooks
        on_wait = None if hooks is None else partial(hooks.throttled, request)
        transport = self._transport
        url, headers = self._dialect.prepare(request)
        if offset:
            headers = SecretHeaders({**headers, "Range": f"bytes={offset}-"})
        # Other requests leave `stream` out: transports written before it still serve them.
        open_response = partial(transport.open, stream=True) if stream else transport.open
        for _ in range(MAX_REDIRECTS + 1):
            async with self._throttle.slot(meter, on_wait) as slot:
                sent = 0.0 if hooks is None else hooks.sent(request, attempt)
                async with open_response(request.method, url, headers) as response:
                    if hooks is not None:
                        hooks.received(request, attempt, response.status, sent)
                    slot.observe(response.status, response.headers)
                    if logger.isEnabledFor(logging.DEBUG):  # describe() costs on every request
                        logger.debug("%s: HTTP %d", request.describe(), response.status)
                    if response.status in REDIRECT_STATUSES:
                        location = response.headers.get("Location")
                        url = redirect_target(url, location, self._dialect.origin)
                        continue
                    if response.status >= 300:  # an error, or a 3xx that is no redirect
                        body = await _read_head(response, self._max_body_size)
                        answer = Response(response.status, response.headers, body)
                        raise self._dialect.error(request, answer)
                    yield response
                    return
        raise UnsafeRedirectError(f"{request.describe()}: more than {MAX_REDIRECTS} redirects")

    async def _pause_before_retry(
        self,
        request: Request,
        attempt: int,
        error: ModelLabError,
        waited: float,
        meter: Traffic | None = None,
    ) -> float:
        """Wait before trying `request` again and return the wait, or re-raise `error`.

        `attempt` counts the tries that failed before this one (0 after the first).
        """
        delay = self._retry.delay(attempt, error, waited, self._rng)
        if delay is None:
            raise error
        self._throttle.stats.retries += 1
        if isinstance(error, RateLimitError):
            self._throttle.stats.throttled_seconds += delay
            if meter is not None:
                meter.throttled_seconds += delay
        hooks = self._hooks
        if hooks is not None:
            hooks.retrying(request, attempt + 1, delay, error)
        logger.info(
            "%s failed (%s: %s); retry %d of %d in %.2f s",
            printable(request.describe()),
            type(error).__name__,
            error,
            attempt + 1,
            self._retry.retries,
            delay,
            # For handlers that show progress (the command line's status line).
            extra={
                "attempt": attempt + 2,
                "attempts": self._retry.retries + 1,
                "delay": delay,
                "error": error,
            },
        )
        with self._traced(
            lambda: operation_of("retry_wait", request, attempt=attempt + 2, delay=delay)
        ):
            await anyio.sleep(delay)
        return delay

    def _fetch(
        self,
        request: Request,
        parse: Callable[[Response], T],
        meter: Traffic | None = None,
        operation: Operation | None = None,
    ) -> Awaitable[T]:
        """Send `request` and parse its whole answer, retrying as the policy allows.

        `operation` is what hooks are told it is (a page of a listing); by default, a request.
        """
        tries = self._tries(request, parse, meter)
        hooks = self._hooks
        if hooks is None:  # the common case: no coroutine more, no context manager
            return tries
        return _within(hooks.traced(operation or operation_of("request", request)), tries)

    async def _tries(
        self, request: Request, parse: Callable[[Response], T], meter: Traffic | None
    ) -> T:
        waited = 0.0
        answer_lost = False
        for attempt in itertools.count():
            try:
                async with self._exchange(request, meter, attempt=attempt + 1) as stream:
                    body = await stream.read(self._max_body_size)
                    return parse(Response(stream.status, stream.headers, body))
            except ModelLabError as error:
                if answer_lost and request.method == "DELETE" and isinstance(error, NotFoundError):
                    return parse(Response(204, {}, b""))  # an earlier try did delete it
                answer_lost = answer_lost or lost_answer(error)
                waited += await self._pause_before_retry(request, attempt, error, waited, meter)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(self, request: Request) -> Response:
        return await self._fetch(request, _whole)

    async def _call(
        self,
        request: Request,
        decoder: msgspec.json.Decoder[T],
        meter: Traffic | None = None,
        operation: Operation | None = None,
    ) -> T:
        """Send `request` and decode its answer; `meter` counts it too (a walk's traffic).

        `operation` is what hooks are told it is (a page of a listing); by default, a request.
        """
        return await self._fetch(
            request, lambda response: decode(decoder, response.body, request), meter, operation
        )

    async def _iter_body(
        self, request: Request, max_bytes: int | None = None
    ) -> AsyncGenerator[bytes, None]:
        """Yield the content `request` answers with, as sent; see `_read_content`.

        A job of the client's reads it, so that closing the client ends the
        read at once, wherever it stands.
        """
        sender, receiver = anyio.create_memory_object_stream[bytes](READ_AHEAD)
        job = self._spawn(Job[None](), partial(self._read_content, request, sender, max_bytes))
        self._content_senders.add(sender)
        try:
            async with receiver:
                async for chunk in receiver:
                    yield chunk
            try:
                await job.wait()
            except ClientStateError:
                raise ClientStateError(
                    f"{request.describe()}: the client was closed while the content was read"
                ) from None
        finally:
            await settle([job])
            sender.close()
            self._content_senders.discard(sender)

    async def _read_content(
        self, request: Request, sink: MemoryObjectSendStream[bytes], max_bytes: int | None
    ) -> None:
        """Send the content `request` answers with into `sink`, trying again as the policy allows.

        After a lost connection the next try asks only for the bytes not yet
        delivered (`Range`); an answer with the whole content again is read
        past them. A try that delivers new bytes starts the count of retries
        afresh.
        """
        content = Content(request, max_bytes)
        failures = 0
        waited = 0.0
        with self._traced(lambda: operation_of("download", request)):
            async with sink:
                while True:
                    delivered = content.delivered
                    try:
                        async with self._exchange(
                            request, stream=True, offset=delivered, attempt=failures + 1
                        ) as response:
                            content.start(response.status, response.headers)
                            async for chunk in response.iter_chunks():
                                if fresh := content.take(chunk):
                                    await sink.send(fresh)
                            content.finish()
                    except ModelLabError as error:
                        if content.delivered > delivered:
                            failures, waited = 0, 0.0
                        waited += await self._pause_before_retry(request, failures, error, waited)
                        failures += 1
                    else:
                        return


async def _within(scope: AbstractContextManager[None], work: Awaitable[T]) -> T:
    with scope:
        return await work


def _whole(response: Response) -> Response:
    return response


async def _read_head(response: ResponseStream, max_bytes: int) -> bytes:
    """Read a body up to `max_bytes`, leaving the rest unread: an error needs only its start."""
    head = bytearray()
    async for chunk in response.iter_chunks():
        head += chunk[: max_bytes - len(head)]
        if len(head) >= max_bytes:
            break
    return bytes(head)
