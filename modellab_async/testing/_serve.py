"""Serve an aiohttp application on a loopback port: the lifecycle both fakes share."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Self

from aiohttp import web

if TYPE_CHECKING:
    from ssl import SSLContext

__all__ = ["LoopbackServer"]


class LoopbackServer:
    """Start and stop `app` on `host:port` (port 0 picks a free one); `url` is its origin.

    With a server-side `ssl` context it serves HTTPS, and `url` starts with https://.
    """

    def __init__(
        self, app: web.Application, host: str, port: int, ssl: SSLContext | None = None
    ) -> None:
        self.app = app
        self._bind = (host, port)
        self._ssl = ssl
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        """The origin to send requests to, e.g. "http://127.0.0.1:8126" (https with `ssl`)."""
        if self._url is None:
            raise RuntimeError("the fake is not started")
        return self._url

    async def start(self) -> None:
        """Start listening."""
        if self._runner is not None:
            raise RuntimeError("the fake is already started")
        runner = web.AppRunner(self.app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, *self._bind, ssl_context=self._ssl).start()
        except BaseException:
            await runner.cleanup()
            raise
        host, port = runner.addresses[0][:2]
        self._runner = runner
        scheme = "http" if self._ssl is None else "https"
        self._url = (
            f"{scheme}://{host}:{port}" if ":" not in host else f"{scheme}://[{host}]:{port}"
        )

    async def close(self) -> None:
        """Stop listening and close open connections; closing twice is harmless."""
        runner, self._runner, self._url = self._runner, None, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
