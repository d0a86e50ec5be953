"""One rate-limit gate and one adaptive concurrency limit for every request of a client.

When the service says the window is spent (`X-RateLimit-Remaining: 0`) or
answers 429, every task waits at the gate until the window resets, instead of
each retrying on its own. The number of requests in flight halves on a 429
and grows back by one per round of successes (additive increase,
multiplicative decrease). Waiters leave the gate with jitter, not all at once.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Self

import anyio

from ._retry import rate_limit_window, retry_after
from ._traffic import Traffic

__all__ = ["ClientStats", "Throttle"]

#: The most a waiter lingers after the gate opens, so that waiters spread out.
WAKE_JITTER = 0.25


@dataclass
class ClientStats(Traffic):
    """Counters a client keeps, readable at any time as `client.stats`.

    Attributes:
        retries: requests tried again after a failure.
        rate_limited: 429 answers received.
        concurrency_limit: how many requests may be in flight now.
        budget: requests the service allows before its rate-limit window resets,
            as its last answer said less those sent since (`None`: unknown).
    """

    retries: int = 0
    rate_limited: int = 0
    concurrency_limit: int = 0
    budget: int | None = None


class Throttle:
    """The gate every request of one client passes, and the limit on requests in flight."""

    def __init__(self, max_concurrency: int, rng: random.Random, max_wait: float) -> None:
        self.stats = ClientStats(concurrency_limit=max_concurrency)
        self._max = max_concurrency
        self._limit = float(max_concurrency)
        self._limiter = anyio.CapacityLimiter(max_concurrency)
        self._rng = rng
        # The gate never closes for longer than a request is willing to wait in all.
        self._max_wait = max_wait
        self._closed_until = 0.0
        self._window_end = 0.0
        self._allowance: int | None = None
        #: Requests through the gate so far: a slot's place in this count tells how
        #: many were sent after it.
        self._passed = 0

    def slot(
        self, meter: Traffic | None = None, on_wait: Callable[[float], object] | None = None
    ) -> _Slot:
        """Return a context manager that waits at the gate, then holds one place in flight.

        `meter`, if given, counts the request and its wait too (a walk's own traffic);
        `on_wait`, if given, hears of each wait at the gate, in seconds.
        """
        return _Slot(self, meter, on_wait)

    def _wait_until(self, now: float) -> float:
        if now < self._closed_until:
            return self._closed_until
        if self._allowance is not None and self._allowance <= 0:
            if now < self._window_end:
                return self._window_end
            self._allowance = self.stats.budget = None  # a new window: unknown until told
        return 0.0

    async def _pass_gate(
        self, meter: Traffic | None, on_wait: Callable[[float], object] | None
    ) -> None:
        if not self._closed_until and self._allowance is None:
            return  # the gate has never been shut: the common case, decided without a clock
        while (until := self._wait_until(now := anyio.current_time())) > 0:
            delay = until - now + self._rng.uniform(0, WAKE_JITTER)
            self.stats.throttled_seconds += delay
            if meter is not None:
                meter.throttled_seconds += delay
            if on_wait is not None:
                on_wait(delay)
            await anyio.sleep(delay)
        if self._allowance is not None:
            self._allowance -= 1
            self.stats.budget = max(self._allowance, 0)

    def observe(self, status: int, headers: Mapping[str, str], *, sent_since: int = 0) -> None:
        """Learn from an answer: the window's remaining budget, a 429, a success.

        `sent_since` is how many requests passed the gate after the one answered:
        its `X-RateLimit-Remaining` cannot have counted them yet, while it has
        counted those sent before it, answered or not. A wait longer than
        `max_wait` is not imposed on anyone: the request it answers fails at
        once (see `RetryPolicy`), and the gate stays open.
        """
        now = anyio.current_time()
        window = rate_limit_window(headers)
        if window is not None and window[1] <= self._max_wait:
            remaining, reset = window
            # The latest answer is the freshest count: an earlier, lower one may have been
            # low only because a request sent after it overtook it on the way.
            self._allowance = remaining - sent_since
            end = now + reset
            if end > self._window_end + 1.0:
                self._window_end = end  # a new window
            else:
                # The reset comes in whole seconds rounded up, so every answer's end is
                # late by up to a second: the earliest is the closest.
                self._window_end = min(self._window_end, end)
            self.stats.budget = max(self._allowance, 0)
        if status == 429:
            self.stats.rate_limited += 1
            if now >= self._closed_until:  # the first 429 of a burst
                self._resize(self._limit / 2)
            wait = retry_after(headers)
            if wait is None:
                wait = window[1] if window is not None else 1.0
            if wait <= self._max_wait:
                self._closed_until = max(self._closed_until, now + wait)
        elif status < 400 and self._limit < self._max:
            self._resize(self._limit + 1 / self._limit)

    def _resize(self, limit: float) -> None:
        self._limit = min(float(self._max), max(1.0, limit))
        self._limiter.total_tokens = int(self._limit)
        self.stats.concurrency_limit = int(self._limit)


class _Slot:
    """One request's passage: through the gate, then one place among those in flight."""

    __slots__ = ("_meter", "_on_wait", "_place", "_throttle", "_token")

    def __init__(
        self, throttle: Throttle, meter: Traffic | None, on_wait: Callable[[float], object] | None
    ) -> None:
        self._throttle = throttle
        self._meter = meter
        self._on_wait = on_wait
        self._place = 0
        # Borrowed on behalf of a token, not the task: a streamed body may be
        # finished by whichever task closes it.
        self._token = object()

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """Let the throttle learn from this request's answer (see `Throttle.observe`)."""
        throttle = self._throttle
        throttle.observe(status, headers, sent_since=throttle._passed - self._place)

    async def __aenter__(self) -> Self:
        throttle = self._throttle
        await throttle._pass_gate(self._meter, self._on_wait)
        throttle._passed += 1
        self._place = throttle._passed
        try:
            throttle._limiter.acquire_on_behalf_of_nowait(self._token)
        except anyio.WouldBlock:
            await throttle._limiter.acquire_on_behalf_of(self._token)
        throttle.stats.started()
        if self._meter is not None:
            self._meter.started()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        throttle = self._throttle
        throttle.stats.ended()
        if self._meter is not None:
            self._meter.ended()
        throttle._limiter.release_on_behalf_of(self._token)
