"""The only module that does HTTP: the aiohttp `Transport`.

Every aiohttp exception is translated into a `TransportError` here, and only here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager

import aiohttp
from yarl import URL

from ._transport import ResponseStream
from .errors import DecodeError, RequestTimeoutError, TransportError

__all__ = ["AiohttpTransport", "client_timeout"]

CHUNK_SIZE = 64 * 1024


def client_timeout(timeout: float | aiohttp.ClientTimeout) -> aiohttp.ClientTimeout:
    """Turn seconds into an aiohttp timeout: a total bound, shorter connect and read bounds."""
    if isinstance(timeout, aiohttp.ClientTimeout):
        return timeout
    return aiohttp.ClientTimeout(
        total=timeout, connect=min(timeout, 10.0), sock_read=min(timeout, 30.0)
    )


@contextmanager
def translate_errors(method: str, url: URL) -> Iterator[None]:
    """Translate aiohttp and timeout errors into the client's `TransportError` tree.

    The cause is kept without its traceback: aiohttp's frames hold the request
    headers, keys included, in local variables that some tracebacks render.
    """
    where = f"{method} {url.path}"
    try:
        yield
    except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
        raise RequestTimeoutError(f"{where}: timed out") from exc.with_traceback(None)
    except aiohttp.ClientResponseError as exc:
        # Its repr carries the request headers, keys included: keep only the text.
        raise TransportError(f"{where}: {exc.status} {exc.message}") from None
    except aiohttp.ClientPayloadError as exc:
        raise TransportError(f"{where}: response body cut short ({exc})") from exc.with_traceback(
            None
        )
    except aiohttp.ClientError as exc:
        message = f"{where}: {type(exc).__name__}: {exc}"
        raise TransportError(message) from exc.with_traceback(None)


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
        if response.content_length is not None and response.content_length > max_bytes:
            raise DecodeError(
                f"{self._method} {response.url.path}: body of {response.content_length} bytes "
                f"exceeds the {max_bytes}-byte limit"
            )
        with translate_errors(self._method, response.url):
            if response.content_length is not None:
                return await response.read()
            chunks = []
            size = 0
            async for chunk in response.content.iter_chunked(CHUNK_SIZE):
                size += len(chunk)
                if size > max_bytes:
                    raise DecodeError(
                        f"{self._method} {response.url.path}: body exceeds the "
                        f"{max_bytes}-byte limit"
                    )
                chunks.append(chunk)
            return b"".join(chunks)

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        with translate_errors(self._method, self._response.url):
            async for chunk in self._response.content.iter_chunked(CHUNK_SIZE):
                yield chunk


class AiohttpTransport:
    """The default transport: one `aiohttp.ClientSession`, redirects never followed."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        timeout: float | aiohttp.ClientTimeout,
        owns_session: bool,
    ) -> None:
        self._session = session
        self._owns_session = owns_session
        # A session of our own has the timeout as its default; one passed in may not.
        self._timeout = None if owns_session else client_timeout(timeout)

    @asynccontextmanager
    async def open(
        self, method: str, url: URL, headers: Mapping[str, str]
    ) -> AsyncIterator[ResponseStream]:
        with translate_errors(method, url):
            if self._timeout is None:
                response = await self._session.request(
                    method, url, headers=headers, allow_redirects=False
                )
            else:
                response = await self._session.request(
                    method, url, headers=headers, allow_redirects=False, timeout=self._timeout
                )
        try:
            yield _AiohttpResponse(method, response)
        finally:
            response.release()

    async def aclose(self) -> None:
        if self._owns_session:
            await self._session.close()
