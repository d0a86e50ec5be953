"""`MockTransport`: drive a real client from a function instead of a socket (as httpx's)."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ..errors import DecodeError

__all__ = ["Answer", "MockRequest", "MockTransport"]

#: What a handler returns: status, headers and the whole body.
Answer = tuple[int, Mapping[str, str], bytes]
Handler = Callable[["MockRequest"], Answer | Awaitable[Answer]]

_CHUNK_SIZE = 64 * 1024


@dataclass(frozen=True, slots=True)
class MockRequest:
    """A request as the transport received it: method, URL (query included), headers."""

    method: str
    url: URL
    headers: Mapping[str, str]


class _MockResponse:
    """A `ResponseStream` over an answer that is already whole."""

    __slots__ = ("_body", "_where", "headers", "status")

    def __init__(self, request: MockRequest, answer: Answer) -> None:
        status, headers, body = answer
        self.status = status
        self.headers = CIMultiDictProxy(CIMultiDict(headers))
        self._body = body
        self._where = f"{request.method} {request.url.path}"

    async def read(self, max_bytes: int) -> bytes:
        if len(self._body) > max_bytes:
            raise DecodeError(f"{self._where}: body exceeds the {max_bytes}-byte limit")
        return self._body

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self._body), _CHUNK_SIZE):
            yield self._body[start : start + _CHUNK_SIZE]


class _MockExchange:
    __slots__ = ("_handler", "_request")

    def __init__(self, handler: Handler, request: MockRequest) -> None:
        self._handler = handler
        self._request = request

    async def __aenter__(self) -> _MockResponse:
        answer = self._handler(self._request)
        if inspect.isawaitable(answer):
            answer = await answer
        return _MockResponse(self._request, answer)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


class MockTransport:
    """A `Transport` that answers every request by calling `handler`, with no socket.

    `handler` is a plain or async function that takes a `MockRequest` (`.method`,
    `.url` with its query, `.headers`) and returns `(status, headers, body)`, or
    raises one of the library's `TransportError`s to play a lost connection. The
    client's whole machinery runs as usual: retries, the rate-limit gate,
    redirects, error mapping, pagination.

    Example:
        >>> def handler(request: MockRequest) -> tuple[int, dict[str, str], bytes]:
        ...     if request.url.path.endswith("/runs/1"):
        ...         return 200, {"Content-Type": "application/json"}, RUN_DOCUMENT
        ...     return 404, {}, b'{"errors": [{"title": "Not Found"}]}'
        >>> client = ModelLabClient(api_key="k", app_key="a", transport=MockTransport(handler))
        >>> async with client:
        ...     run = await client.runs.get(1)
    """

    def __init__(self, handler: Handler) -> None:
        self._handler = handler

    def open(
        self, method: str, url: URL, headers: Mapping[str, str], *, stream: bool = False
    ) -> _MockExchange:
        """Return the exchange that calls the handler when entered.

        The body is handed over as the handler returns it, whatever `stream` says.
        """
        return _MockExchange(self._handler, MockRequest(method, url, headers))

    async def aclose(self) -> None:
        """Release nothing: the transport holds no resources."""
