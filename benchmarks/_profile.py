"""Profile modellab_async's listing hot path with pyinstrument (`python -m benchmarks --profile`)."""

from __future__ import annotations

from pyinstrument import Profiler

from ._clients import modellab_listing
from ._harness import Job
from ._server import ServerConfig, page_server

__all__ = ["profile_listing"]


def profile_listing(runs: int) -> str:
    """List `runs` runs through `runs.list()` under the profiler; return its text report."""
    listing = modellab_listing()
    with page_server(ServerConfig(total=runs)) as origin:
        listing(Job("listing", "modellab", origin, min(runs, 1_000)))  # warm up imports
        profiler = Profiler(interval=0.0005)
        with profiler:
            listing(Job("listing", "modellab", origin, runs))
    return profiler.output_text(unicode=True, color=False, show_all=False)
