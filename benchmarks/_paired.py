"""Head to head in one process: the typed loop and modellab_async over alternating slices.

Separate processes measure each variant's own rate and memory, but on a shared
machine two runs a few seconds apart can differ by a third. For the ratio with
the tightest target (modellab_async against the hand-written typed loop) both
run in one interpreter, against the same server, taking turns every
`slice_runs` runs in ABBA order, so a slow moment of the machine hits both
alike. Every slice is a whole listing from the first page: the library pays
its first, not prefetched, page in every slice, as a short listing would.

Run by the harness: `python -m benchmarks._paired '{"origin": ..., ...}'`.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable

import msgspec

from ._clients import count_items, open_client, session, typed_pages
from ._harness import run_module

__all__ = ["Paired", "PairedJob", "measure", "run_paired"]


class PairedJob(msgspec.Struct, frozen=True):
    """How long a head-to-head run is, and modellab_async's `concurrency` (None: the default)."""

    origin: str
    slice_runs: int
    slices: int
    concurrency: int | None = None


class Paired(msgspec.Struct, frozen=True):
    """Wall seconds of each slice, per contender, in the order they ran."""

    typed: list[float]
    modellab: list[float]

    @property
    def ratios(self) -> list[float]:
        """modellab_async's runs/s over the typed loop's, for each pair of adjacent slices."""
        return [typed / modellab for typed, modellab in zip(self.typed, self.modellab, strict=True)]

    @property
    def ratio(self) -> float:
        """The median of `ratios`: a slice hit by a hiccup of the machine does not sway it."""
        return statistics.median(self.ratios)


async def measure(job: PairedJob) -> Paired:
    """Alternate the two contenders slice by slice; each keeps its connection between slices."""
    typed: list[float] = []
    modellab: list[float] = []
    async with session() as client_session, open_client(job.origin) as client:

        async def timed(times: list[float], work: Awaitable[int]) -> None:
            started = time.perf_counter()
            if await work != job.slice_runs:
                raise RuntimeError("a slice did not list the runs it asked for")
            times.append(time.perf_counter() - started)

        def typed_slice() -> Awaitable[None]:
            return timed(typed, typed_pages(client_session, job.origin, job.slice_runs))

        def modellab_slice() -> Awaitable[None]:
            listing = client.runs.list(limit=job.slice_runs, concurrency=job.concurrency)
            return timed(modellab, count_items(listing))

        await typed_slice()  # warm both up (connections, caches) before measuring
        await modellab_slice()
        typed.clear()
        modellab.clear()
        for index in range(job.slices):
            first, second = (typed_slice, modellab_slice)[:: 1 if index % 2 == 0 else -1]
            await first()
            await second()
    return Paired(typed, modellab)


def run_paired(job: PairedJob, timeout: float) -> Paired:
    """Run one head-to-head measurement in a fresh interpreter and return it."""
    return _paired_decoder.decode(run_module("benchmarks._paired", job, timeout))


_paired_decoder = msgspec.json.Decoder(Paired)


def main(argv: list[str]) -> None:
    """Decode the job given as the only argument, measure it, print the result as JSON."""
    job = msgspec.json.decode(argv[1], type=PairedJob)
    sys.stdout.write(msgspec.json.encode(asyncio.run(measure(job))).decode() + "\n")


if __name__ == "__main__":
    main(sys.argv)
