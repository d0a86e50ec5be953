"""What the resilience modules share: the fault table, the keys, and how to connect."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from modellab_async import (
    MalformedBodyError,
    ModelLabClient,
    ModelLabError,
    RateLimitError,
    RequestTimeoutError,
    RetryPolicy,
    ServerError,
    TransportError,
)
from modellab_async.testing import (
    ConnectionReset,
    Fault,
    FaultEffect,
    PageDrift,
    ProxyErrorPage,
    SlowBody,
    TooManyRequests,
    TruncatedBody,
)
from modellab_async.testing import ServerError as ServerFault

# Distinctive, so that finding one in a text cannot be a coincidence.
API_KEY = "resilience-api-key-5b1e0c7d"
APP_KEY = "resilience-app-key-93fa62e4"
KEYS = (API_KEY, APP_KEY)

ROUTE = "list_runs"
#: Retries enough for a burst and a few unlucky draws on the same page, with fast backoff.
PATIENT = RetryPolicy(retries=8, backoff=0.01, max_backoff=0.05)
#: Retries that a fault firing on every request spends at once.
SPENT = RetryPolicy(retries=2, backoff=0.01, max_backoff=0.05)


@dataclass(frozen=True)
class FaultCase:
    """One kind of fault, the error it ends in once retries are spent, and what it needs.

    In a recovery run the fault fires on `burst` list requests in a row, then on a
    `probability` share of the rest (drawn from the fake's seeded generator).
    """

    name: str
    effect: FaultEffect
    error: type[ModelLabError] | None
    timeout: aiohttp.ClientTimeout | float = 30.0
    dedupe: bool = False
    probability: float = 0.05
    burst: int = 3
    burst_after: int = 10

    def recoverable(self) -> list[Fault]:
        """Return the faults of a recovery run: a burst, then random firings."""
        return [
            Fault(self.effect, route=ROUTE, skip=self.burst_after, times=self.burst),
            Fault(self.effect, route=ROUTE, probability=self.probability),
        ]

    def relentless(self, after: int) -> Fault:
        """Return a fault that lets `after` list requests through, then fires on every one."""
        return Fault(self.effect, route=ROUTE, skip=after)


# A read that stalls for longer than this is a timeout; a slow page stalls for longer.
SOCK_READ = 0.25

FAULT_CASES = (
    FaultCase("429 burst", TooManyRequests(retry_after=0), RateLimitError),
    FaultCase("5xx JSON", ServerFault(status=503), ServerError),
    FaultCase("5xx HTML", ProxyErrorPage(status=502), ServerError),
    FaultCase("reset mid-body", ConnectionReset(), TransportError),
    FaultCase("truncated JSON", TruncatedBody(), MalformedBodyError),
    FaultCase(
        "slow body",
        SlowBody(chunk_size=16 * 1024, delay=2 * SOCK_READ),
        RequestTimeoutError,
        timeout=aiohttp.ClientTimeout(total=30, sock_read=SOCK_READ),
    ),
    FaultCase("page drift", PageDrift(runs=3), None, dedupe=True),
)
FAILING_CASES = tuple(case for case in FAULT_CASES if case.error is not None)


def case_id(case: FaultCase) -> str:
    return case.name.replace(" ", "-")


def connect(
    url: str,
    *,
    retries: RetryPolicy = PATIENT,
    timeout: aiohttp.ClientTimeout | float = 30.0,
) -> ModelLabClient:
    return ModelLabClient(API_KEY, APP_KEY, base_url=url, retries=retries, timeout=timeout)


def leaked_keys(*texts: str) -> list[str]:
    """Return each text that contains a key, cut around the key, for a readable failure."""
    return [
        text[max(0, at - 80) : at + len(key) + 20]
        for text in texts
        for key in KEYS
        if (at := text.find(key)) >= 0
    ]
