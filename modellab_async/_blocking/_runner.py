"""An event loop in a thread of its own, and the calls other threads make into it.

anyio's blocking portal runs the loop in its thread; every blocking call runs
as a task on it while the calling thread waits. A call interrupted while it
waits (Ctrl-C raises `KeyboardInterrupt` in the waiting thread) cancels its
task and waits until the task has stopped, so nothing the call started keeps
running behind it.

Calls are spawned with `call_soon_threadsafe` rather than the portal's
`start_task_soon`: that one waits for the loop to spawn the task, which costs a
second round trip per call and leaves a moment in which an interrupted caller
has no handle on the task it started.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from contextlib import AbstractAsyncContextManager, ExitStack, aclosing
from typing import Generic, TypeVar

import anyio
from anyio.from_thread import start_blocking_portal

from ..errors import ClientStateError

__all__ = ["READ_AHEAD", "Runner", "read_ahead", "step_through"]

T = TypeVar("T")

#: Items a blocking iterator of an async generator may hold before the caller takes them.
READ_AHEAD = 128


async def _awaited(func: Callable[[], Awaitable[T]]) -> T:
    return await func()


class Running(Generic[T]):
    """A call to run as a task on the runner's loop: start it, wait for it, or cancel it."""

    __slots__ = ("_func", "_future", "_loop", "_owner", "_task")

    def __init__(
        self, loop: asyncio.AbstractEventLoop, func: Callable[[], Awaitable[T]], owner: str
    ) -> None:
        self._loop = loop
        self._func = func
        self._owner = owner
        #: Settled once the task has ended, however it ended, or once cancelled unstarted.
        self._future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._task: asyncio.Task[T] | None = None

    def start(self) -> None:
        """Start the task; call it inside the `try` whose cleanup calls `cancel`."""
        self._loop.call_soon_threadsafe(self._spawn)

    def _spawn(self) -> None:
        self._task = self._loop.create_task(_awaited(self._func))
        self._task.add_done_callback(self._settle)

    def _settle(self, task: asyncio.Task[T]) -> None:
        if task.cancelled():
            self._give_up()
        elif (error := task.exception()) is not None:
            self._future.set_exception(error)
        else:
            self._future.set_result(task.result())

    def result(self) -> T:
        """Wait for the call and return its result, or raise its error."""
        try:
            return self._future.result()
        except concurrent.futures.CancelledError:
            raise ClientStateError(f"this {self._owner} was closed during the call") from None

    def cancel(self) -> None:
        """Cancel the call if it has not ended, and wait until it has."""
        if not self._future.done():
            # Callbacks run in the order they were scheduled: `_spawn`, if it was, runs first.
            self._loop.call_soon_threadsafe(self._cancel)
            concurrent.futures.wait([self._future])

    def _cancel(self) -> None:
        if self._task is None:
            self._give_up()  # an interrupt came before `start` scheduled anything
        else:
            self._task.cancel()

    def _give_up(self) -> None:
        self._future.cancel()
        self._future.set_running_or_notify_cancel()  # wakes `concurrent.futures.wait` too


class Runner:
    """An event loop in a thread of its own, which `close` stops.

    `call` runs a coroutine function on the loop and waits for it; async
    context managers entered with `enter` are exited by `close`, newest first,
    before the loop stops, cancelling what still runs on it.
    """

    def __init__(self, owner: str) -> None:
        self._owner = owner
        self._closed = False
        self._stack = ExitStack()
        self._portal = self._stack.enter_context(start_blocking_portal(name=f"{owner} loop"))
        self._loop = self._portal.call(asyncio.get_running_loop)
        self._loop_thread = self._portal.call(threading.get_ident)

    @property
    def closed(self) -> bool:
        """Whether `close` was called."""
        return self._closed

    def enter(self, manager: AbstractAsyncContextManager[T]) -> T:
        """Enter `manager` on the loop; `close` exits it."""
        return self._stack.enter_context(self._portal.wrap_async_context_manager(manager))

    def task(self, func: Callable[[], Awaitable[T]]) -> Running[T]:
        """Prepare `func()` to run as a task on the loop; `Running.start` starts it."""
        if self._closed:
            raise ClientStateError(f"this {self._owner} is closed; create a new one")
        if threading.get_ident() == self._loop_thread:  # it would wait for itself forever
            raise ClientStateError(
                f"a blocking call on the {self._owner}'s own event loop; use the async client there"
            )
        return Running(self._loop, func, self._owner)

    def call(self, func: Callable[[], Awaitable[T]]) -> T:
        """Run `func()` on the loop and return its result; an interrupted wait cancels it."""
        running = self.task(func)
        try:
            running.start()
            return running.result()
        except BaseException:
            running.cancel()
            raise

    def close(self) -> None:
        """Exit what was entered, then stop the loop (cancelling what still runs) and its thread."""
        if self._closed:
            return
        self._closed = True
        self._stack.close()


def step_through(runner: Runner, items: AsyncGenerator[T, None]) -> Generator[T, None, None]:
    """Iterate an async generator from this thread, one item per call into the loop.

    Nothing is fetched ahead beyond what the generator itself fetches ahead;
    closing this generator closes `items` on the loop.
    """
    try:
        while True:
            try:
                item = runner.call(items.__anext__)
            except StopAsyncIteration:
                return
            yield item
    finally:
        if not runner.closed:
            runner.call(items.aclose)


def read_ahead(
    runner: Runner, items: AsyncGenerator[T, None], ahead: int = READ_AHEAD
) -> Generator[T, None, None]:
    """Iterate an async generator from this thread, taking what is ready in one call.

    A task on the loop runs the generator, holding up to `ahead` items the
    caller has not taken yet; each call into the loop takes all it holds. So a
    generator that yields many items at once (a batch of `get_many` results)
    crosses the thread boundary once, not once per item. Closing this
    generator cancels the task, which closes `items`.
    """
    send, receive = anyio.create_memory_object_stream[T](ahead)
    failure: list[Exception] = []

    async def produce() -> None:
        async with send, aclosing(items):
            try:
                async for item in items:
                    try:
                        send.send_nowait(item)
                    except anyio.WouldBlock:
                        await send.send(item)
            except Exception as exc:  # noqa: BLE001  # raised in the caller's thread, in order
                failure.append(exc)

    async def take() -> list[T]:
        taken = [await receive.receive()]
        while len(taken) < ahead:
            try:
                taken.append(receive.receive_nowait())
            except (anyio.WouldBlock, anyio.EndOfStream):  # the next call ends the iteration
                break
        return taken

    producer = runner.task(produce)
    try:
        producer.start()
        while True:
            try:
                taken = runner.call(take)
            except anyio.EndOfStream:
                break
            yield from taken
        if failure:
            raise failure[0]
    finally:
        producer.cancel()
        receive.close()
