"""Fixtures for the blocking clients: servers on an event loop in a thread of their own.

A blocking client blocks the test's thread, so the servers it talks to run elsewhere.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal

from modellab_async import BlockingModelLabClient, RetryPolicy
from modellab_async.testing import FakeModelLab
from tests.reference import server_order
from tests.scripted import ScriptedServer

RUNS = 250
QUICK = RetryPolicy(retries=3, backoff=0.01, max_backoff=0.05)


def our_threads() -> list[threading.Thread]:
    """The threads blocking clients started and have not stopped."""
    return [thread for thread in threading.enumerate() if thread.name.startswith("Blocking")]


def eventually(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Wait until `condition()` holds, for at most `seconds`; return whether it did."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


@pytest.fixture(autouse=True)
def no_thread_left_behind() -> Iterator[None]:
    yield
    assert not our_threads()


@pytest.fixture
def server_loop() -> Iterator[BlockingPortal]:
    with start_blocking_portal() as portal:
        yield portal


@pytest.fixture
def fake(server_loop: BlockingPortal) -> Iterator[FakeModelLab]:
    with server_loop.wrap_async_context_manager(
        FakeModelLab(runs=RUNS, projects=3, seed=5)
    ) as fake:
        yield fake


@pytest.fixture
def listed(fake: FakeModelLab, server_loop: BlockingPortal) -> list[str]:
    """The fake's run ids in the order it lists them, read with plain aiohttp."""
    return server_loop.call(server_order, fake)


@pytest.fixture
def scripted(server_loop: BlockingPortal) -> Iterator[ScriptedServer]:
    with server_loop.wrap_async_context_manager(ScriptedServer()) as server:
        yield server


@pytest.fixture
def client(fake: FakeModelLab) -> Iterator[BlockingModelLabClient]:
    with BlockingModelLabClient(
        fake.api_key, fake.app_key, base_url=fake.url, retries=QUICK
    ) as client:
        yield client
