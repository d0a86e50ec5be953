"""The only module that does HTTP: the aiohttp `Transport`.

Every aiohttp exception is translated into a `TransportError` here, and only here.
"""

from __future__ import annotations

import functools
import os
import ssl
import urllib.request
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager
from ssl import SSLContext
from typing import Literal

import aiohttp
from yarl import URL

from .._core._config import SecretHeaders, proxy_url
from ..errors import (
    CertificateError,
    ConfigurationError,
    DecodeError,
    ModelLabError,
    RequestTimeoutError,
    TransportError,
)

__all__ = [
    "AIOHTTP_ERRORS",
    "AiohttpTransport",
    "client_timeout",
    "streaming_timeout",
    "translate_error",
]

CHUNK_SIZE = 64 * 1024


def client_timeout(timeout: float | aiohttp.ClientTimeout) -> aiohttp.ClientTimeout:
    """Turn seconds into an aiohttp timeout: a total bound, shorter connect and read bounds.

    Raises:
        ValueError: `timeout` is not a positive number of seconds.
    """
    if isinstance(timeout, aiohttp.ClientTimeout):
        return timeout
    if type(timeout) not in (int, float) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    return aiohttp.ClientTimeout(
        total=timeout, connect=min(timeout, 10.0), sock_read=min(timeout, 30.0)
    )


def streaming_timeout(timeout: aiohttp.ClientTimeout) -> aiohttp.ClientTimeout:
    """Return `timeout` for a body of any size: its connect and per-read bounds, no total.

    A timeout without a per-read bound keeps its total: nothing else would stop
    a server that stalls.
    """
    if timeout.sock_read is None:
        return timeout
    return aiohttp.ClientTimeout(
        total=None,
        connect=timeout.connect,
        sock_read=timeout.sock_read,
        sock_connect=timeout.sock_connect,
        ceil_threshold=timeout.ceil_threshold,
    )


def _proxy_from_environment(url: URL) -> URL | None:
    """Return the proxy `HTTPS_PROXY` or `HTTP_PROXY` names for `url`, unless `NO_PROXY` skips it.

    The rules are urllib's, which aiohttp's `trust_env` applies too (lower-case
    names first); the session's `trust_env` is not used, as it reads these on a
    thread for every request and also sends `~/.netrc` credentials.
    """
    if url.host is None or urllib.request.proxy_bypass(url.host):
        return None
    proxy = urllib.request.getproxies().get(url.scheme)
    if not proxy:
        return None
    return proxy_url(proxy, source=f"the {url.scheme} proxy set in the environment")


def _tls_context(option: SSLContext | Literal["system"] | None) -> SSLContext | None:
    """Return the context that verifies servers for the `ssl=` option, or `None` for aiohttp's.

    `"system"` is the operating system's trust store (the `truststore` package).
    Without an option, a bundle named by `SSL_CERT_FILE` or `SSL_CERT_DIR` is
    read now, not only when aiohttp was first imported.

    Raises:
        ConfigurationError: `"system"` without `truststore` installed, or another string.
    """
    if isinstance(option, SSLContext):
        return option
    if option == "system":
        try:
            import truststore  # noqa: PLC0415  # an optional extra
        except ModuleNotFoundError:
            raise ConfigurationError(
                "ssl='system' needs the truststore package: "
                "pip install 'modellab-async[truststore]'"
            ) from None
        return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if option is not None:
        raise ConfigurationError(f"ssl must be an ssl.SSLContext or 'system', got {option!r}")
    cert_file, cert_dir = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
    if cert_file or cert_dir:
        return _context_for_bundle(cert_file, cert_dir)
    return None


@functools.lru_cache(maxsize=4)
def _context_for_bundle(cert_file: str | None, cert_dir: str | None) -> SSLContext:
    """Return a context trusting what `SSL_CERT_FILE`/`SSL_CERT_DIR` name, made once per pair.

    Loading a bundle takes tens of milliseconds: clients made with the same
    environment share one context.
    """
    return ssl.create_default_context(cafile=cert_file, capath=cert_dir)


#: What aiohttp raises for a failed exchange; `translate_error` turns each into the client's.
AIOHTTP_ERRORS = (TimeoutError, aiohttp.ClientError)


def translate_error(
    method: str, url: URL, exc: TimeoutError | aiohttp.ClientError
) -> ModelLabError:
    """Return the client's `TransportError` for an aiohttp or timeout error, its cause set.

    The cause is kept without its traceback: aiohttp's frames hold the request
    headers, keys included, in local variables that some tracebacks render.
    """
    where = f"{method} {url.path}"
    cause: BaseException | None = exc.with_traceback(None)
    error: ModelLabError
    if isinstance(exc, TimeoutError):  # aiohttp's own timeouts are TimeoutErrors too
        error = RequestTimeoutError(f"{where}: timed out")
    elif isinstance(exc, aiohttp.ClientResponseError):
        # Its repr carries the request headers, keys included: keep only the text.
        error, cause = TransportError(f"{where}: {exc.status} {exc.message}"), None
    elif isinstance(exc, aiohttp.ClientConnectorCertificateError):
        failure = exc.certificate_error
        reason = (
            failure.verify_message
            if isinstance(failure, ssl.SSLCertVerificationError)
            else str(failure)
        )
        error = CertificateError(
            f"{where}: the certificate of {exc.host}:{exc.port} is not trusted "
            f"({reason.rstrip('.')}); "
            "trust its CA with the client's ssl= argument or SSL_CERT_FILE"
        )
    elif isinstance(exc, aiohttp.ClientPayloadError):
        error = TransportError(f"{where}: response body cut short ({exc})")
    else:
        error = TransportError(f"{where}: {type(exc).__name__}: {exc}")
    error.__cause__ = cause
    return error


