"""Background fetches: one anyio task group per client, and cancellable jobs inside it.

A listing that fetches ahead cannot own a task group itself: it is an async
generator, and a generator must not yield inside a task group or cancel scope
(anyio's docs explain why). So the client owns one task group, hosted by a
task of its own so that no cancel scope of ours ever wraps the caller's code,
and iterations hand it `Job`s they can cancel and wait for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Generic, TypeVar

import anyio
from anyio.abc import TaskGroup

from .errors import ClientStateError

__all__ = ["Job", "TaskHost", "settle"]

T = TypeVar("T")


class Job(Generic[T]):
    """One background call: settled once with a result or an error, cancellable at any time."""

    __slots__ = ("_done", "_error", "_result", "_scope")

    def __init__(self) -> None:
        self._done = anyio.Event()
        self._scope = anyio.CancelScope()
        self._result: T
        self._error: Exception | None = None

    async def run(self, call: Callable[[], Awaitable[T]]) -> None:
        """Run `call` inside the job's cancel scope and keep its outcome; raise nothing of its own."""
        try:
            with self._scope:
                self._result = await call()
        except Exception as exc:  # noqa: BLE001  # handed to whoever waits for the job
            self._error = exc
        finally:
            if self._error is None and not hasattr(self, "_result"):
                self._error = ClientStateError("the request was cancelled before it finished")
            self._done.set()

    def cancel(self) -> None:
        """Cancel the call, whether it has started or not."""
        self._scope.cancel()

    @property
    def done(self) -> bool:
        """Whether the job has finished, one way or another."""
        return self._done.is_set()

    async def wait(self) -> T:
        """Wait for the call and return its result, or raise its error."""
        await self._done.wait()
        if self._error is not None:
            raise self._error
        return self._result

    async def finished(self) -> None:
        """Wait until the job has stopped running, without raising its error."""
        await self._done.wait()


async def settle(jobs: Iterable[Job[Any]]) -> None:
    """Cancel jobs and wait until every one has stopped, even while being cancelled."""
    pending = [job for job in jobs if not job.done]
    for job in pending:
        job.cancel()
    with anyio.CancelScope(shield=True):
        for job in pending:
            await job.finished()


class TaskHost:
    """Hosts the client's task group in a task of its own, until closed."""

    def __init__(self) -> None:
        self._group: TaskGroup | None = None
        self._closing = anyio.Event()
        self._runner: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Open the task group and return once it accepts jobs."""
        ready = anyio.Event()
        self._runner = asyncio.get_running_loop().create_task(self._host(ready))
        await ready.wait()

    async def _host(self, ready: anyio.Event) -> None:
        async with anyio.create_task_group() as group:
            self._group = group
            ready.set()
            await self._closing.wait()
            group.cancel_scope.cancel()
        self._group = None

    def spawn(self, job: Job[T], call: Callable[[], Awaitable[T]]) -> Job[T]:
        """Start `call` as `job` in the background and return the job."""
        if self._group is None:
            raise ClientStateError("the client is closed; no background work can start")
        self._group.start_soon(job.run, call)
        return job

    async def aclose(self) -> None:
        """Cancel every job still running and wait for the host to finish."""
        self._closing.set()
        if self._runner is not None:
            await self._runner
