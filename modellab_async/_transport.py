"""The seam between the client and the network: what a transport must do.

The aiohttp implementation lives in `_aiohttp.py`, imported only when a client
opens, so that `import modellab_async` does not pay for aiohttp.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from yarl import URL

__all__ = ["ResponseStream", "Transport"]


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
