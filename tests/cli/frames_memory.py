"""Measure the peak memory of building DataFrames of a large listing, against its size.

    python -m tests.cli.frames_memory --runs 100000

The fake server runs in its own process; each frame is built in a fresh
process, whose peak resident memory (ru_maxrss) grows by `peak` while it
builds the frame of every run. The baseline is taken after a small warm-up
conversion, so the code pages of pyarrow, polars and pandas are not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import subprocess
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from modellab_async import ModelLabClient, frames

MB = 1e6


class Measure(msgspec.Struct):
    """One frame's figures, in bytes."""

    frame: str
    rows: int
    size: int
    peak: int


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def _size(frame: Any) -> int:
    """The memory the finished frame holds."""
    import pyarrow as pa  # noqa: PLC0415

    if isinstance(frame, pa.Table):
        return int(frame.nbytes)
    if hasattr(frame, "estimated_size"):  # polars adopts the Arrow buffers built for it
        return int(pa.total_allocated_bytes())
    return int(frame.memory_usage(deep=True).sum())


async def _measure(url: str, name: str) -> Measure:
    build: Callable[[Any], Awaitable[Any]] = getattr(frames, f"to_{name}")
    async with ModelLabClient("fake-api-key", "fake-app-key", base_url=url) as client:
        await build(client.runs.list(limit=300).pages())
        gc.collect()
        before = _peak_rss()
        pages: Any = client.runs.list(concurrency=4).pages()
        frame = await build(pages)
        return Measure(name, len(frame), _size(frame), _peak_rss() - before)


def _serve(runs: int) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "modellab_async.testing", "--port", "0", "--runs", str(runs)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    return server, server.stdout.readline().rsplit(" at ", 1)[1].strip()


def main() -> None:
    """Serve a fake, measure each frame in a child process, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--measure", nargs=2, metavar=("URL", "FRAME"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        sys.stdout.write(msgspec.json.encode(asyncio.run(_measure(*args.measure))).decode())
        return
    server, url = _serve(args.runs)
    try:
        for name in ("arrow", "polars", "pandas"):
            child = [sys.executable, "-m", "tests.cli.frames_memory", "--measure", url, name]
            found = msgspec.json.decode(subprocess.check_output(child), type=Measure)
            sys.stdout.write(
                f"{found.frame:>7}: {found.rows:,} rows, frame {found.size / MB:.1f} MB, "
                f"peak +{found.peak / MB:.1f} MB = {found.peak / found.size:.2f}x\n"
            )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
