"""Decide whether a failed request is tried again, and after how long; perform no I/O."""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import (
    APIError,
    CertificateError,
    MalformedBodyError,
    ModelLabError,
    ServerError,
    TransportError,
    UnsafeRedirectError,
)
from ._params import non_negative

__all__ = [
    "RETRY_STATUSES",
    "RetryPolicy",
    "is_retryable",
    "lost_answer",
    "rate_limit_window",
    "retry_after",
    "server_delay",
]

#: Statuses worth another try: rate limited, or a server or proxy that may recover.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Read `Retry-After` as seconds: a number, or an HTTP date."""
    value = headers.get("Retry-After")
    seconds = _seconds(value)
    if seconds is not None or value is None:
        return seconds
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    wall = time.time() if now is None else now
    return max(0.0, moment.timestamp() - wall)


def rate_limit_window(headers: Mapping[str, str]) -> tuple[int, float] | None:
    """Read Datadog's `X-RateLimit-Remaining` and `X-RateLimit-Reset` (seconds until reset)."""
    remaining = _seconds(headers.get("X-RateLimit-Remaining"))
    reset = _seconds(headers.get("X-RateLimit-Reset"))
    if remaining is None or reset is None:
        return None
    return int(remaining), reset


def server_delay(error: ModelLabError) -> float | None:
    """Return how long the service asked to wait: `Retry-After`, else the rate-limit reset."""
    if not isinstance(error, APIError):
        return None
    delay = retry_after(error.headers)
    if delay is None and error.status == 429:
        window = rate_limit_window(error.headers)
        delay = window[1] if window is not None else None
    return delay


def is_retryable(error: ModelLabError) -> bool:
    """Whether trying again may succeed: 429, 5xx, a lost connection, a body cut short."""
    if isinstance(error, APIError):
        return error.status in RETRY_STATUSES
    if isinstance(error, (UnsafeRedirectError, CertificateError)):
        return False
    return isinstance(error, (TransportError, MalformedBodyError))


#: Gateway statuses: a proxy lost the service's answer, so the request's fate is unknown.
GATEWAY_LOST_STATUSES = frozenset({502, 504})


def lost_answer(error: ModelLabError) -> bool:
    """Whether the request may have been carried out although no answer said so.

    True for a lost connection, a timeout or a gateway that lost the service's
    answer (502, 504); false for a status the service itself sent, such as 500:
    it says what happened.
    """
    if isinstance(error, ServerError):
        return error.status in GATEWAY_LOST_STATUSES
    return isinstance(error, TransportError) and not isinstance(
        error, (UnsafeRedirectError, CertificateError)
    )


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How failed requests are retried: exponential backoff with full jitter.

    Args:
        retries: tries after the first; 0 turns retrying off.
        max_wait: the longest total time, in seconds, spent waiting between the
            tries of one request; a wait that would pass it is not made.
        backoff: the cap of the first wait; it doubles with every try.
        max_backoff: the largest cap of one wait the client chooses itself.
            Waits the service asks for (`Retry-After`, `X-RateLimit-Reset`) are
            honoured as they are, within `max_wait`.
    """

    retries: int = 5
    max_wait: float = 120.0
    backoff: float = 0.5
    max_backoff: float = 30.0

    def __post_init__(self) -> None:
        non_negative(self.retries, "retries")
        if not self.max_wait >= 0 or not self.backoff > 0 or not self.max_backoff > 0:
            raise ValueError("max_wait must be >= 0, backoff and max_backoff > 0")

    def delay(
        self, attempt: int, error: ModelLabError, waited: float, rng: random.Random
    ) -> float | None:
        """Return the seconds to wait before trying again after `attempt` failed, or `None`.

        `attempt` counts from 0; `waited` is the time already spent waiting.
        """
        if attempt >= self.retries or not is_retryable(error):
            return None
        delay = server_delay(error)
        if delay is None:
            delay = rng.uniform(0, min(self.max_backoff, self.backoff * 2**attempt))
        return delay if waited + delay <= self.max_wait else None
