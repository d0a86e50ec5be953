"""Stopping a blocking loop early cancels what was fetched ahead; closing leaves nothing behind."""

from __future__ import annotations

import asyncio
import gc
import signal
import threading
import traceback
from collections.abc import Callable
from contextlib import closing

import pytest
from aiohttp import web
from anyio.from_thread import BlockingPortal

from modellab_async import BlockingModelLabClient, ClientStateError
from tests.blocking.conftest import eventually, our_threads
from tests.scripted import Listing, ScriptedServer, json_response, run_resource


def dropped(requests: list[web.Request]) -> bool:
    """Whether the client has closed the connection of every one of `requests`."""
    return all(r.transport is None or r.transport.is_closing() for r in requests)


class Hold:
    """Answer some requests and hold the others, keeping every request to look at its connection.

    `is_held(request)` picks the requests to hold; `all_held` is set once `count` are held.
    """

    def __init__(
        self,
        scripted: ScriptedServer,
        server_loop: BlockingPortal,
        count: int,
        is_held: Callable[[web.Request], bool],
        answer: Callable[[web.Request], web.Response],
    ) -> None:
        self.all_held = threading.Event()
        self._loop = server_loop
        self._count = count
        self._is_held = is_held
        self._answer = answer
        self._held: list[web.Request] = []
        self._seen: list[web.Request] = []
        scripted.handler = self.handle

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self._seen.append(request)
        if self._is_held(request):
            self._held.append(request)
            if len(self._held) == self._count:
                self.all_held.set()
            await asyncio.sleep(30)
        return self._answer(request)

    def _dropped(self, requests: list[web.Request]) -> bool:
        return self._loop.call(dropped, requests)

    def cancelled(self) -> bool:
        """Whether the client has dropped the connection of every request held."""
        return self._dropped(self._held)

    def disconnected(self) -> bool:
        """Whether the client has closed every connection it opened."""
        return self._dropped(self._seen)


def hold_later_pages(scripted: ScriptedServer, server_loop: BlockingPortal, count: int) -> Hold:
    """Answer the first page of a 1,000-run listing and hold every later page."""
    listing = Listing(1000)
    return Hold(
        scripted,
        server_loop,
        count,
        lambda request: request.query.get("page[number]", "0") != "0",
        lambda request: json_response(listing.page(request)),
    )


def connect(scripted: ScriptedServer) -> BlockingModelLabClient:
    return BlockingModelLabClient("api-key", "app-key", base_url=scripted.url, retries=0)


def stop_by_breaking(client: BlockingModelLabClient, hold: Hold) -> None:
    for _run in client.runs.list(page_size=10, concurrency=4):
        assert hold.all_held.wait(5)
        break


def stop_by_closing(client: BlockingModelLabClient, hold: Hold) -> None:
    runs = iter(client.runs.list(page_size=10, concurrency=4))
    next(runs)
    assert hold.all_held.wait(5)
    runs.close()


def stop_by_leaving_with(client: BlockingModelLabClient, hold: Hold) -> None:
    with closing(iter(client.runs.list(page_size=10, concurrency=4))) as runs:
        next(runs)
        assert hold.all_held.wait(5)


def stop_by_dropping(client: BlockingModelLabClient, hold: Hold) -> None:
    runs = iter(client.runs.list(page_size=10, concurrency=4))
    next(runs)
    assert hold.all_held.wait(5)
    del runs
    gc.collect()


@pytest.mark.parametrize(
    "stop", [stop_by_breaking, stop_by_closing, stop_by_leaving_with, stop_by_dropping]
)
def test_stopping_a_listing_early_cancels_the_pages_fetched_ahead(
    scripted: ScriptedServer,
    server_loop: BlockingPortal,
    stop: Callable[[BlockingModelLabClient, Hold], None],
) -> None:
    hold = hold_later_pages(scripted, server_loop, count=4)
    with connect(scripted) as client:
        stop(client, hold)
        assert eventually(hold.cancelled, 1.0)  # while the client is still open
    assert hold.disconnected()
    assert not our_threads()


def test_stopping_get_many_early_cancels_its_batches(
    scripted: ScriptedServer, server_loop: BlockingPortal
) -> None:
    def batch(request: web.Request) -> web.Response:
        ids = request.query["filter[id]"].split(",")
        page = {"number": 0, "size": len(ids), "total": len(ids)}
        return json_response({"data": [run_resource(int(i)) for i in ids], "meta": {"page": page}})

    hold = Hold(
        scripted,
        server_loop,
        3,
        lambda request: not request.query["filter[id]"].startswith("1,"),
        batch,
    )
    with connect(scripted) as client:
        for result in client.runs.get_many(range(1, 201), concurrency=4, batch_size=10):
            assert result.unwrap().id == "1"
            assert hold.all_held.wait(5)
            break
        assert eventually(hold.cancelled, 1.0)
    assert hold.disconnected()


def test_stopping_a_stream_early_closes_its_response(
    scripted: ScriptedServer, server_loop: BlockingPortal
) -> None:
    seen: list[web.Request] = []

    async def endless(request: web.Request) -> web.StreamResponse:
        seen.append(request)
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(300):  # bounded: about 30 s
            await response.write(b"x" * 65536)
            await asyncio.sleep(0.1)
        return response

    scripted.handler = endless
    with connect(scripted) as client:
        for chunk in client.artifacts.stream(1, "big.bin"):
            assert chunk
            break
        assert eventually(lambda: server_loop.call(dropped, seen), 1.0)


def test_keyboard_interrupt_in_the_loop_body_cancels_and_leaves_nothing(
    scripted: ScriptedServer, server_loop: BlockingPortal
) -> None:
    hold = hold_later_pages(scripted, server_loop, count=4)
    with connect(scripted) as client:
        with pytest.raises(KeyboardInterrupt):  # noqa: PT012
            for _run in client.runs.list(page_size=10, concurrency=4):
                assert hold.all_held.wait(5)
                raise KeyboardInterrupt
        assert eventually(hold.cancelled, 1.0)
    assert hold.disconnected()
    assert not our_threads()


@pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(),
    reason="signals reach the main thread only",
)
def test_ctrl_c_while_waiting_for_a_page_cancels_it_and_leaves_nothing(
    scripted: ScriptedServer, server_loop: BlockingPortal
) -> None:
    hold = hold_later_pages(scripted, server_loop, count=1)
    main = threading.main_thread().ident
    assert main is not None

    def press_ctrl_c() -> None:
        if hold.all_held.wait(5):
            signal.pthread_kill(main, signal.SIGINT)

    presser = threading.Thread(target=press_ctrl_c)
    with connect(scripted) as client:
        presser.start()
        with pytest.raises(KeyboardInterrupt) as caught:
            for _run in client.runs.list(page_size=10):
                pass
        presser.join(5)
        # It came while the thread waited for the next page, not while it looped.
        assert "result" in [frame.name for frame in traceback.extract_tb(caught.tb)]
        assert eventually(hold.cancelled, 1.0)
    assert hold.disconnected()
    assert not our_threads()


def test_closing_the_client_ends_a_wait_in_another_thread(
    scripted: ScriptedServer, server_loop: BlockingPortal
) -> None:
    hold = hold_later_pages(scripted, server_loop, count=1)
    errors: list[Exception] = []
    client = connect(scripted)

    def read() -> None:
        try:
            list(client.runs.list(page_size=10))
        except ClientStateError as exc:
            errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    assert hold.all_held.wait(5)
    client.close()
    reader.join(5)
    assert not reader.is_alive()
    assert [type(error) for error in errors] == [ClientStateError]
    assert hold.disconnected()
    assert not our_threads()
