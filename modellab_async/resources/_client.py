"""`ModelLabClient`: the Model Lab API's resources over the shared HTTP core."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from yarl import URL

from .._core._client import DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_CONCURRENCY, BaseClient
from .._core._hooks import Hooks
from .._core._retry import RetryPolicy
from .._transport import Transport, choose_transport
from ..errors import ConfigurationError
from . import Artifacts, Projects, Runs
from ._config import resolve_config
from ._dialect import ModelLabDialect

if TYPE_CHECKING:
    from ssl import SSLContext

    import aiohttp

__all__ = ["ModelLabClient"]


class ModelLabClient(BaseClient):
    """An asyncio client for the Datadog Model Lab API.

    Use it as an async context manager: it opens one HTTP session on entry
    (inside the running loop) and closes it on exit. Where `async with` does
    not fit (a notebook keeping a client across cells), pair `await client.open()`
    with `await client.aclose()`.

    Example:
        >>> async with ModelLabClient() as client:  # keys from DD_API_KEY / DD_APP_KEY
        ...     async for run in client.runs.list(project_id=7, status="completed"):
        ...         print(run.id, run.attributes.name)

    Args:
        api_key: the Datadog API key; defaults to `$DD_API_KEY`.
        app_key: the Datadog application key; defaults to `$DD_APP_KEY`.
        site: a Datadog site such as `datadoghq.eu`. Without `site` or `base_url`,
            the origin is `$MODELLAB_BASE_URL`, else `$DD_SITE`'s, else `datadoghq.com`'s.
        base_url: an origin overriding the site (a proxy, a local fake server);
            a path in it is kept as a prefix.
        session: an `aiohttp.ClientSession` to use instead of opening one; the client
            leaves it open.
        timeout: seconds for a whole request (default 60), or an `aiohttp.ClientTimeout`.
        retries: tries after the first for 429s, 5xx, lost connections and
            timeouts (0: none), or a `RetryPolicy` that also bounds the total wait.
        max_concurrency: the most requests in flight at once, across all tasks;
            halved on a 429 and grown back as requests succeed.
        allow_insecure_http: allow a plain `http://` base URL that is not loopback.
        max_body_size: the largest JSON body accepted, in bytes.
        transport: send requests through this `Transport` instead of aiohttp
            (`session`, `timeout`, `proxy` and `ssl` then do not apply, and passing
            them is an error); see `modellab_async.testing.MockTransport`.
        proxy: an `http://` proxy URL (credentials may be in it) to send every request
            through; by default the one `HTTPS_PROXY` or `HTTP_PROXY` names, unless
            `NO_PROXY` lists the host. A `session` passed in keeps its own unless
            this is given.
        ssl: how the server's certificate is verified: an `ssl.SSLContext` (such as
            `ssl.create_default_context(cafile="corp-ca.pem")`), or `"system"` for the
            operating system's trust store (the `truststore` extra). By default
            Python's CA bundle, or the one `SSL_CERT_FILE` names.
        hooks: callables told of each request, response, retry and wait on the
            rate limit, and of each operation to trace (see `Hooks`, and
            `modellab_async.otel` for OpenTelemetry spans).
    """

    def __init__(  # noqa: PLR0917  # the documented contract takes these positionally
        self,
        api_key: str | None = None,
        app_key: str | None = None,
        site: str | None = None,
        base_url: str | URL | None = None,
        session: aiohttp.ClientSession | None = None,
        timeout: float | aiohttp.ClientTimeout | None = None,
        *,
        retries: int | RetryPolicy = 5,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        allow_insecure_http: bool = False,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        transport: Transport | None = None,
        proxy: str | URL | None = None,
        ssl: SSLContext | Literal["system"] | None = None,
        hooks: Hooks | None = None,
    ) -> None:
        try:
            config = resolve_config(
                api_key=api_key,
                app_key=app_key,
                site=site,
                base_url=base_url,
                allow_insecure_http=allow_insecure_http,
            )
            transport = choose_transport(transport, session, timeout, proxy=proxy, ssl=ssl)
        except ConfigurationError as error:
            # A traceback rendered with its locals must show no refused value (a key, a
            # URL's password) and no half-built client (whose repr fails): drop them from
            # this frame, and drop the inner frames, which hold them too.
            del self, api_key, app_key, base_url, proxy
            raise error.with_traceback(None) from None
        super().__init__(
            ModelLabDialect(config),
            transport,
            retries=retries,
            max_concurrency=max_concurrency,
            max_body_size=max_body_size,
            hooks=hooks,
        )
        self.projects = Projects(self)
        """Projects: list, get, star, unstar, facets and artifacts."""
        self.runs = Runs(self)
        """Runs: list, get, delete, pin, unpin, facets and artifacts."""
        self.artifacts = Artifacts(self)
        """Artifact content: read, stream and download."""
