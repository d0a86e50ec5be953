"""Blocking methods derived from async ones, so no endpoint is written twice.

A blocking resource declares one line per endpoint, naming the async method it
mirrors: `get = blocking(Runs.get)` waits for the coroutine, `get_many =
iterated(Runs.get_many)` turns the async generator into a generator, `list =
wrapped(Runs.list, BlockingPaginator)` wraps what the method returns. Each
keeps the async method's parameters, types and docstring.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from contextlib import closing
from functools import partial, wraps
from types import TracebackType
from typing import Any, Concatenate, Generic, ParamSpec, Self, TypeVar

from yarl import URL

from .._core._client import BaseClient
from .._core._hooks import ListingProgress
from .._core._throttle import ClientStats
from .._engine._checkpoint import Checkpoint, ListingStats
from .._engine._listing import Listing
from .._engine._pages import ItemsPage
from .._engine._paginator import BasePaginator
from ..errors import ModelLabError
from ._runner import Runner, read_ahead, step_through

__all__ = [
    "BlockingBasePaginator",
    "BlockingClient",
    "BlockingResource",
    "blocking",
    "iterated",
    "same_arguments",
    "wrapped",
]

P = ParamSpec("P")
T = TypeVar("T")
R = TypeVar("R")
ResourceT = TypeVar("ResourceT")
#: A blocking twin of a resource stands in for a twin of any of the resource's bases,
#: so that a method a resource inherits derives its blocking twin as its own do.
ResourceT_co = TypeVar("ResourceT_co", covariant=True)
ClientT = TypeVar("ClientT", bound=BaseClient)
PageT = TypeVar("PageT", bound=ItemsPage[Any])
ItemT = TypeVar("ItemT")


class BlockingResource(Generic[ResourceT_co]):
    """The blocking twin of an async resource: its methods run on the client's loop."""

    def __init__(self, resource: ResourceT_co, runner: Runner) -> None:
        self._resource = resource
        self._runner = runner


BlockingMethod = Callable[Concatenate[BlockingResource[ResourceT], P], R]


def blocking(
    method: Callable[Concatenate[ResourceT, P], Awaitable[R]],
) -> BlockingMethod[ResourceT, P, R]:
    """Derive a blocking method from an async one: it waits for the coroutine's result."""

    @wraps(method)
    def call(self: BlockingResource[ResourceT], /, *args: P.args, **kwargs: P.kwargs) -> R:
        return self._runner.call(partial(method, self._resource, *args, **kwargs))

    return call


def wrapped(
    method: Callable[Concatenate[ResourceT, P], T], wrap: Callable[[Runner, T], R]
) -> BlockingMethod[ResourceT, P, R]:
    """Derive a blocking method from a plain one whose result `wrap` makes blocking."""

    @wraps(method)
    def call(self: BlockingResource[ResourceT], /, *args: P.args, **kwargs: P.kwargs) -> R:
        return wrap(self._runner, method(self._resource, *args, **kwargs))

    return call


def iterated(
    method: Callable[Concatenate[ResourceT, P], AsyncGenerator[T, None]],
) -> BlockingMethod[ResourceT, P, Generator[T, None, None]]:
    """Derive a generator from a method returning an async generator.

    The arguments are checked at the call, as the async method checks them;
    closing the generator (breaking out of the loop drops it) cancels what was
    fetched ahead.
    """
    return wrapped(method, read_ahead)


def same_arguments(
    init: Callable[Concatenate[Any, P], None],
) -> Callable[[Callable[..., None]], Callable[Concatenate[Any, P], None]]:
    """Give the decorated `__init__` the parameters of `init`, for type checkers and `help`."""

    def decorate(method: Callable[..., None]) -> Callable[Concatenate[Any, P], None]:
        return wraps(init, assigned=())(method)

    return decorate


class BlockingClient(Generic[ClientT]):
    """An async client driven from synchronous code, on an event loop in a thread of its own.

    The client is open once created; `close()` (or leaving a `with` block)
    closes it and stops its thread.
    """

    def __init__(self, client: ClientT) -> None:
        self._client = client
        self._runner = Runner(type(self).__name__)
        try:
            self._runner.enter(client)
        except BaseException:
            self._runner.close()
            raise

    @property
    def stats(self) -> ClientStats:
        """Counters of requests, retries, 429s and time spent throttled."""
        return self._client.stats

    @property
    def base_url(self) -> URL:
        """The origin every request goes to; no other host ever receives the credentials."""
        return self._client.base_url

    def __repr__(self) -> str:
        state = "closed" if self._runner.closed else "open"
        return f"<{type(self).__name__} base_url={str(self.base_url)!r} {state}>"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the client: cancel its background work, close its connections, stop its thread."""
        self._runner.close()


class BlockingBasePaginator(Generic[PageT, ItemT]):
    """A listing iterated from synchronous code: `for` gives items, `.pages()` gives pages.

    The blocking twin of `BasePaginator`, with the same prefetch, fan-out,
    checkpoint and stats. Pages cross from the client's loop to the calling
    thread whole, and their items are handed out in the calling thread.
    Breaking out of the loop cancels what was fetched ahead; wrap the iterator
    in `contextlib.closing` to make that explicit.
    """

    def __init__(self, runner: Runner, paginator: BasePaginator[PageT, ItemT]) -> None:
        self._runner = runner
        self._paginator = paginator

    @property
    def listing(self) -> Listing[PageT, ItemT]:
        """What this paginator walks: request, decoder, page scheme and options."""
        return self._paginator.listing

    @property
    def checkpoint(self) -> Checkpoint:
        """Where the latest iteration stands: pass it as `resume=` to carry on from there."""
        return self._paginator.checkpoint

    @property
    def stats(self) -> ListingStats:
        """What the latest iteration saw: pages, items, duplicates skipped, drift."""
        return self._paginator.stats

    def pages(self) -> Generator[PageT, None, None]:
        """Yield the listing's pages in order, holding only the items the caller gets."""
        return step_through(self._runner, self._paginator.pages())

    def __iter__(self) -> Generator[ItemT, None, None]:
        walk = self._paginator._walk()
        try:
            with closing(step_through(self._runner, walk.slices())) as pieces:
                for piece in pieces:
                    walk.enter(piece)
                    for item in piece.items:
                        walk.handed_over += 1
                        yield item
        except ModelLabError as exc:
            exc.checkpoint = walk.checkpoint()
            raise

    def collect(self) -> list[ItemT]:
        """Fetch the whole listing (up to `limit`) into a list."""
        return self._runner.call(self._paginator.collect)

    def resumed(self, checkpoint: Checkpoint) -> Self:
        """Return the same listing, resuming from `checkpoint`; see `BasePaginator.resumed`."""
        return type(self)(self._runner, self._paginator.resumed(checkpoint))

    def with_progress(self, callback: Callable[[ListingProgress], object] | None) -> Self:
        """Return the same listing, telling `callback` how far each iteration has got.

        See `BasePaginator.with_progress`; the callback runs on the client's own thread.
        """
        return type(self)(self._runner, self._paginator.with_progress(callback))

    def to_jsonl(self, path: str | os.PathLike[str], *, state: str | os.PathLike[str]) -> int:
        """Write the listing to `path` as JSON lines, exactly once per item; see `BasePaginator`."""
        return self._runner.call(partial(self._paginator.to_jsonl, path, state=state))
