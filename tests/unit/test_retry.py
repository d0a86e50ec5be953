"""The retry policy and the throttle's decisions, without a server."""

from __future__ import annotations

import random

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from modellab_async import (
    APIError,
    BadRequestError,
    DecodeError,
    MalformedBodyError,
    NotFoundError,
    RateLimitError,
    RequestTimeoutError,
    RetryPolicy,
    ServerError,
    TransportError,
    UnsafeRedirectError,
)
from modellab_async._core._retry import (
    is_retryable,
    lost_answer,
    rate_limit_window,
    retry_after,
    server_delay,
)
from modellab_async._core._throttle import Throttle

RNG = random.Random(0)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("3", 3.0),
        ("0.5", 0.5),
        ("0", 0.0),
        ("-1", None),
        ("soon", None),
        ("inf", None),
        ("nan", None),
    ],
)
def test_retry_after_seconds(value: str, seconds: float | None) -> None:
    assert retry_after({"Retry-After": value}) == seconds


def test_retry_after_http_date() -> None:
    assert retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:10 GMT"}, now=1445412480.0) == 10.0
    assert retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, now=1445412490.0) == 0.0
    assert retry_after({}) is None


def test_rate_limit_window() -> None:
    headers = {"X-RateLimit-Remaining": "7", "X-RateLimit-Reset": "4"}
    assert rate_limit_window(headers) == (7, 4.0)
    assert rate_limit_window({"X-RateLimit-Remaining": "7"}) is None
    assert rate_limit_window({"X-RateLimit-Remaining": "x", "X-RateLimit-Reset": "1"}) is None


def test_server_delay_prefers_retry_after_then_the_reset() -> None:
    both = {"Retry-After": "2", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "9"}
    assert server_delay(RateLimitError(429, headers=both)) == 2.0
    reset_only = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "9"}
    assert server_delay(RateLimitError(429, headers=reset_only)) == 9.0
    assert server_delay(ServerError(503, headers=reset_only)) is None
    assert server_delay(TransportError("reset")) is None


@pytest.mark.parametrize(
    ("error", "retryable", "lost"),
    [
        (RateLimitError(429), True, False),
        (ServerError(500), True, False),
        (ServerError(502), True, True),
        (ServerError(503), True, False),
        (ServerError(504), True, True),
        (ServerError(501), False, False),
        (BadRequestError(400), False, False),
        (NotFoundError(404), False, False),
        (APIError(409), False, False),
        (TransportError("reset"), True, True),
        (RequestTimeoutError("slow"), True, True),
        (UnsafeRedirectError("elsewhere"), False, False),
        (MalformedBodyError("cut short"), True, False),
        (DecodeError("wrong shape"), False, False),
    ],
)
def test_what_is_retried(error: Exception, retryable: bool, lost: bool) -> None:
    assert is_retryable(error) is retryable  # type: ignore[arg-type]
    assert lost_answer(error) is lost  # type: ignore[arg-type]


@given(attempt=st.integers(0, 20), seed=st.integers(0, 1000))
def test_backoff_is_full_jitter_under_a_doubling_cap(attempt: int, seed: int) -> None:
    policy = RetryPolicy(retries=30, max_wait=1e9, backoff=0.5, max_backoff=30.0)
    delay = policy.delay(attempt, ServerError(503), 0.0, random.Random(seed))
    assert delay is not None
    assert 0.0 <= delay <= min(30.0, 0.5 * 2**attempt)


def test_the_service_decides_the_wait_when_it_says() -> None:
    error = RateLimitError(429, headers={"Retry-After": "42"})
    assert RetryPolicy().delay(0, error, 0.0, RNG) == 42.0


def test_attempts_and_total_wait_are_bounded() -> None:
    policy = RetryPolicy(retries=2, max_wait=10.0)
    assert policy.delay(1, ServerError(503), 0.0, RNG) is not None
    assert policy.delay(2, ServerError(503), 0.0, RNG) is None
    slow = RateLimitError(429, headers={"Retry-After": "8"})
    assert policy.delay(0, slow, 1.0, RNG) == 8.0
    assert policy.delay(0, slow, 3.0, RNG) is None
    assert RetryPolicy(retries=0).delay(0, ServerError(503), 0.0, RNG) is None
    assert policy.delay(0, BadRequestError(400), 0.0, RNG) is None


@pytest.mark.parametrize(
    "arguments",
    [
        {"retries": -1},
        {"max_wait": -1.0},
        {"backoff": 0.0},
        {"max_backoff": -1.0},
    ],
)
def test_bad_policies(arguments: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        RetryPolicy(**arguments)  # type: ignore[arg-type]


def test_retries_must_be_an_int() -> None:
    with pytest.raises(TypeError, match="retries must be an int"):
        RetryPolicy(retries=True)


pytestmark = pytest.mark.anyio


async def test_a_429_halves_concurrency_once_per_burst_and_successes_grow_it_back() -> None:
    throttle = Throttle(16, random.Random(1), 60.0)
    throttle.observe(429, {"Retry-After": "0"})
    assert throttle.stats.concurrency_limit == 8
    assert throttle.stats.rate_limited == 1
    throttle.observe(429, {"Retry-After": "5"})
    throttle.observe(429, {"Retry-After": "5"})  # the same burst: the gate is already closed
    assert throttle.stats.concurrency_limit == 4
    assert throttle.stats.rate_limited == 3
    for _ in range(200):
        throttle.observe(200, {})
    assert throttle.stats.concurrency_limit == 16


async def test_the_gate_holds_every_task_until_the_window_resets() -> None:
    throttle = Throttle(4, random.Random(2), 60.0)
    started = anyio.current_time()
    async with throttle.slot():  # its answer says one request is left in this window
        throttle.observe(200, {"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "0.3"})
    async with throttle.slot():  # the one left
        pass
    assert anyio.current_time() - started < 0.2
    async with throttle.slot():  # waits for the next window
        pass
    assert anyio.current_time() - started >= 0.3
    assert throttle.stats.throttled_seconds > 0
    assert throttle.stats.requests == 3


async def test_a_429_closes_the_gate_for_its_retry_after() -> None:
    throttle = Throttle(4, random.Random(3), 60.0)
    throttle.observe(429, {"Retry-After": "0.2"})
    started = anyio.current_time()
    async with throttle.slot():
        pass
    assert anyio.current_time() - started >= 0.2


@pytest.mark.parametrize(
    ("status", "headers"),
    [
        (429, {"Retry-After": "3600"}),
        (429, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "3600"}),
        (200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1e30"}),
    ],
)
async def test_a_wait_longer_than_max_wait_leaves_the_gate_open(
    status: int, headers: dict[str, str]
) -> None:
    throttle = Throttle(4, random.Random(4), 0.2)
    async with throttle.slot():
        throttle.observe(status, headers)
    with anyio.fail_after(2):
        async with throttle.slot():
            pass
    assert throttle.stats.throttled_seconds == 0
