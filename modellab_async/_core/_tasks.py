"""Background fetches: jobs the client runs as tasks of its own, and cancels on close.

A listing that fetches ahead cannot own a task group itself: it is an async
generator, and a generator must not yield inside a task group or cancel scope
(anyio's docs explain why). So the client hosts its background work: each
`Job` is an asyncio task that the client's `TaskHost` keeps track of, outside
every cancel scope of the caller, and cancels and awaits when the client
closes. Iterations hold their jobs, wait for them without cancelling them,
and cancel what they no longer need (`settle`).

Jobs are plain tasks rather than children of an anyio task group because a
listing starts one per page: started and awaited, a task costs about 8 us
where a task-group child with its own cancel scope and event cost about 50 us.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from functools import partial
from typing import Any, Generic, TypeVar

import anyio

from ..errors import ClientStateError

__all__ = ["Job", "TaskHost", "settle"]

T = TypeVar("T")


class Job(Generic[T]):
    """One background call: settled once with a result or an error, cancellable at any time."""

    __slots__ = ("_error", "_result", "_task")

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None
        self._result: T
        self._error: Exception | None = None

    async def _run(self, call: Callable[[], Awaitable[T]]) -> None:
        """Run `call` and keep its outcome for `wait`; only cancellation ends the task."""
        try:
            self._result = await call()
        except Exception as exc:  # noqa: BLE001  # handed to whoever waits for the job
            self._error = exc

    def cancel(self) -> None:
        """Cancel the call, whether it has started or not."""
        if self._task is not None:
            self._task.cancel()

    @property
    def done(self) -> bool:
        """Whether the job has finished, one way or another."""
        return self._task is None or self._task.done()

    async def wait(self) -> T:
        """Wait for the call and return its result, or raise its error.

        Cancelling the wait does not cancel the job.
        """
        await self.finished()
        if self._error is not None:
            raise self._error
        if self._task is None or self._task.cancelled():
            raise ClientStateError("the request was cancelled before it finished")
        return self._result

    async def finished(self) -> None:
        """Wait until the job has stopped running, without raising its error."""
        task = self._task
        if task is not None and not task.done():
            waiter = task.get_loop().create_future()
            task.add_done_callback(partial(_wake, waiter))
            await waiter


def _wake(waiter: asyncio.Future[None], _task: object) -> None:
    if not waiter.done():  # a waiter that was cancelled has stopped listening
        waiter.set_result(None)


async def settle(jobs: Iterable[Job[Any]]) -> None:
    """Cancel jobs and wait until every one has stopped, even while being cancelled."""
    pending = [job._task for job in jobs if job._task is not None and not job._task.done()]
    for task in pending:
        task.cancel()
    await _wait_shielded(pending)


async def _wait_shielded(tasks: list[asyncio.Task[None]]) -> None:
    """Wait until `tasks` have ended, even if the waiter is being cancelled."""
    if tasks:
        with anyio.CancelScope(shield=True):
            await asyncio.wait(tasks)


class TaskHost:
    """Runs a client's jobs as tasks of its own; closing it cancels them and waits for them."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._open = False

    async def start(self) -> None:
        """Accept jobs from now on."""
        self._open = True

    def spawn(self, job: Job[T], call: Callable[[], Awaitable[T]]) -> Job[T]:
        """Start `call` as `job` in the background and return the job."""
        if not self._open:
            raise ClientStateError("the client is closed; no background work can start")
        task = asyncio.get_running_loop().create_task(job._run(call))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        job._task = task
        return job

    async def aclose(self) -> None:
        """Cancel every job still running and wait until all have stopped."""
        self._open = False
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await _wait_shielded(tasks)
