"""`ModelLabClient`: owns the HTTP session and sends every request of the resources."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import sys
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Self, TypeVar

import anyio
import msgspec
from yarl import URL

from ._config import DEFAULT_TIMEOUT, ClientConfig, resolve_config
from ._params import positive
from ._protocol import (
    JSON,
    REDIRECT_STATUSES,
    Request,
    Response,
    decode,
    error_from_response,
    redirect_target,
    request_url,
)
from ._retry import RetryPolicy, lost_answer
from ._tasks import TaskHost
from ._throttle import ClientStats, Throttle
from ._version import __version__
from .errors import (
    ClientStateError,
    ModelLabError,
    NotFoundError,
    RateLimitError,
    UnsafeRedirectError,
)
from .resources import Artifacts, Projects, Runs

if TYPE_CHECKING:
    import aiohttp

    from ._transport import ResponseStream, Transport

__all__ = ["DEFAULT_MAX_BODY_SIZE", "ModelLabClient"]

logger = logging.getLogger("modellab_async")

T = TypeVar("T")

DEFAULT_MAX_BODY_SIZE = 64 * 1024 * 1024
DEFAULT_MAX_CONCURRENCY = 64
MAX_REDIRECTS = 5
USER_AGENT = (
    f"modellab-async/{__version__} (Python {sys.version_info.major}.{sys.version_info.minor})"
)


class ModelLabClient:
    """An asyncio client for the Datadog Model Lab API.

    Use it as an async context manager: it opens one HTTP session on entry
    (inside the running loop) and closes it on exit.

    Example:
        >>> async with ModelLabClient() as client:  # keys from DD_API_KEY / DD_APP_KEY
        ...     async for run in client.runs.list(project_id=7, status="completed"):
        ...         print(run.id, run.attributes.name)

    Args:
        api_key: the Datadog API key; defaults to `$DD_API_KEY`.
        app_key: the Datadog application key; defaults to `$DD_APP_KEY`.
        site: a Datadog site such as `datadoghq.eu`; defaults to `$DD_SITE`, then
            `datadoghq.com`.
        base_url: an origin overriding the site (a proxy, a local fake server);
            a path in it is kept as a prefix.
        session: an `aiohttp.ClientSession` to use instead of opening one; the client
            leaves it open.
        timeout: seconds for a whole request, or an `aiohttp.ClientTimeout`.
        retries: tries after the first for 429s, 5xx, lost connections and
            timeouts (0: none), or a `RetryPolicy` that also bounds the total wait.
        max_concurrency: the most requests in flight at once, across all tasks;
            halved on a 429 and grown back as requests succeed.
        allow_insecure_http: allow a plain `http://` base URL that is not loopback.
        max_body_size: the largest JSON body accepted, in bytes.
        transport: send requests through this `Transport` instead of aiohttp.
    """

    def __init__(  # noqa: PLR0917  # the documented contract takes these positionally
        self,
        api_key: str | None = None,
        app_key: str | None = None,
        site: str | None = None,
        base_url: str | URL | None = None,
        session: aiohttp.ClientSession | None = None,
        timeout: float | aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
        *,
        retries: int | RetryPolicy = 5,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        allow_insecure_http: bool = False,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        transport: Transport | None = None,
    ) -> None:
        self._config: ClientConfig = resolve_config(
            api_key=api_key,
            app_key=app_key,
            site=site,
            base_url=base_url,
            timeout=timeout,
            allow_insecure_http=allow_insecure_http,
            user_agent=USER_AGENT,
        )
        self._session = session
        self._transport = transport
        self._max_body_size = positive(max_body_size, "max_body_size")
        self._retry = retries if isinstance(retries, RetryPolicy) else RetryPolicy(retries)
        self._rng = random.Random()
        self._throttle = Throttle(positive(max_concurrency, "max_concurrency"), self._rng)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks = TaskHost()
        self._closed = False
        self._headers = {
            "Accept": JSON,
            "User-Agent": USER_AGENT,
            "DD-API-KEY": self._config.api_key.reveal(),
            "DD-APPLICATION-KEY": self._config.app_key.reveal(),
        }
        self.projects = Projects(self)
        """Projects: list, get, star, unstar, facets and artifacts."""
        self.runs = Runs(self)
        """Runs: list, get, delete, pin, unpin, facets and artifacts."""
        self.artifacts = Artifacts(self)
        """Artifact content: read, stream and download."""

    @property
    def stats(self) -> ClientStats:
        """Counters of requests, retries, 429s and time spent throttled."""
        return self._throttle.stats

    @property
    def base_url(self) -> URL:
        """The origin every request goes to; no other host ever receives the keys."""
        return self._config.base_url

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open" if self._loop else "not entered"
        return f"<ModelLabClient base_url={str(self._config.base_url)!r} {state}>"

    async def __aenter__(self) -> Self:
        if self._closed:
            raise ClientStateError("this ModelLabClient is closed; create a new one")
        if self._loop is not None:
            raise ClientStateError("this ModelLabClient is already open")
        self._loop = asyncio.get_running_loop()
        if self._transport is None:
            # aiohttp is imported here, not at module level, so `import modellab_async` stays fast.
            import aiohttp  # noqa: PLC0415

            from ._aiohttp import AiohttpTransport, client_timeout  # noqa: PLC0415

            owns_session = self._session is None
            session = self._session or aiohttp.ClientSession(
                timeout=client_timeout(self._config.timeout)
            )
            self._transport = AiohttpTransport(
                session, timeout=self._config.timeout, owns_session=owns_session
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
        if self._closed:
            raise ClientStateError("this ModelLabClient is closed; create a new one")
        if self._loop is None or self._transport is None:
            raise ClientStateError(
                "use the client inside `async with ModelLabClient(...) as client:`"
            )
        if asyncio.get_running_loop() is not self._loop:
            raise ClientStateError(
                "this ModelLabClient belongs to another event loop; create one client per loop"
            )
        return self._transport

    def _task_host(self) -> TaskHost:
        """Return the task group that runs fetches ahead, once the client is open."""
        self._open_transport()
        return self._tasks

    @asynccontextmanager
    async def _exchange(self, request: Request) -> AsyncIterator[ResponseStream]:
        """Try `request` once: pass the gate, follow same-origin redirects, raise on errors."""
        transport = self._open_transport()
        url = request_url(self._config.base_url, request)
        headers: Mapping[str, str] = self._headers
        if request.accept != JSON:
            headers = {**self._headers, "Accept": request.accept}
        for _ in range(MAX_REDIRECTS + 1):
            async with (
                self._throttle.slot(),
                transport.open(request.method, url, headers) as response,
            ):
                self._throttle.observe(response.status, response.headers)
                if response.status in REDIRECT_STATUSES:
                    location = response.headers.get("Location")
                    url = redirect_target(url, location, self._config.base_url)
                    continue
                if response.status >= 400:
                    body = await response.read(self._max_body_size)
                    raise error_from_response(
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
