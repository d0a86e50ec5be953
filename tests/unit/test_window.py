"""How many requests a walk keeps in flight, and the rate-limit budget it is bounded by.

The `Window` is driven by a `ClientStats` set by hand; the budget and the gate
through `MockTransport` answering with Datadog's `X-RateLimit-*` headers.
"""

from __future__ import annotations

import anyio
import pytest

from modellab_async import ClientStats
from modellab_async._engine._window import CEILING, NEAR, NEAR_START, START, Window
from modellab_async.testing import MockRequest
from tests.scripted import run_resource

from .mock_service import Answer, Handler, Scripted, connect, json_answer

pytestmark = pytest.mark.anyio


def answer_times(window: Window, count: int) -> None:
    for _ in range(count):
        window.answered()


# The window


def test_a_concurrency_given_is_kept_whatever_happens() -> None:
    stats = ClientStats(concurrency_limit=64)
    window = Window(3, stats)
    answer_times(window, 10)
    stats.rate_limited, stats.budget = 2, 1
    window.answered()
    assert not window.adaptive
    assert window.size == 3


def test_the_window_doubles_with_every_round_trip_up_to_the_ceiling() -> None:
    window = Window(None, ClientStats(concurrency_limit=64))
    assert window.adaptive
    assert window.size == START
    answer_times(window, START)  # one round trip: every request in flight answered
    assert window.size == 2 * START
    answer_times(window, 10 * CEILING)
    assert window.size == CEILING


def test_a_near_service_starts_small_and_grows_only_on_answers_it_was_slow_with() -> None:
    window = Window(None, ClientStats(concurrency_limit=64))
    window.calibrate(NEAR / 4)  # the first page came back from loopback, say
    assert window.size == NEAR_START
    for _ in range(3 * CEILING):
        window.answered(waited=NEAR / 2)  # the pipeline keeps up: no reason to grow
    assert window.size == NEAR_START
    window.answered(waited=NEAR)  # a page kept the walk waiting: latency to hide
    assert window.size == NEAR_START + 1


def test_a_far_service_starts_at_start() -> None:
    window = Window(None, ClientStats(concurrency_limit=64))
    window.calibrate(5 * NEAR)
    assert window.size == START
    window.answered(waited=0.0)
    assert window.size == START + 1


def test_a_concurrency_given_is_not_calibrated() -> None:
    window = Window(8, ClientStats(concurrency_limit=64))
    window.calibrate(NEAR / 4)
    assert window.size == 8


def test_a_429_halves_the_window_and_the_next_answers_grow_it_again() -> None:
    stats = ClientStats(concurrency_limit=64)
    window = Window(None, stats)
    answer_times(window, CEILING)
    stats.rate_limited += 1
    window.answered()
    assert window.size == CEILING // 2
    window.answered()  # the same 429 is learnt from once
    assert window.size == CEILING // 2 + 1


def test_a_429_from_before_the_walk_does_not_shrink_it() -> None:
    window = Window(None, ClientStats(concurrency_limit=64, rate_limited=5))
    window.answered()
    assert window.size == START + 1


@pytest.mark.parametrize(
    ("concurrency_limit", "budget", "size"),
    [(64, None, CEILING), (5, None, 5), (64, 12, 12), (3, 12, 3), (64, 0, 1)],
)
def test_the_window_stays_within_the_clients_limit_and_the_budget_left(
    concurrency_limit: int, budget: int | None, size: int
) -> None:
    stats = ClientStats(concurrency_limit=concurrency_limit)
    window = Window(None, stats)
    answer_times(window, CEILING)
    stats.budget = budget
    assert window.size == size


# The budget the rate-limit headers leave


def counted_on_arrival(limit: int, reset: str = "1") -> tuple[list[anyio.Event], Handler]:
    """Return a service that counts each request as it arrives and answers when released."""
    released: list[anyio.Event] = []

    async def handler(request: MockRequest) -> Answer:
        released.append(anyio.Event())
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(limit - len(released)),
            "X-RateLimit-Reset": reset,
            "X-RateLimit-Period": reset,
        }
        event = released[-1]
        await event.wait()
        return json_answer({"data": run_resource(1)}, headers=headers)

    return released, handler


@pytest.mark.parametrize("answered_first", [0, 1])
async def test_the_budget_counts_what_the_answer_cannot_have_counted_and_nothing_twice(
    answered_first: int,
) -> None:
    released, handler = counted_on_arrival(10)
    async with connect(handler) as client, anyio.create_task_group() as group:
        for _ in range(2):
            group.start_soon(client.runs.get, 1)
            await anyio.wait_all_tasks_blocked()
        assert len(released) == 2  # both counted: 8 left
        released[answered_first].set()
        await anyio.wait_all_tasks_blocked()
        # The first request's answer (9 left) has not seen the second one; the second's
        # (8 left) has seen the first, still in flight, and must not count it again.
        assert client.stats.budget == 8
        released[1 - answered_first].set()
    assert client.stats.budget == 8


async def test_a_lower_count_does_not_stick_when_a_later_answer_says_more_is_left() -> None:
    # The first count was low: a request sent after it overtook it on the way.
    script = Scripted(
        [
            json_answer(
                {"data": run_resource(1)},
                headers={"X-RateLimit-Remaining": str(left), "X-RateLimit-Reset": "1"},
            )
            for left in (3, 6)
        ]
    )
    async with connect(script) as client:
        await client.runs.get(1)
        assert client.stats.budget == 3
        await client.runs.get(1)
        assert client.stats.budget == 6


async def test_a_window_ends_at_the_earliest_reset_its_answers_imply() -> None:
    answers: list[Answer] = [
        json_answer({"data": run_resource(1)}, headers=headers)
        for headers in (
            {"X-RateLimit-Remaining": "2", "X-RateLimit-Reset": "1"},
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1"},
            {},
        )
    ]
    arrivals: list[float] = []

    async def handler(request: MockRequest) -> Answer:
        arrivals.append(anyio.current_time())
        if len(arrivals) == 2:
            # Later in the same window, whose reset, in whole seconds, still reads 1.
            await anyio.sleep(0.5)
        return answers[len(arrivals) - 1]

    async with connect(handler) as client:
        for _ in range(3):
            await client.runs.get(1)
        # The third request waits until a second after the first answer, not the second's:
        # half a second at most, and a quarter of jitter.
        assert 0 < client.stats.throttled_seconds <= 0.75
    assert arrivals[2] - arrivals[0] >= 1.0
