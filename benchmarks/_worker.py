"""Measure one variant in this fresh interpreter and print its `Outcome` as a JSON line.

Run by the harness: `python -m benchmarks._worker '{"scenario": ..., "variant": ...}'`.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Mapping

import msgspec

from . import bench_adaptive, bench_get_many, bench_latency, bench_listing, bench_stream, bench_sync
from ._harness import Job, NotAvailableYet, Outcome, Variant

__all__ = ["SCENARIOS", "measure", "peak_rss"]

SCENARIOS: Mapping[str, Mapping[str, Variant]] = {
    module.SCENARIO: {variant.name: variant for variant in module.VARIANTS}
    for module in (
        bench_listing,
        bench_latency,
        bench_get_many,
        bench_adaptive,
        bench_stream,
        bench_sync,
    )
}


def peak_rss() -> int:
    """Return this process's peak resident set size in bytes.

    On Linux `ru_maxrss` survives `exec`, so a worker would inherit its parent's
    peak; `VmHWM` belongs to this process image alone.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    # Elsewhere (macOS) ru_maxrss is in bytes and starts afresh with the process.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(variant: Variant, job: Job) -> Outcome:
    """Run `variant` once; report wall and CPU time, and the process's peak RSS."""
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        items = variant.run(job)
    except NotAvailableYet as exc:
        return Outcome(unavailable=str(exc))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return Outcome(items=items, wall=wall, cpu=cpu, peak_rss=peak_rss())


def main(argv: list[str]) -> None:
    """Decode the job given as the only argument, measure it, print the outcome."""
    job = msgspec.json.decode(argv[1], type=Job)
    sys.stdout.write(
        msgspec.json.encode(measure(SCENARIOS[job.scenario][job.variant], job)).decode()
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
