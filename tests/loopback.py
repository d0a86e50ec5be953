"""A raw asyncio server on 127.0.0.1, for tests that speak HTTP/1.1 by hand (bombs, a proxy)."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Self

#: How long closing waits for the connections' handlers to return.
CLOSE_TIMEOUT = 5.0


class RawServer:
    """Serve each connection with `_connection`; closing ends every connection and waits for it.

    A connection the client drops or lets time out ends quietly. `url` is the
    server's address once it is entered.
    """

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        #: The tasks serving connections.
        self._handlers: set[asyncio.Task[None]] = set()
        #: The connections closing ends: the clients', and any a handler adds (its upstream).
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        """The server's address, e.g. "http://127.0.0.1:41234"."""
        assert self._server is not None, "the server is not started"
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:  # ends every connection, so that each handler returns
            writer.close()
        await asyncio.wait_for(asyncio.gather(*self._handlers), CLOSE_TIMEOUT)
        await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self._writers.add(writer)
        try:
            await self._connection(reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            pass  # the client hung up, or sent nothing in time
        finally:
            writer.close()
            self._writers.discard(writer)
            self._handlers.discard(task)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one connection until it is done."""
        raise NotImplementedError
