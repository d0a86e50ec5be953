"""How much each scenario measures, in the quick and the full mode."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FULL", "QUICK", "Settings"]


@dataclass(frozen=True)
class Settings:
    """Sizes, repetitions and time limits of one benchmark run."""

    name: str
    repetitions: int
    listing_runs: int
    official_share: float
    paired_slices: int
    """Slices per contender in each head-to-head process (`_paired.py`)."""
    paired_slice_runs: int
    latency_pages: int
    latency_repetitions: int
    get_many_runs: int
    adaptive_pages: int
    """Pages of the adaptive scenario's listing at 50 ms per response."""
    adaptive_ids: int
    """Ids of the adaptive scenario's `get_many` at 50 ms per response."""
    adaptive_repetitions: int
    rate_limit: tuple[int, float]
    """Requests allowed per window, and the window's seconds, of the rate-limited listing."""
    rate_pages: int
    rate_repetitions: int
    stream_runs: int
    stream_repetitions: int
    decode_seconds: float
    retained_pages: int
    import_samples: int
    sync_runs: int
    """Runs of the page server the sync scenario copies into DuckDB."""
    sync_generic_share: float
    """Share of them dlt's generic rest_api source copies (it is slow)."""
    job_timeout: float
    server_seconds: float
    """How long a scenario's page server lives before it stops by itself."""


QUICK = Settings(
    name="quick",
    repetitions=2,
    listing_runs=5_000,
    official_share=0.04,
    paired_slices=4,
    paired_slice_runs=2_000,
    latency_pages=100,
    latency_repetitions=1,
    get_many_runs=1_000,
    adaptive_pages=200,
    adaptive_ids=10_000,
    adaptive_repetitions=2,
    rate_limit=(50, 10.0),
    rate_pages=100,
    rate_repetitions=1,
    stream_runs=50_000,
    stream_repetitions=1,
    decode_seconds=0.05,
    retained_pages=200,
    import_samples=3,
    sync_runs=20_000,
    sync_generic_share=0.025,
    job_timeout=60.0,
    server_seconds=300.0,
)

FULL = Settings(
    name="full",
    repetitions=5,
    listing_runs=100_000,
    official_share=0.05,
    paired_slices=10,
    paired_slice_runs=10_000,
    latency_pages=100,
    latency_repetitions=5,
    get_many_runs=10_000,
    adaptive_pages=200,
    adaptive_ids=10_000,
    adaptive_repetitions=5,
    rate_limit=(100, 10.0),
    rate_pages=300,
    rate_repetitions=2,
    stream_runs=1_000_000,
    stream_repetitions=3,
    decode_seconds=0.3,
    retained_pages=1_000,
    import_samples=15,
    sync_runs=100_000,
    sync_generic_share=0.03,
    job_timeout=600.0,
    server_seconds=3600.0,
)
