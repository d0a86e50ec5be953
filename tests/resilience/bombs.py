"""Decompression bombs over loopback, and the peak memory a client spends on one.

    python -m tests.resilience.bombs --inflated-mb 1024 --cap-mb 16

`BombServer` answers every request with one compressed body, framed by a
Content-Length, by chunks, or by closing the connection. Run as a module, it
measures in a fresh process how much the peak resident memory (ru_maxrss)
grows while a client refuses bombs of each encoding and framing.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.util
import resource
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from modellab_async import DecodeError, ModelLabClient
from tests.loopback import RawServer

MIB = 2**20
#: What a bomb inflates to: short text repeated, which compresses about 1,000 to 1.
FILLER = b"overloaded "
FRAMINGS = ("length", "chunked", "close")
ENCODINGS = ("gzip", "deflate", "br")
BROTLI_MODULES = ("brotli", "brotlicffi")
_WBITS = {"gzip": 31, "deflate": 15}

Compress = Callable[[bytes], bytes]


def brotli_installed() -> bool:
    """Whether aiohttp can inflate `br` here: it needs `brotli` or `brotlicffi`."""
    return any(importlib.util.find_spec(name) for name in BROTLI_MODULES)


def _compressor(encoding: str) -> tuple[Compress, Callable[[], bytes]]:
    if encoding == "br":
        module: Any = importlib.import_module(
            next(filter(importlib.util.find_spec, BROTLI_MODULES))
        )
        brotli = module.Compressor(quality=5)
        # `brotli` names it `process`, `brotlicffi` `compress`.
        return getattr(brotli, "process", None) or brotli.compress, brotli.finish
    deflate = zlib.compressobj(9, zlib.DEFLATED, _WBITS[encoding])
    return deflate.compress, deflate.flush


@cache
def bomb(encoding: str, inflated: int) -> bytes:
    """Return a body in `encoding` that inflates to `inflated` bytes of `FILLER`.

    It is compressed a block at a time, so making it costs little memory.
    """
    block = FILLER * (MIB // len(FILLER))
    blocks, rest = divmod(inflated, len(block))
    compress, finish = _compressor(encoding)
    parts = [compress(block) for _ in range(blocks)]
    return b"".join([*parts, compress(block[:rest]), finish()])


class BombServer(RawServer):
    """An HTTP/1.1 server on 127.0.0.1 answering every request with the same compressed body."""

    def __init__(self, body: bytes, encoding: str, framing: str, status: int = 200) -> None:
        super().__init__()
        self.body = body
        self.encoding = encoding
        self.framing = framing
        self.status = status
        self.requests = 0

    def _head(self) -> bytes:
        lines = [
            f"HTTP/1.1 {self.status} Bomb",
            "Content-Type: application/json",
            f"Content-Encoding: {self.encoding}",
        ]
        if self.framing == "length":
            lines.append(f"Content-Length: {len(self.body)}")
        elif self.framing == "chunked":
            lines.append("Transfer-Encoding: chunked")
        else:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def _pieces(self) -> Iterator[bytes]:
        for start in range(0, len(self.body), 64 * 1024):
            piece = self.body[start : start + 64 * 1024]
            yield b"%x\r\n%s\r\n" % (len(piece), piece) if self.framing == "chunked" else piece
        if self.framing == "chunked":
            yield b"0\r\n\r\n"

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.readuntil(b"\r\n\r\n"):
            self.requests += 1
            writer.write(self._head())
            for piece in self._pieces():
                writer.write(piece)
                await writer.drain()
            if self.framing == "close":
                break


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


async def _measure(encoding: str, framing: str, inflated: int, cap: int) -> int:
    body = bomb(encoding, inflated)
    async with (
        BombServer(body, encoding, framing) as server,
        ModelLabClient("api-key", "app-key", base_url=server.url, max_body_size=cap) as client,
    ):
        gc.collect()
        before = _peak_rss()
        try:
            await client.runs.get(1)
        except DecodeError:
            pass
        else:
            raise AssertionError("the bomb was accepted")
        return _peak_rss() - before


def main() -> None:
    """Measure each encoding and framing in a child process; print the growth of peak RSS."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--inflated-mb", type=int, default=1024)
    parser.add_argument("--cap-mb", type=int, default=16)
    parser.add_argument("--measure", nargs=2, metavar=("ENCODING", "FRAMING"), help="one case")
    args = parser.parse_args()
    inflated, cap = args.inflated_mb * MIB, args.cap_mb * MIB
    if args.measure:
        encoding, framing = args.measure
        growth = asyncio.run(_measure(encoding, framing, inflated, cap))
        sys.stdout.write(f"{growth}\n")
        return
    encodings = ENCODINGS if brotli_installed() else ENCODINGS[:2]
    for encoding in encodings:
        for framing in FRAMINGS:
            child = [sys.executable, "-m", "tests.resilience.bombs", "--measure", encoding, framing]
            child += ["--inflated-mb", str(args.inflated_mb), "--cap-mb", str(args.cap_mb)]
            growth = int(subprocess.check_output(child))
            sys.stdout.write(
                f"{encoding:>7} {framing:>7}: {len(bomb(encoding, inflated)) / 1024:,.1f} KiB "
                f"inflating to {args.inflated_mb} MiB, cap {args.cap_mb} MiB: "
                f"peak RSS +{growth / MIB:.1f} MiB\n"
            )


if __name__ == "__main__":
    main()
