"""The HTTP machinery every API client here shares: session, retries, throttle, background tasks.

A client is this machinery plus a `Dialect`: where an API's requests go, how
they are authenticated, and how its error bodies read.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import re
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from functools import partial
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self, TypeVar

import anyio
import msgspec
from yarl import URL

from ._config import SecretHeaders, check_timeout
from ._params import positive
from ._protocol import REDIRECT_STATUSES, Request, Response, decode, redirect_target
from ._retry import RetryPolicy, lost_answer
from ._tasks import Job, TaskHost, settle
from ._throttle import ClientStats, Throttle
from .errors import (
    APIError,
    ClientStateError,
    DecodeError,
    ModelLabError,
    NotFoundError,
    RateLimitError,
    TransportError,
    UnsafeRedirectError,
)

if TYPE_CHECKING:
    import aiohttp
    from anyio.streams.memory import MemoryObjectSendStream

    from ._transport import ResponseStream, Transport

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
        # The ends content jobs send into: closing them wakes the readers of jobs cancelled early.
        self._content_senders: set[MemoryObjectSendStream[bytes]] = set()
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
        for sender in list(self._content_senders):
            sender.close()  # a job cancelled before it started never closed its own
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
    async def _exchange(
        self, request: Request, *, stream: bool = False, offset: int = 0
    ) -> AsyncIterator[ResponseStream]:
        """Try `request` once: pass the gate, follow same-origin redirects, raise on errors.

        `stream` asks for a file's content (see `Transport.open`); `offset` asks
        for its bytes from there on, with a `Range` header.
        """
        transport = self._open_transport()
        url, headers = self._dialect.prepare(request)
        if offset:
            headers = SecretHeaders({**headers, "Range": f"bytes={offset}-"})
        # Other requests leave `stream` out: transports written before it still serve them.
        open_response = partial(transport.open, stream=True) if stream else transport.open
        for _ in range(MAX_REDIRECTS + 1):
            async with (
                self._throttle.slot(),
                open_response(request.method, url, headers) as response,
            ):
                self._throttle.observe(response.status, response.headers)
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
        )
        await anyio.sleep(delay)
        return delay

    async def _fetch(self, request: Request, parse: Callable[[Response], T]) -> T:
        """Send `request` and parse its whole answer, retrying as the policy allows."""
        waited = 0.0
        answer_lost = False
        for attempt in itertools.count():
            try:
                async with self._exchange(request) as stream:
                    body = await stream.read(self._max_body_size)
                    return parse(Response(stream.status, stream.headers, body))
            except ModelLabError as error:
                if answer_lost and request.method == "DELETE" and isinstance(error, NotFoundError):
                    return parse(Response(204, {}, b""))  # an earlier try did delete it
                answer_lost = answer_lost or lost_answer(error)
                waited += await self._pause_before_retry(request, attempt, error, waited)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(self, request: Request) -> Response:
        return await self._fetch(request, _whole)

    async def _call(self, request: Request, decoder: msgspec.json.Decoder[T]) -> T:
        return await self._fetch(request, lambda response: decode(decoder, response.body, request))

    async def _iter_body(
        self, request: Request, max_bytes: int | None = None
    ) -> AsyncGenerator[bytes, None]:
        """Yield the content `request` answers with, as sent; see `_read_content`.

        A job of the client's reads it, so that closing the client ends the
        read at once, wherever it stands.
        """
        host = self._task_host()
        sender, receiver = anyio.create_memory_object_stream[bytes](READ_AHEAD)
        self._content_senders.add(sender)
        job = host.spawn(Job[None](), partial(self._read_content, request, sender, max_bytes))
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
        content = _Content(request, max_bytes)
        failures = 0
        waited = 0.0
        async with sink:
            while True:
                delivered = content.delivered
                try:
                    async with self._exchange(request, stream=True, offset=delivered) as response:
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


_CONTENT_RANGE = re.compile(r"bytes ([0-9]{1,19})-([0-9]{1,19})/([0-9]{1,19})")
_CONTENT_LENGTH = re.compile(r"[0-9]{1,19}")


class _Content:
    """One file's content read over one or more answers: what was delivered, and checks.

    Every answer after the first must continue the same content: a 206 must
    start exactly where delivery stopped, and no answer may name another
    length or `ETag` than the first one did.
    """

    def __init__(self, request: Request, max_bytes: int | None) -> None:
        self._request = request
        self._max_bytes = max_bytes
        self.delivered = 0
        self._skip = 0
        self._size: int | None = None
        self._etag: str | None = None

    def _refuse(self, reason: str) -> DecodeError:
        return DecodeError(f"{self._request.describe()}: {reason}")

    def start(self, status: int, headers: Mapping[str, str]) -> None:
        """Check a new answer and note how many of its first bytes were delivered already."""
        size: int | None
        if status == 206:
            size = self._resumed_size(headers.get("Content-Range", ""))
            self._skip = 0
        else:  # the whole content, from its first byte
            size = _content_length(headers)
            self._skip = self.delivered
        etag = headers.get("ETag")
        if self.delivered and (
            (size is not None and self._size is not None and size != self._size)
            or (etag is not None and self._etag is not None and etag != self._etag)
        ):
            raise self._refuse("the content changed between tries")
        self._size = size if self._size is None else self._size
        self._etag = etag if self._etag is None else self._etag
        if self._size is not None and self._max_bytes is not None and self._size > self._max_bytes:
            raise self._refuse(
                f"content of {self._size} bytes exceeds the {self._max_bytes}-byte limit"
            )

    def _resumed_size(self, content_range: str) -> int:
        match = _CONTENT_RANGE.fullmatch(content_range.strip())
        if match is None:
            raise self._refuse(f"206 answer with an unusable Content-Range {content_range!r}")
        first, last, size = (int(group) for group in match.groups())
        if not self.delivered or first != self.delivered or last != size - 1:
            raise self._refuse(
                f"asked for bytes {self.delivered}- but the Content-Range is {content_range!r}"
            )
        return size

    def take(self, chunk: bytes) -> bytes:
        """Return the part of `chunk` not delivered yet, counting it as delivered."""
        if self._skip:
            skipped = min(self._skip, len(chunk))
            self._skip -= skipped
            chunk = chunk[skipped:]
        self.delivered += len(chunk)
        if self._max_bytes is not None and self.delivered > self._max_bytes:
            raise self._refuse(f"content exceeds the {self._max_bytes}-byte limit")
        if self._size is not None and self.delivered > self._size:
            raise self._refuse(f"content longer than the {self._size} bytes announced")
        return chunk

    def finish(self) -> None:
        """Check that the answer ended where the content does."""
        if self._skip:
            raise self._refuse("the content changed between tries: it is shorter now")
        if self._size is not None and self.delivered < self._size:
            raise TransportError(f"{self._request.describe()}: content cut short")


def _content_length(headers: Mapping[str, str]) -> int | None:
    value = headers.get("Content-Length", "")
    return int(value) if _CONTENT_LENGTH.fullmatch(value) else None


def _whole(response: Response) -> Response:
    return response