class _AiohttpResponse:
    """`ResponseStream` over an aiohttp response, translating its errors."""

    __slots__ = ("_method", "_response")

    def __init__(self, method: str, response: aiohttp.ClientResponse) -> None:
        self._method = method
        self._response = response

    @property
    def status(self) -> int:
        return self._response.status

    @property
    def headers(self) -> Mapping[str, str]:
        return self._response.headers

    async def read(self, max_bytes: int) -> bytes:
        response = self._response
        where = f"{self._method} {response.url.path}"
        length = response.content_length
        # Content-Length counts the bytes on the wire: only an unencoded body is
        # refused by it, a compressed one is counted as it is inflated.
        encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
        try:
            if length is not None and not encoded:
                if length > max_bytes:
                    raise DecodeError(
                        f"{where}: body of {length} bytes exceeds the {max_bytes}-byte limit"
                    )
                # Exactly `length` bytes arrive, as sent: read them in one piece.
                return await response.read()
            chunks = []
            size = 0
            # aiohttp inflates a bounded step at a time and stops reading the socket
            # while its buffer is full, so a bomb costs at most the limit and a chunk.
            async for chunk in response.content.iter_chunked(CHUNK_SIZE):
                size += len(chunk)
                if size > max_bytes:
                    raise DecodeError(f"{where}: body exceeds the {max_bytes}-byte limit")
                chunks.append(chunk)
        except AIOHTTP_ERRORS as exc:
            error = translate_error(self._method, response.url, exc)
            raise error from error.__cause__
        return b"".join(chunks)

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_chunked(CHUNK_SIZE):
                yield chunk
        except AIOHTTP_ERRORS as exc:
            error = translate_error(self._method, self._response.url, exc)
            raise error from error.__cause__


class _Exchange:
    """The context manager `AiohttpTransport.open` returns: sends, then releases the answer."""

    __slots__ = ("_headers", "_method", "_response", "_stream", "_transport", "_url")

    def __init__(
        self,
        transport: AiohttpTransport,
        method: str,
        url: URL,
        headers: Mapping[str, str],
        *,
        stream: bool,
    ) -> None:
        self._transport = transport
        self._method = method
        self._url = url
        self._headers = headers
        self._stream = stream
        self._response: aiohttp.ClientResponse | None = None

    async def __aenter__(self) -> _AiohttpResponse:
        transport = self._transport
        headers = self._headers
        if self._stream:
            headers = SecretHeaders({**headers, "Accept-Encoding": "identity"})
        try:
            self._response = await transport._open_session().request(
                self._method,
                self._url,
                headers=headers,
                allow_redirects=False,
                timeout=transport._stream_timeout if self._stream else transport._timeout,
                proxy=transport._proxy_for(self._url),
                # True keeps the session's connector's own setting.
                ssl=True if transport._ssl is None else transport._ssl,
                # None keeps the session's own setting for JSON bodies.
                auto_decompress=False if self._stream else None,
            )
        except AIOHTTP_ERRORS as exc:
            error = translate_error(self._method, self._url, exc)
            raise error from error.__cause__
        return _AiohttpResponse(self._method, self._response)

    async def __aexit__(self, *exc_info: object) -> None:
        if self._response is not None:
            self._response.release()


class AiohttpTransport:
    """The default transport: one `aiohttp.ClientSession`, redirects never followed.

    Args:
        session: a session to send through, left open on `aclose`, and left to its
            own proxy and TLS settings unless `proxy` or `ssl` is given; by default
            the transport opens its own on the first request (inside the running loop).
        timeout: seconds for a whole request, or an `aiohttp.ClientTimeout`.
        proxy: the proxy to send every request through; by default the one the
            environment names (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`), read when a
            host is first sent to.
        ssl: how servers are verified: an `ssl.SSLContext`, or `"system"` for the
            operating system's trust store; by default Python's (`SSL_CERT_FILE`).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession | None = None,
        *,
        timeout: float | aiohttp.ClientTimeout,
        proxy: str | URL | None = None,
        ssl: SSLContext | Literal["system"] | None = None,
    ) -> None:
        self._timeout = client_timeout(timeout)
        self._session = session
        self._owns_session = session is None
        self._stream_timeout = streaming_timeout(self._timeout)
        self._proxy = None if proxy is None else proxy_url(proxy)
        # A session passed in keeps its own verification unless `ssl` is given.
        self._ssl = _tls_context(ssl) if ssl is not None or session is None else None
        self._proxies: dict[tuple[str, str | None], URL | None] = {}

    def _open_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    def _proxy_for(self, url: URL) -> URL | None:
        """Return the proxy for `url`: the one given, else (own session only) the environment's."""
        if self._proxy is not None or not self._owns_session:
            return self._proxy
        key = (url.scheme, url.host)
        if key not in self._proxies:
            self._proxies[key] = _proxy_from_environment(url)
        return self._proxies[key]

    def open(
        self, method: str, url: URL, headers: Mapping[str, str], *, stream: bool = False
    ) -> AbstractAsyncContextManager[_AiohttpResponse]:
        return _Exchange(self, method, url, headers, stream=stream)

    async def aclose(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
