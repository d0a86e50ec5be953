"""The HTTP machinery every API client here shares: session, retries, throttle, background tasks.

A client is this machinery plus a `Dialect`: where an API's requests go, how
they are authenticated, and how its error bodies read.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self, TypeVar

import anyio
import msgspec
from yarl import URL

from ._config import check_timeout
from ._params import positive
from ._protocol import REDIRECT_STATUSES, Request, Response, decode, redirect_target
from ._retry import RetryPolicy, lost_answer
from ._tasks import TaskHost
from ._throttle import ClientStats, Throttle
from .errors import (
    APIError,
    ClientStateError,
    ModelLabError,
    NotFoundError,
    RateLimitError,
    UnsafeRedirectError,
)

if TYPE_CHECKING:
    import aiohttp

    from ._transport import ResponseStream, Transport

__all__ = ["DEFAULT_MAX_BODY_SIZE", "DEFAULT_MAX_CONCURRENCY", "BaseClient", "Dialect"]

logger = logging.getLogger("modellab_async")

T = TypeVar("T")

DEFAULT_MAX_BODY_SIZE = 64 * 1024 * 1024
DEFAULT_MAX_CONCURRENCY = 64
MAX_REDIRECTS = 5


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
        *,
        session: aiohttp.ClientSession | None,
        timeout: float | aiohttp.ClientTimeout,
        retries: int | RetryPolicy,
        max_concurrency: int,
        max_body_size: int,
        transport: Transport | None,
    ) -> None:
        self._dialect = dialect
        self._session = session
        self._timeout = check_timeout(timeout)
        self._transport = transport
        self._max_body_size = positive(max_body_size, "max_body_size")
        self._retry = retries if isinstance(retries, RetryPolicy) else RetryPolicy(retries)
        self._rng = random.Random()
        self._throttle = Throttle(
            positive(max_concurrency, "max_concurrency"), self._rng, self._retry.max_wait
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks = TaskHost()
        self._closed = False

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

    async def __aenter__(self) -> Self:
        name = type(self).__name__
        if self._closed:
            raise ClientStateError(f"this {name} is closed; create a new one")
        if self._loop is not None:
            raise ClientStateError(f"this {name} is already open")
        self._loop = asyncio.get_running_loop()
        if self._transport is None:
            # aiohttp is imported here, not at module level, so `import modellab_async` stays fast.
            import aiohttp  # noqa: PLC0415

            from ._aiohttp import AiohttpTransport, client_timeout  # noqa: PLC0415

            owns_session = self._session is None
            session = self._session or aiohttp.ClientSession(timeout=client_timeout(self._timeout))
            self._transport = AiohttpTransport(
                session, timeout=self._timeout, owns_session=owns_session
            )
        await self._tasks.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP session, unless it was passed in by the caller."""
        if self._closed:
            return
        self._closed = True
        await self._tasks.aclose()
        if self._transport is not None:
            await self._transport.aclose()

    def _open_transport(self) -> Transport:
        name = type(self).__name__
        if self._closed:
            raise ClientStateError(f"this {name} is closed; create a new one")
        if self._loop is None or self._transport is None:
            raise ClientStateError(f"use the client inside `async with {name}(...) as client:`")
        if asyncio.get_running_loop() is not self._loop:
            raise ClientStateError(
                f"this {name} belongs to another event loop; create one client per loop"
            )
        return self._transport

    def _task_host(self) -> TaskHost:
        """Return the host of the jobs that fetch ahead, once the client is open."""
        self._open_transport()
        return self._tasks

    @asynccontextmanager
    async def _exchange(self, request: Request) -> AsyncIterator[ResponseStream]:
        """Try `request` once: pass the gate, follow same-origin redirects, raise on errors."""
        transport = self._open_transport()
        url, headers = self._dialect.prepare(request)
        for _ in range(MAX_REDIRECTS + 1):
            async with (
                self._throttle.slot(),
                transport.open(request.method, url, headers) as response,
            ):
                self._throttle.observe(response.status, response.headers)
                logger.debug("%s: HTTP %d", request.describe(), response.status)
                if response.status in REDIRECT_STATUSES:
                    location = response.headers.get("Location")
                    url = redirect_target(url, location, self._dialect.origin)
                    continue
                if response.status >= 300:  # an error, or a 3xx that is no redirect
                    body = await response.read(self._max_body_size)
                    raise self._dialect.error(
                        request, Response(response.status, response.headers, body)
                    )
                yield response
                return
        raise UnsafeRedirectError(f"{request.describe()}: more than {MAX_REDIRECTS} redirects")

    async def _pause_before_retry(
        self, request: Request, attempt: int, error: ModelLabError, waited: float
    ) -> float:
        """Wait before trying `request` again and return the wait, or re-raise `error`."""
        delay = self._retry.delay(attempt, error, waited, self._rng)
        if delay is None:
            raise error
        self._throttle.stats.retries += 1
        if isinstance(error, RateLimitError):
            self._throttle.stats.throttled_seconds += delay
        logger.info(
            "%s failed (%s: %s); retry %d of %d in %.2f s",
            request.describe(),
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
        await anyio.sleep(delay)
        return delay

    async def _fetch(
        self, request: Request, parse: Callable[[Response], T], max_bytes: int | None = None
    ) -> T:
        """Send `request` and parse its whole answer, retrying as the policy allows."""
        waited = 0.0
        answer_lost = False
        for attempt in itertools.count():
            try:
                async with self._exchange(request) as stream:
                    body = await stream.read(max_bytes or self._max_body_size)
                    return parse(Response(stream.status, stream.headers, body))
            except ModelLabError as error:
                if answer_lost and request.method == "DELETE" and isinstance(error, NotFoundError):
                    return parse(Response(204, {}, b""))  # an earlier try did delete it
                answer_lost = answer_lost or lost_answer(error)
                waited += await self._pause_before_retry(request, attempt, error, waited)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(self, request: Request, max_bytes: int | None = None) -> Response:
        return await self._fetch(request, _whole, max_bytes)

    async def _call(self, request: Request, decoder: msgspec.json.Decoder[T]) -> T:
        return await self._fetch(request, lambda response: decode(decoder, response.body, request))

    @asynccontextmanager
    async def _open(self, request: Request) -> AsyncIterator[ResponseStream]:
        """Open `request`'s answer for streaming; only what fails before the body is retried."""
        waited = 0.0
        async with AsyncExitStack() as stack:
            for attempt in itertools.count():  # pragma: no branch
                try:
                    response = await stack.enter_async_context(self._exchange(request))
                    break
                except ModelLabError as error:
                    waited += await self._pause_before_retry(request, attempt, error, waited)
            yield response

    async def _iter_body(self, request: Request) -> AsyncGenerator[bytes, None]:
        async with self._open(request) as response:
            async for chunk in response.iter_chunks():
                yield chunk


def _whole(response: Response) -> Response:
    return response
