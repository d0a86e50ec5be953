"""The seam between the client and the network: what a transport must do, and the default.

The aiohttp implementation lives in `_aiohttp.py`, imported only when a client
is made, so that `import modellab_async` does not pay for aiohttp;
`modellab_async.testing.MockTransport` answers from a function instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Literal, Protocol

from yarl import URL

if TYPE_CHECKING:
    from ssl import SSLContext

    import aiohttp

__all__ = ["DEFAULT_TIMEOUT", "ResponseStream", "Transport", "choose_transport"]

#: Seconds a request may take in all, unless the client is given another timeout.
DEFAULT_TIMEOUT = 60.0


class ResponseStream(Protocol):
    """An open HTTP response whose body has not been read yet."""

    @property
    def status(self) -> int:
        """The HTTP status code."""

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers (case-insensitive)."""

    async def read(self, max_bytes: int) -> bytes:
        """Read the whole body, refusing one larger than `max_bytes`."""

    def iter_chunks(self) -> AsyncIterator[bytes]:
        """Yield the body in chunks as it arrives."""


class Transport(Protocol):
    """The seam between the client and the network: open one HTTP exchange.

    Implement it to route requests elsewhere (a recording, an in-process app).
    The client never follows redirects through it: the transport must return
    3xx answers as they are.

    Example:
        async with transport.open("GET", url, headers) as response:
            if response.status == 200:
                body = await response.read(max_bytes=2**20)
    """

    def open(
        self, method: str, url: URL, headers: Mapping[str, str], *, stream: bool = False
    ) -> AbstractAsyncContextManager[ResponseStream]:
        """Send a request and return a context manager holding the open response.

        `stream=True` marks a file's content, of any size: its body must come
        as sent, never decoded from a `Content-Encoding` (ask for `identity`),
        and be bounded by connect and per-read timeouts rather than a total.
        """

    async def aclose(self) -> None:
        """Release what the transport owns."""


def choose_transport(
    transport: Transport | None,
    session: aiohttp.ClientSession | None,
    timeout: float | aiohttp.ClientTimeout | None,
    *,
    proxy: str | URL | None = None,
    ssl: SSLContext | Literal["system"] | None = None,
) -> Transport:
    """Return the client's transport: `transport`, or aiohttp's over the other arguments.

    Raises:
        TypeError: `transport` comes with `session`, `timeout`, `proxy` or `ssl`,
            which only the default transport takes (configure your transport
            itself instead).
        ConfigurationError: `proxy` is not an http(s) URL, or `ssl` is not usable.
    """
    if transport is not None:
        options = {"session": session, "timeout": timeout, "proxy": proxy, "ssl": ssl}
        given = " and ".join(name for name, value in options.items() if value is not None)
        if given:
            raise TypeError(
                f"pass {given} or transport, not both: "
                f"{given} configure the default aiohttp transport only"
            )
        return transport
    from ._aiohttp import AiohttpTransport  # noqa: PLC0415  # aiohttp loads only when needed

    return AiohttpTransport(
        session,
        timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
        proxy=proxy,
        ssl=ssl,
    )
