"""How many requests a walk keeps in flight: the caller's number, or its own choice; no I/O."""

from __future__ import annotations

from .._core._throttle import ClientStats

__all__ = ["CEILING", "NEAR", "NEAR_START", "START", "Window"]

#: Where a window of the walk's own choosing starts: half the ceiling, so a fetch of
#: 100 requests at 50 ms takes about as long as 32 fixed, while a listing learns the
#: rate-limit budget from its first page before it fans out.
START = 16
#: The most it grows to: enough to hide a 50 ms round trip behind decoding on loopback,
#: and the bound of the pages a listing holds at once (this many, plus the current one).
CEILING = 32
#: A round trip shorter than this has no latency worth hiding (loopback, the same rack):
#: a walk whose first page came back sooner starts at `NEAR_START` and grows only on
#: answers it had to wait this long for, since more requests in flight would cost CPU
#: that decoding needs and gain nothing.
NEAR = 0.010
NEAR_START = 2


class Window:
    """How many pages (or batches) one walk keeps in flight.

    With a `concurrency` from the caller it is that number. Otherwise it starts
    at `START` and grows by one for each answer that comes back while the
    client saw no 429, so it doubles every round trip (as TCP's slow start
    does); it halves when a 429 arrives, and never exceeds `CEILING`, the
    client's concurrency limit (itself halved by 429s) or the requests the
    rate-limit window has left. A walk tells it how long its first page took
    alone (`calibrate`): a service nearer than `NEAR` starts the window at
    `NEAR_START`, and only answers the walk waited `NEAR` or more for grow it.
    """

    __slots__ = ("_fixed", "_near", "_rate_limited", "_size", "_stats")

    def __init__(self, concurrency: int | None, stats: ClientStats) -> None:
        self._fixed = concurrency
        self._stats = stats
        self._size = START
        self._near = False
        self._rate_limited = stats.rate_limited

    def calibrate(self, round_trip: float) -> None:
        """Learn how long one request took alone, in seconds: a near service starts small."""
        if self._fixed is None and round_trip < NEAR:
            self._near = True
            self._size = min(self._size, NEAR_START)

    @property
    def adaptive(self) -> bool:
        """Whether the walk chooses the size itself."""
        return self._fixed is None

    @property
    def size(self) -> int:
        """How many requests to keep in flight now."""
        if self._fixed is not None:
            return self._fixed
        stats = self._stats
        size = min(self._size, stats.concurrency_limit)
        if stats.budget is not None:
            size = min(size, stats.budget)
        return max(size, 1)

    def answered(self, waited: float = 0.0) -> None:
        """Learn from one answer, `waited` seconds after it was wanted: grow, or halve on a 429."""
        if self._fixed is not None:
            return
        rate_limited = self._stats.rate_limited
        if rate_limited > self._rate_limited:
            self._rate_limited = rate_limited
            self._size = max(self._size // 2, 1)
        elif self._size < CEILING and (not self._near or waited >= NEAR):
            self._size += 1
