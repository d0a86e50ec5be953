"""How many requests a walk keeps in flight: the caller's number, or its own choice; no I/O."""

from __future__ import annotations

from .._core._throttle import ClientStats

__all__ = ["CEILING", "START", "Window"]

#: Where a window of the walk's own choosing starts: half the ceiling, so a fetch of
#: 100 requests at 50 ms takes about as long as 32 fixed, while a listing learns the
#: rate-limit budget from its first page before it fans out.
START = 16
#: The most it grows to: enough to hide a 50 ms round trip behind decoding on loopback,
#: and the bound of the pages a listing holds at once (this many, plus the current one).
CEILING = 32


class Window:
    """How many pages (or batches) one walk keeps in flight.

    With a `concurrency` from the caller it is that number. Otherwise it starts
    at `START` and grows by one for each answer that comes back while the
    client saw no 429, so it doubles every round trip (as TCP's slow start
    does); it halves when a 429 arrives, and never exceeds `CEILING`, the
    client's concurrency limit (itself halved by 429s) or the requests the
    rate-limit window has left.
    """

    __slots__ = ("_fixed", "_rate_limited", "_size", "_stats")

    def __init__(self, concurrency: int | None, stats: ClientStats) -> None:
        self._fixed = concurrency
        self._stats = stats
        self._size = START
        self._rate_limited = stats.rate_limited

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

    def answered(self) -> None:
        """Learn from one answer: grow, or halve if the client has seen a 429 since."""
        if self._fixed is not None:
            return
        rate_limited = self._stats.rate_limited
        if rate_limited > self._rate_limited:
            self._rate_limited = rate_limited
            self._size = max(self._size // 2, 1)
        elif self._size < CEILING:
            self._size += 1
