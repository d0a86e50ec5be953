"""`ModelLabClient`: owns the HTTP session and sends every request of the resources."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import asynccontextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Self, TypeVar

import msgspec
from yarl import URL

from ._config import DEFAULT_TIMEOUT, ClientConfig, resolve_config
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
from ._tasks import TaskHost
from ._version import __version__
from .errors import ClientStateError, UnsafeRedirectError
from .resources import Artifacts, Projects, Runs

if TYPE_CHECKING:
    import aiohttp

    from ._transport import ResponseStream, Transport

__all__ = ["DEFAULT_MAX_BODY_SIZE", "ModelLabClient"]

T = TypeVar("T")

DEFAULT_MAX_BODY_SIZE = 64 * 1024 * 1024
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
        self._max_body_size = max_body_size
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
    async def _open(self, request: Request) -> AsyncIterator[ResponseStream]:
        """Send `request`, follow same-origin redirects, raise on an error status."""
        transport = self._open_transport()
        url = request_url(self._config.base_url, request)
        headers: Mapping[str, str] = self._headers
        if request.accept != JSON:
            headers = {**self._headers, "Accept": request.accept}
        for _ in range(MAX_REDIRECTS + 1):
            async with transport.open(request.method, url, headers) as response:
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

    async def _send(self, request: Request, max_bytes: int | None = None) -> Response:
        async with self._open(request) as response:
            body = await response.read(max_bytes or self._max_body_size)
            return Response(response.status, response.headers, body)

    async def _call(self, request: Request, decoder: msgspec.json.Decoder[T]) -> T:
        response = await self._send(request)
        return decode(decoder, response.body, request)

    async def _iter_body(self, request: Request) -> AsyncGenerator[bytes, None]:
        async with self._open(request) as response:
            async for chunk in response.iter_chunks():
                yield chunk
