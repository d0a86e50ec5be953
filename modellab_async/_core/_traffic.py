"""Counting requests in flight and their waits, for a client and for each walk; no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Traffic"]


@dataclass
class Traffic:
    """Requests sent and how they waited: kept for a client, and for each walk of a listing.

    Attributes:
        requests: HTTP exchanges started, retries and redirects included.
        max_in_flight: the most requests under way at once.
        throttled_seconds: time spent waiting on the rate limit (at the gate, and
            before retrying a 429), added up over requests.
        in_flight: requests under way now.
    """

    requests: int = 0
    max_in_flight: int = 0
    throttled_seconds: float = 0.0
    in_flight: int = 0
    _load: int = field(default=0, repr=False, compare=False)

    @property
    def mean_in_flight(self) -> float:
        """How many requests were under way when one went out, itself included, on average."""
        return self._load / self.requests if self.requests else 0.0

    def started(self) -> None:
        """Count a request that goes out."""
        self.requests += 1
        in_flight = self.in_flight = self.in_flight + 1
        self._load += in_flight
        self.max_in_flight = max(self.max_in_flight, in_flight)

    def ended(self) -> None:
        """Count a request that is over."""
        self.in_flight -= 1
