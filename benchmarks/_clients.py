"""The ways of fetching runs that the scenarios compare: hand-written loops and modellab_async.

Every body takes a `Job` (origin and item count) and returns how many items it
handled. Each loop is bounded by the number of pages or requests it may send.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from itertools import islice
from typing import Any

import aiohttp
import msgspec

from modellab_async import BlockingModelLabClient, ModelLabClient, Page, Run

from ._data import PAGE_SIZE, RUNS_PATH
from ._harness import Job, NotAvailableYet, RunVariant, asynchronous

__all__ = [
    "batched_gets",
    "count_items",
    "fan_out",
    "modellab_blocking_listing",
    "modellab_get_many",
    "modellab_gets",
    "modellab_listing",
    "naive_dicts",
    "official_async",
    "official_sync",
    "open_client",
    "ordered_fan_out",
    "page_url",
    "run_url",
    "session",
    "single_gets",
    "transport_only",
    "typed_loop",
    "typed_pages",
]

_page_decoder = msgspec.json.Decoder(Page[Run])
# Unlimited connections: the variants bound their own concurrency.
_CONNECTOR_LIMIT = 0


def page_url(origin: str, number: int) -> str:
    """Return the URL of page `number` of the runs listing, as a client would send it."""
    return f"{origin}{RUNS_PATH}?page[size]={PAGE_SIZE}&page[number]={number}"


def run_url(origin: str, run_id: int) -> str:
    """Return the URL of one run."""
    return f"{origin}{RUNS_PATH}/{run_id}"


def page_count(items: int) -> int:
    """Return how many pages of 100 hold `items` runs."""
    return math.ceil(items / PAGE_SIZE)


@asynccontextmanager
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """Open the aiohttp session every hand-written variant uses."""
    connector = aiohttp.TCPConnector(limit=_CONNECTOR_LIMIT)
    async with aiohttp.ClientSession(connector=connector) as client_session:
        yield client_session


async def _read(client_session: aiohttp.ClientSession, url: str) -> bytes:
    async with client_session.get(url) as response:
        response.raise_for_status()
        return await response.read()


def open_client(origin: str) -> ModelLabClient:
    return ModelLabClient(api_key="benchmark", app_key="benchmark", base_url=origin)


@asynchronous
async def transport_only(job: Job) -> int:
    """Transport ceiling: GET every page, read its body and discard it."""
    async with session() as client_session:
        for number in range(page_count(job.items)):
            await _read(client_session, page_url(job.origin, number))
    return job.items


async def typed_pages(client_session: aiohttp.ClientSession, origin: str, items: int) -> int:
    """GET the pages holding `items` runs and decode each with one reused msgspec decoder."""
    count = 0
    for number in range(page_count(items)):
        page = _page_decoder.decode(await _read(client_session, page_url(origin, number)))
        for _run in page.data:
            count += 1
    return count


async def count_items(items: AsyncIterable[object]) -> int:
    """Count what an `async for` over `items` yields: the per-item work of every variant."""
    count = 0
    async for _item in items:
        count += 1
    return count


@asynchronous
async def typed_loop(job: Job) -> int:
    """Typed ceiling: GET every page and decode it with one reused msgspec decoder."""
    async with session() as client_session:
        return await typed_pages(client_session, job.origin, job.items)


@asynchronous
async def naive_dicts(job: Job) -> int:
    """The naive alternative: `json.loads` into dicts, following `links.next`."""
    count = 0
    url: str | None = page_url(job.origin, 0)
    async with session() as client_session:
        for _ in range(page_count(job.items)):
            if url is None:
                break
            document = json.loads(await _read(client_session, url))
            for _run in document["data"]:
                count += 1
            url = document["links"].get("next")
    return count


def _options_text(options: dict[str, Any]) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in options.items())


def modellab_listing(model: type[Any] | None = None, **options: Any) -> RunVariant:
    """Return a variant body: `async for run in client.runs.list(limit=items, **options)`.

    With `model`, items are decoded into it (`decode_into`). An option the
    library does not accept yet makes the variant "not available yet".
    """

    async def body(job: Job) -> int:
        async with open_client(job.origin) as client:
            try:
                runs = client.runs.list(limit=job.items, **options)
            except TypeError as exc:
                if "unexpected keyword argument" not in str(exc):
                    raise
                raise NotAvailableYet(f"runs.list({_options_text(options)})") from exc
            return await count_items(runs if model is None else runs.decode_into(model))

    return asynchronous(body)


def modellab_blocking_listing(job: Job) -> int:
    """The blocking client: `for run in client.runs.list(limit=items)` in plain synchronous code."""
    count = 0
    with BlockingModelLabClient("benchmark", "benchmark", base_url=job.origin) as client:
        for _run in client.runs.list(limit=job.items):
            count += 1
    return count


def ordered_fan_out(concurrency: int) -> RunVariant:
    """Return a hand-written reference: page 0 first, then the rest `concurrency` at a time.

    Pages are consumed in order through a sliding window of tasks, so memory
    stays bounded by the window, as a prefetching paginator's would be.
    """

    async def body(job: Job) -> int:
        async with session() as client_session:

            async def fetch(number: int) -> Page[Run]:
                body = await _read(client_session, page_url(job.origin, number))
                return _page_decoder.decode(body)

            first = await fetch(0)
            count = len(first.data)
            last = min(first.meta.page.last_number or 0, page_count(job.items) - 1)
            numbers = iter(range(1, last + 1))
            async with asyncio.TaskGroup() as group:
                window = deque(group.create_task(fetch(n)) for n in islice(numbers, concurrency))
                while window:
                    page = await window.popleft()
                    window.extend(group.create_task(fetch(n)) for n in islice(numbers, 1))
                    count += len(page.data)
        return count

    return asynchronous(body)


async def fan_out(ids: range, concurrency: int, handle: Callable[[int], Awaitable[object]]) -> int:
    """Call `handle(id)` for every id, `concurrency` calls at a time; return how many ran."""
    remaining = iter(ids)
    handled = 0

    async def worker() -> None:
        nonlocal handled
        for run_id in remaining:  # workers share one iterator: each id is taken once
            await handle(run_id)
            handled += 1

    async with asyncio.TaskGroup() as group:
        for _ in range(min(concurrency, len(ids))):
            group.create_task(worker())
    return handled


def single_gets(concurrency: int) -> RunVariant:
    """Return the get-many ceiling: aiohttp GETs of single runs, bodies read and discarded."""

    async def body(job: Job) -> int:
        async with session() as client_session:
            return await fan_out(
                range(1, job.items + 1),
                concurrency,
                lambda run_id: _read(client_session, run_url(job.origin, run_id)),
            )

    return asynchronous(body)


def batched_gets(concurrency: int) -> RunVariant:
    """Return the ceiling of `get_many`'s own requests: `filter[id]` pages of 100 ids."""

    async def body(job: Job) -> int:
        def url(batch: int) -> str:
            first = batch * PAGE_SIZE + 1
            ids = ",".join(map(str, range(first, min(first + PAGE_SIZE, job.items + 1))))
            return f"{job.origin}{RUNS_PATH}?filter[id]={ids}&page[size]={PAGE_SIZE}"

        async with session() as client_session:
            await fan_out(
                range(page_count(job.items)),
                concurrency,
                lambda batch: _read(client_session, url(batch)),
            )
        return job.items

    return asynchronous(body)


