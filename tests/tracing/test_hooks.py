"""Plain hooks through MockTransport: each event a frozen value, never a key or a query."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import FrozenInstanceError, dataclass, field

import pytest

from modellab_async import (
    Hooks,
    NotFoundError,
    Operation,
    RateLimitError,
    RequestSent,
    ResponseReceived,
    RetryScheduled,
    ServerError,
    Throttled,
)
from modellab_async.pai import PAIClient
from modellab_async.testing import MockTransport
from tests.scripted import API, run_resource
from tests.unit.mock_service import (
    API_KEY,
    APP_KEY,
    NumberedService,
    Scripted,
    connect,
    json_answer,
)

pytestmark = pytest.mark.anyio

RUN = json_answer({"data": run_resource(1)})
UNAVAILABLE = json_answer({"errors": ["down"]}, 503)
TOO_MANY = json_answer({"errors": ["slow down"]}, 429, {"Retry-After": "0.02"})
NOT_FOUND = json_answer({"errors": ["Not Found"]}, 404)

Event = RequestSent | ResponseReceived | RetryScheduled | Throttled


@dataclass
class Recorder:
    """Hooks that record every event, and every operation as (kind, parent kind, outcome)."""

    events: list[Event] = field(default_factory=list)
    operations: list[tuple[str, str | None, str]] = field(default_factory=list)
    current: ContextVar[Operation | None] = field(
        default_factory=lambda: ContextVar("current", default=None)
    )

    def hooks(self) -> Hooks:
        return Hooks(
            on_request=self.events.append,
            on_response=self.events.append,
            on_retry=self.events.append,
            on_throttle=self.events.append,
            on_operation=self.start,
        )

    def start(self, operation: Operation) -> _Scope:
        parent = self.current.get()
        return _Scope(self, operation, None if parent is None else parent.kind)

    def of(self, kind: type[Event]) -> list[Event]:
        return [event for event in self.events if isinstance(event, kind)]


@dataclass
class _Scope:
    recorder: Recorder
    operation: Operation
    parent: str | None

    @contextmanager
    def activate(self) -> Iterator[None]:
        token = self.recorder.current.set(self.operation)
        try:
            yield
        finally:
            self.recorder.current.reset(token)

    def end(self, error: BaseException | None) -> None:
        outcome = "ok" if error is None else type(error).__name__
        self.recorder.operations.append((self.operation.kind, self.parent, outcome))


async def test_a_retried_get_tells_each_try_its_answer_and_the_retry() -> None:
    recorder = Recorder()
    script = Scripted([UNAVAILABLE, RUN])
    async with connect(script, hooks=recorder.hooks()) as client:
        await client.runs.get(1)
    path = f"{API}/runs/1"
    sent, failed, retry, sent_again, answered = recorder.events
    assert sent == RequestSent("GET", path, 1)
    assert isinstance(failed, ResponseReceived)
    assert (failed.path, failed.attempt, failed.status) == (path, 1, 503)
    assert isinstance(retry, RetryScheduled)
    assert (retry.attempt, retry.status, retry.path) == (1, 503, path)
    assert isinstance(retry.error, ServerError)
    assert 0 < retry.delay < 1
    assert sent_again == RequestSent("GET", path, 2)
    assert isinstance(answered, ResponseReceived)
    assert (answered.attempt, answered.status) == (2, 200)
    assert 0 <= answered.elapsed < 5
    assert recorder.operations == [("retry_wait", "request", "ok"), ("request", None, "ok")]


async def test_events_are_frozen_values() -> None:
    recorder = Recorder()
    async with connect(Scripted([RUN]), hooks=recorder.hooks()) as client:
        await client.runs.get(1)
    with pytest.raises(FrozenInstanceError):
        recorder.events[0].path = "/elsewhere"  # type: ignore[misc]


async def test_events_hold_no_key_no_query_and_no_url() -> None:
    recorder = Recorder()
    service = NumberedService(total=30)
    async with connect(service, hooks=recorder.hooks()) as client:
        runs = client.runs.list(project_id=7, query="secret-search", page_size=10)
        assert len(await runs.collect()) == 30
    assert recorder.events
    shown = repr(recorder.events) + repr(recorder.operations)
    for leak in (API_KEY, APP_KEY, "secret-search", "?", "http", "filter"):
        assert leak not in shown
    assert {event.path for event in recorder.events} == {f"{API}/runs"}


async def test_a_429_is_a_retry_and_a_wait_on_the_rate_limit() -> None:
    recorder = Recorder()
    async with connect(Scripted([TOO_MANY, RUN]), hooks=recorder.hooks()) as client:
        await client.runs.get(1)
        throttled_seconds = client.stats.throttled_seconds
    (retry,) = recorder.of(RetryScheduled)
    assert isinstance(retry, RetryScheduled)
    assert isinstance(retry.error, RateLimitError)
    assert retry.status == 429
    (throttled,) = recorder.of(Throttled)
    assert isinstance(throttled, Throttled)
    assert throttled.delay == retry.delay == throttled_seconds


async def test_a_wait_at_the_gate_is_told() -> None:
    spent = json_answer(
        {"data": run_resource(1)}, 200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "0.05"}
    )
    recorder = Recorder()
    async with connect(Scripted([spent, RUN]), hooks=recorder.hooks()) as client:
        await client.runs.get(1)
        await client.runs.get(1)  # waits at the gate until the window resets
        throttled_seconds = client.stats.throttled_seconds
    (throttled,) = recorder.of(Throttled)
    assert isinstance(throttled, Throttled)
    assert throttled.path == f"{API}/runs/1"
    assert throttled.delay == throttled_seconds > 0
    assert not recorder.of(RetryScheduled)


async def test_a_listing_is_one_operation_whose_pages_are_its_children() -> None:
    recorder = Recorder()
    async with connect(NumberedService(total=45), hooks=recorder.hooks()) as client:
        assert len(await client.runs.list(page_size=10).collect()) == 45
    assert recorder.operations[-1] == ("listing", None, "ok")
    pages = recorder.operations[:-1]
    assert pages == [("page", "listing", "ok")] * 5


async def test_a_download_is_one_operation() -> None:
    content = b"weights" * 1000
    script = Scripted([UNAVAILABLE, (200, {"Content-Type": "application/octet-stream"}, content)])
    recorder = Recorder()
    async with connect(script, hooks=recorder.hooks()) as client:
        assert await client.artifacts.read(3, "runs/1/model.bin") == content
    assert recorder.operations == [("retry_wait", "download", "ok"), ("download", None, "ok")]
    assert {event.path for event in recorder.events} == {f"{API}/artifacts/content"}


async def test_an_operation_that_fails_ends_with_its_error() -> None:
    recorder = Recorder()
    async with connect(Scripted([NOT_FOUND]), hooks=recorder.hooks()) as client:
        with pytest.raises(NotFoundError):
            await client.runs.get(1)
    assert recorder.operations == [("request", None, "NotFoundError")]


def failing(event: object) -> None:
    raise RuntimeError("the hook's own bug")


async def test_a_hook_that_raises_is_logged_and_the_request_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hooks = Hooks(on_request=failing, on_response=failing, on_retry=failing, on_throttle=failing)
    with caplog.at_level(logging.ERROR, logger="modellab_async"):
        async with connect(Scripted([TOO_MANY, RUN]), hooks=hooks) as client:
            assert (await client.runs.get(1)).id == "1"
    failures = [r for r in caplog.records if r.name == "modellab_async" and r.exc_info]
    assert [r.getMessage() for r in failures] == [
        f"a hook raised on {name}; the client carries on"
        for name in (
            "RequestSent",
            "ResponseReceived",
            "RetryScheduled",
            "Throttled",
            "RequestSent",
            "ResponseReceived",
        )
    ]


class BrokenScope:
    def activate(self) -> AbstractContextManager[object]:
        raise RuntimeError("cannot activate")

    def end(self, error: BaseException | None) -> None:
        raise RuntimeError("cannot end")


async def test_a_tracer_that_raises_is_logged_and_the_listing_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hooks = Hooks(on_operation=lambda operation: BrokenScope())
    with caplog.at_level(logging.ERROR, logger="modellab_async"):
        async with connect(NumberedService(total=25), hooks=hooks) as client:
            assert len(await client.runs.list(page_size=10).collect()) == 25
    messages = {r.getMessage() for r in caplog.records if r.exc_info}
    assert (
        "a hook's scope failed to activate (page GET /api/v2/model-lab-api/runs); "
        "the client carries on" in messages
    )
    assert any(m.startswith("a hook's scope failed to end (listing") for m in messages)


async def test_hooks_must_be_hooks() -> None:
    with pytest.raises(TypeError, match="hooks must be a Hooks, got builtin_function_or_method"):
        connect(Scripted([RUN]), hooks=print)


async def test_the_pai_client_takes_the_same_hooks() -> None:
    recorder = Recorder()
    script = Scripted([NOT_FOUND])
    client = PAIClient(
        access_key_id="id",
        access_key_secret="secret",
        region="cn-hangzhou",
        transport=MockTransport(script),
        hooks=recorder.hooks(),
    )
    async with client:
        with pytest.raises(NotFoundError):
            await client.runs.get("run-1")
    (sent,) = recorder.of(RequestSent)
    assert isinstance(sent, RequestSent)
    assert sent.path.endswith("/runs/run-1")
    assert recorder.operations == [("request", None, "NotFoundError")]


class StuckScope:
    @contextmanager
    def activate(self) -> Iterator[None]:
        yield
        raise RuntimeError("cannot deactivate")

    def end(self, error: BaseException | None) -> None:
        pass


def refuse(operation: Operation) -> StuckScope:
    if operation.kind == "retry_wait":
        raise RuntimeError("no tracing for waits")
    return StuckScope()


async def test_a_scope_that_cannot_start_or_close_is_logged_and_the_get_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="modellab_async"):
        async with connect(
            Scripted([UNAVAILABLE, RUN]), hooks=Hooks(on_operation=refuse)
        ) as client:
            assert (await client.runs.get(1)).id == "1"
    assert [r.getMessage() for r in caplog.records if r.exc_info] == [
        "a hook raised on retry_wait; the client carries on",
        f"a hook's scope failed to deactivate (request GET {API}/runs/1); the client carries on",
    ]
