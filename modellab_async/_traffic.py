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
    _busy_seconds: float = field(default=0.0, repr=False, compare=False)
    _load: float = field(default=0.0, repr=False, compare=False)
    _since: float = field(default=0.0, repr=False, compare=False)

    @property
    def mean_in_flight(self) -> float:
        """How many requests were under way on average, while any was."""
        return self._load / self._busy_seconds if self._busy_seconds else float(self.in_flight)

    def started(self, now: float) -> None:
        """Count a request that goes out at `now` (the event loop's clock)."""
        self._advance(now)
        self.requests += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def ended(self, now: float) -> None:
        """Count a request that is over at `now`."""
        self._advance(now)
        self.in_flight -= 1

    def _advance(self, now: float) -> None:
        if self.in_flight:
            elapsed = now - self._since
            self._busy_seconds += elapsed
            self._load += elapsed * self.in_flight
        self._since = now
