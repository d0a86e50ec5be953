"""Fetch many resources by id: batched where the API allows it, bounded, one result per id."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import anyio

from .._core._tasks import Job, settle
from ..errors import ModelLabError
from ._listing import ListingClient
from ._window import Window

__all__ = ["BATCH_SIZE", "Result", "fetch_many"]

T = TypeVar("T")

#: Ids asked for in one list request (`filter[id]=1,2,...`): the largest page.
BATCH_SIZE = 100


@dataclass(frozen=True, slots=True)
class Result(Generic[T]):
    """The outcome for one id of `get_many`: the resource, or the error it met.

    Example:
        >>> async for result in client.runs.get_many([1, 2, 3]):
        ...     if result.ok:
        ...         print(result.value.attributes.name)
        ...     else:
        ...         print(result.id, "failed:", result.error)
    """

    id: str
    value: T | None = None
    error: ModelLabError | None = None

    @property
    def ok(self) -> bool:
        """Whether the resource was fetched."""
        return self.error is None

    def unwrap(self) -> T:
        """Return the resource, or raise the error it met."""
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]  # set whenever error is None


FetchOne = Callable[[str], Awaitable[T]]
FetchBatch = Callable[[Sequence[str]], Awaitable[Mapping[str, T]]]


class _Pace:
    """The requests of one bulk fetch in flight: a `Window` enforced by a capacity limiter."""

    def __init__(self, window: Window) -> None:
        self.window = window
        self._limiter = anyio.CapacityLimiter(window.size)

    async def __aenter__(self) -> None:
        await self._limiter.acquire()

    async def __aexit__(self, *exc_info: object) -> None:
        self._limiter.release()
        self.window.answered()
        self._limiter.total_tokens = self.window.size


async def _resolve(
    ids: Sequence[str],
    pace: _Pace,
    fetch_one: FetchOne[T],
    fetch_batch: FetchBatch[T] | None,
) -> list[Result[T]]:
    """Fetch one batch of ids: a list request first, then single requests for the rest."""
    found: Mapping[str, T] = {}
    if fetch_batch is not None:
        try:
            async with pace:
                found = await fetch_batch(ids)
        except ModelLabError as exc:
            return [Result(id, error=exc) for id in ids]
    singles: dict[str, Result[T]] = {}

    async def fetch_single(id: str) -> None:
        try:
            async with pace:
                singles[id] = Result(id, value=await fetch_one(id))
        except ModelLabError as exc:
            singles[id] = Result(id, error=exc)

    async with anyio.create_task_group() as group:
        for id in dict.fromkeys(ids):
            if id not in found:
                group.start_soon(fetch_single, id)
    return [Result(id, value=found[id]) if id in found else singles[id] for id in ids]


async def fetch_many(
    client: ListingClient,
    ids: Sequence[str],
    *,
    concurrency: int | None,
    ordered: bool,
    fetch_one: FetchOne[T],
    fetch_batch: FetchBatch[T] | None = None,
    batch_size: int = BATCH_SIZE,
) -> AsyncGenerator[Result[T], None]:
    """Yield one `Result` per id, with at most `concurrency` requests in flight.

    Ids go in batches of `batch_size`, and as many batches are under way at once
    as keep the requests in flight busy: `concurrency` of them, or as many as a
    `Window` of the fetch's own choosing allows (`None`). With `ordered`, results
    come in the order of `ids`; otherwise each batch's results come as soon as it is done.
    """
    pace = _Pace(Window(concurrency, client.stats))
    batches = deque(ids[i : i + batch_size] for i in range(0, len(ids), batch_size))
    finished_send, finished = anyio.create_memory_object_stream[Job[list[Result[T]]]](math.inf)
    jobs: deque[Job[list[Result[T]]]] = deque()

    def batches_wanted() -> int:
        size = pace.window.size
        return size if fetch_batch is not None else math.ceil(size / batch_size) + 1

    def top_up() -> None:
        while batches and len(jobs) < batches_wanted():
            batch, job = batches.popleft(), Job[list[Result[T]]]()

            async def run(
                batch: Sequence[str] = batch, job: Job[list[Result[T]]] = job
            ) -> list[Result[T]]:
                results = await _resolve(batch, pace, fetch_one, fetch_batch)
                finished_send.send_nowait(job)
                return results

            jobs.append(client._spawn(job, run))

    try:
        with finished_send, finished:
            top_up()
            while jobs:
                job = jobs[0] if ordered else await finished.receive()
                results = await job.wait()
                jobs.remove(job)
                top_up()
                for result in results:
                    yield result
    finally:
        await settle(jobs)
