"""Describe faults and decide, reproducibly, which ones hit a request.

A `Fault` pairs an effect (what goes wrong) with a route and a trigger (when
it goes wrong). A `FaultPlan` holds faults and draws every random choice from
one seeded generator, so the same requests meet the same faults on every run::

    plan = FaultPlan(seed=7)
    plan.add(Fault(TooManyRequests(retry_after=2), route="list_runs", times=3))
    plan.add(Fault(ProxyErrorPage(), probability=0.1))
    plan.add(Fault(PageDrift(runs=5), route="list_runs", skip=1))
"""

from __future__ import annotations

import fnmatch
import random
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Latency:
    """Delay the response by `seconds` plus a uniform random share of `jitter`."""

    seconds: float
    jitter: float = 0.0


@dataclass(frozen=True)
class TooManyRequests:
    """Answer 429 with a `Retry-After` header, without reaching the route."""

    retry_after: int = 1


@dataclass(frozen=True)
class ServerError:
    """Answer a 5xx with a JSON:API error body, without reaching the route."""

    status: int = 500


@dataclass(frozen=True)
class ProxyErrorPage:
    """Answer a 5xx with the HTML page a proxy or load balancer sends."""

    status: int = 502


@dataclass(frozen=True)
class ConnectionReset:
    """Send the headers with the full Content-Length, then `after_bytes`, then reset.

    None sends half of the body.
    """

    after_bytes: int | None = None


@dataclass(frozen=True)
class TruncatedBody:
    """Send a complete response whose body is cut to `keep_bytes` (None: half)."""

    keep_bytes: int | None = None


@dataclass(frozen=True)
class SlowBody:
    """Send the body in `chunk_size` chunks with `delay` seconds between them."""

    chunk_size: int = 256
    delay: float = 0.05


@dataclass(frozen=True)
class PageDrift:
    """Insert `runs` new runs at the top of the default sort before serving the request."""

    runs: int = 1


FaultEffect = (
    Latency
    | TooManyRequests
    | ServerError
    | ProxyErrorPage
    | ConnectionReset
    | TruncatedBody
    | SlowBody
    | PageDrift
)


@dataclass(frozen=True)
class Fault:
    """An effect, the requests it may hit, and when it fires among them.

    `route` is an operation name such as "list_runs" or "get_artifact_content",
    a path pattern starting with "/" (shell-style wildcards, matched against
    the request path), or None for every request. Among the matching requests
    the fault lets the first `skip` through, then fires on every `every`-th
    one, each time with `probability`, at most `times` times (None: no limit).
    """

    effect: FaultEffect
    route: str | None = None
    probability: float = 1.0
    skip: int = 0
    every: int = 1
    times: int | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        if self.skip < 0 or self.every < 1 or (self.times is not None and self.times < 0):
            raise ValueError("need skip >= 0, every >= 1 and times >= 0")

    def matches(self, operation: str | None, path: str) -> bool:
        """Return whether a request to `operation` at `path` is one this fault may hit."""
        if self.route is None:
            return True
        if self.route.startswith("/"):
            return fnmatch.fnmatchcase(path, self.route)
        return self.route == operation


class _ArmedFault:
    """A fault with its counts of matching requests and firings so far."""

    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        self.matched = 0
        self.fired = 0

    def trigger(self, rng: random.Random) -> bool:
        fault = self.fault
        self.matched += 1
        eligible = self.matched - fault.skip
        if eligible < 1 or (eligible - 1) % fault.every:
            return False
        if fault.times is not None and self.fired >= fault.times:
            return False
        # Draw last, so requests the counts already rule out consume no randomness.
        if fault.probability < 1.0 and rng.random() >= fault.probability:
            return False
        self.fired += 1
        return True


class FaultPlan:
    """The faults a server injects; mutable between requests, reproducible by `seed`."""

    def __init__(self, faults: Iterable[Fault] = (), *, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self._armed = [_ArmedFault(fault) for fault in faults]

    @property
    def faults(self) -> tuple[Fault, ...]:
        """The faults in the order they were added."""
        return tuple(armed.fault for armed in self._armed)

    def add(self, fault: Fault) -> None:
        """Add a fault; it counts matching requests from now on."""
        self._armed.append(_ArmedFault(fault))

    def clear(self) -> None:
        """Remove every fault."""
        self._armed.clear()

    def __bool__(self) -> bool:
        return bool(self._armed)

    def fire(self, operation: str | None, path: str) -> list[FaultEffect]:
        """Advance the counts for one request and return the effects that hit it, in order."""
        return [
            armed.fault.effect
            for armed in self._armed
            if armed.fault.matches(operation, path) and armed.trigger(self.rng)
        ]