def modellab_gets(concurrency: int) -> RunVariant:
    """Return what callers can write today: `client.runs.get` from a pool of tasks."""

    async def body(job: Job) -> int:
        async with open_client(job.origin) as client:
            return await fan_out(range(1, job.items + 1), concurrency, client.runs.get)

    return asynchronous(body)


def modellab_get_many(**options: Any) -> RunVariant:
    """Return a variant body: `client.runs.get_many(ids, **options)`, awaited or iterated."""

    async def body(job: Job) -> int:
        async with open_client(job.origin) as client:
            get_many = getattr(client.runs, "get_many", None)
            if get_many is None:
                raise NotAvailableYet("client.runs.get_many")
            # Its shape is not settled: accept a coroutine of a list or an async iterator.
            result = get_many(range(1, job.items + 1), **options)
            if not hasattr(result, "__aiter__"):
                return len(await result)
            return await count_items(result)

    return asynchronous(body)


def official_sync(job: Job) -> int:
    """List with the official synchronous client."""
    from . import _official  # noqa: PLC0415  # only the subprocess measuring it pays for it

    return _official.list_sync(job)


@asynchronous
async def official_async(job: Job) -> int:
    """List with the official asynchronous client."""
    from . import _official  # noqa: PLC0415  # only the subprocess measuring it pays for it

    return await _official.list_async(job)
