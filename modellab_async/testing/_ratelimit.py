"""Rate limiting per API key in fixed windows, with Datadog's X-RateLimit-* headers."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RateLimit:
    """Allow `limit` requests per API key in each fixed window of `period` seconds.

    Windows start at multiples of `period` on `clock`, which tests can replace
    to move time without sleeping. The name sent in X-RateLimit-Name is a guess.
    """

    limit: int = 100
    period: float = 10.0
    name: str = "model_lab_api"
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)

    def __post_init__(self) -> None:
        if self.limit < 1 or self.period <= 0:
            raise ValueError("a rate limit needs limit >= 1 and period > 0")

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """Parse `N/PERIOD`, e.g. "100/10" for 100 requests every 10 seconds."""
        limit, slash, period = text.partition("/")
        if not slash:
            raise ValueError(f"expected N/PERIOD, got {text!r}")
        return cls(limit=int(limit), period=float(period))


@dataclass(frozen=True)
class RateDecision:
    """Whether a request may proceed, and the headers that describe the window."""

    allowed: bool
    headers: dict[str, str]


class FixedWindowLimiter:
    """Count requests per key in the current window of a `RateLimit`."""

    def __init__(self, policy: RateLimit) -> None:
        self.policy = policy
        self._windows: dict[str, tuple[int, int]] = {}

    def hit(self, key: str) -> RateDecision:
        """Count one request for `key` and decide whether it is within the limit."""
        policy = self.policy
        now = policy.clock()
        window = math.floor(now / policy.period)
        current, count = self._windows.get(key, (window, 0))
        count = count + 1 if current == window else 1
        self._windows[key] = (window, count)
        reset = max(1, math.ceil((window + 1) * policy.period - now))
        headers = {
            "X-RateLimit-Limit": str(policy.limit),
            "X-RateLimit-Period": _seconds(policy.period),
            "X-RateLimit-Remaining": str(max(0, policy.limit - count)),
            "X-RateLimit-Reset": str(reset),
            "X-RateLimit-Name": policy.name,
        }
        return RateDecision(allowed=count <= policy.limit, headers=headers)


def _seconds(period: float) -> str:
    return str(int(period)) if period.is_integer() else str(period)
