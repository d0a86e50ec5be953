"""Model Lab played by a function: a real `ModelLabClient` over `MockTransport`, no socket.

`Scripted` answers each request with the next step of a script. `NumberedService`
answers listings of runs 0 .. total-1 in numbered pages, as a 0- or 1-based
service that sends only `meta.page.number`, `size` and `total`. Both record
what they were sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio
import msgspec

from modellab_async import ModelLabClient, RetryPolicy, TransportError
from modellab_async.testing import MockRequest, MockTransport
from tests.scripted import run_resource

#: What a handler returns: status, headers, body.
Answer = tuple[int, Mapping[str, str], bytes]
Handler = Callable[[MockRequest], Answer | Awaitable[Answer]]

#: Retries that cost milliseconds, so that tests of failures stay fast.
QUICK = RetryPolicy(retries=3, max_wait=2.0, backoff=0.001, max_backoff=0.01)

API_KEY = "mock-api-key"
APP_KEY = "mock-app-key"
JSON_HEADERS: Mapping[str, str] = {"Content-Type": "application/json"}


def connect(
    handler: Handler, *, retries: int | RetryPolicy = QUICK, **options: Any
) -> ModelLabClient:
    """Return a client whose requests `handler` answers."""
    transport = MockTransport(handler)
    return ModelLabClient(
        api_key=API_KEY, app_key=APP_KEY, transport=transport, retries=retries, **options
    )


def json_answer(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Answer:
    """Return `body` encoded as a JSON answer."""
    return status, {**JSON_HEADERS, **(headers or {})}, msgspec.json.encode(body)


def page_answer(
    number: int, ids: Iterable[int], *, total: int, size: int, **page_meta: Any
) -> Answer:
    """Return one page of runs, `meta.page` holding number, size, total and `page_meta`."""
    meta = {"number": number, "size": size, "total": total, **page_meta}
    return json_answer({"data": [run_resource(i) for i in ids], "meta": {"page": meta}})


def run_ids(count: int, start: int = 0) -> list[str]:
    """Return the ids of `count` runs from `start`, as a service answers them."""
    return [str(i) for i in range(start, start + count)]


def requested_page(request: MockRequest) -> int | None:
    """Return the `page[number]` a request asks for, if any."""
    number = request.url.query.get("page[number]")
    return None if number is None else int(number)


@dataclass
class NumberedService:
    """Serve runs 0 .. total-1 in pages numbered from `base`; `claimed_total` is what meta says."""

    total: int
    base: int = 0
    claimed_total: int | None = None
    queries: list[dict[str, str]] = field(default_factory=list)

    def __call__(self, request: MockRequest) -> Answer:
        """Answer one listing request."""
        self.queries.append(dict(request.url.query))
        size = int(request.url.query["page[size]"])
        number = requested_page(request)
        if number is None:
            number = self.base
        start = (number - self.base) * size
        ids = range(start, min(start + size, self.total))
        total = self.total if self.claimed_total is None else self.claimed_total
        return page_answer(number, ids, total=total, size=size)

    @property
    def pages_asked(self) -> list[str | None]:
        """The `page[number]` of every request, in order."""
        return [query.get("page[number]") for query in self.queries]


@dataclass
class Scripted:
    """Answer each request with the next step (the last one repeats); a `TransportError` is raised.

    Every request is recorded with the moment it arrived.
    """

    steps: list[Answer | TransportError]
    requests: list[MockRequest] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)

    def __call__(self, request: MockRequest) -> Answer:
        """Record `request` and play the next step."""
        self.requests.append(request)
        self.arrivals.append(anyio.current_time())
        step = self.steps[min(len(self.requests), len(self.steps)) - 1]
        if isinstance(step, TransportError):
            raise type(step)(*step.args)  # a fresh one: a raised error gets a checkpoint attached
        return step

    @property
    def paths(self) -> list[str]:
        """The path of every request, in order."""
        return [request.url.path for request in self.requests]
