"""A forward HTTP proxy on loopback for tests: CONNECT tunnels and plain-http forwarding.

It reaches 127.0.0.1 targets only (anything else gets a 403), serves a bounded
number of connections, and records what it could read: the head (request line
and headers) of each request addressed to it, and every byte it relayed from
the client to the target.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib

from yarl import URL

from tests.loopback import RawServer

HEAD_TIMEOUT = 5.0
MAX_CONNECTIONS = 32


class LoopbackProxy(RawServer):
    """Serve as a proxy on 127.0.0.1; `url` is its address, as `HTTPS_PROXY` takes it.

    Args:
        credentials: "user:password" that `Proxy-Authorization` must carry, or
            `None` to let anyone through.
    """

    def __init__(self, *, credentials: str | None = None) -> None:
        super().__init__()
        self.heads: list[bytes] = []
        self.relayed = bytearray()
        self._expected_auth = (
            None if credentials is None else b"Basic " + base64.b64encode(credentials.encode())
        )
        self._connections = 0

    @property
    def request_lines(self) -> list[bytes]:
        """The first line of each head the proxy read."""
        return [head.split(b"\r\n", 1)[0] for head in self.heads]

    @property
    def everything_seen(self) -> bytes:
        """Every byte that passed the proxy from clients: heads and relayed data."""
        return b"".join(self.heads) + bytes(self.relayed)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections += 1
        if self._connections <= MAX_CONNECTIONS:
            await self._tunnel(reader, writer)

    async def _tunnel(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HEAD_TIMEOUT)
        self.heads.append(head)
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, target, _version = request_line.split(" ")
        if self._expected_auth is not None:
            headers = dict(line.split(": ", 1) for line in header_lines if line)
            if headers.get("Proxy-Authorization", "").encode() != self._expected_auth:
                await _answer(writer, b"407 Proxy Authentication Required")
                return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
        else:  # plain http: the target is an absolute URL
            url = URL(target)
            host, port = url.host or "", str(url.port)
        if host != "127.0.0.1":
            await _answer(writer, b"403 Forbidden")
            return
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        self._writers.add(upstream_writer)
        try:
            if method == "CONNECT":
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                upstream_writer.write(head)
            async with asyncio.TaskGroup() as group:
                group.create_task(self._pipe(reader, upstream_writer, record=True))
                group.create_task(self._pipe(upstream_reader, writer, record=False))
        finally:
            upstream_writer.close()
            self._writers.discard(upstream_writer)

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, record: bool
    ) -> None:
        with contextlib.suppress(OSError):  # either side may reset its connection
            while data := await reader.read(65536):
                if record:
                    self.relayed += data
                writer.write(data)
                await writer.drain()
            writer.write_eof()


async def _answer(writer: asyncio.StreamWriter, status: bytes) -> None:
    writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    await writer.drain()
