"""Fixtures for the command line: servers on their own thread, and ways to run `modellab`.

Servers run on a background event loop so that the CLI, which starts its own
loop with `asyncio.run`, can run in the test's thread (click's runner) or in
a subprocess, exactly as a user runs it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Future
from contextlib import AbstractAsyncContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner, Result

from modellab_async.cli._app import app
from modellab_async.testing import FakeModelLab, Fault, FaultPlan, Latency

STARTUP_TIMEOUT = 30

T = TypeVar("T")


#: How to run a coroutine on the loop of each server `threaded` serves, by the server's id.
_LOOPS: dict[int, Callable[[Any], Any]] = {}


@contextmanager
def threaded(server: AbstractAsyncContextManager[T]) -> Iterator[T]:
    """Enter an async context manager (a server) on an event loop on a background thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="test-server", daemon=True)
    thread.start()

    def call(coroutine: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, loop)
        return future.result(timeout=STARTUP_TIMEOUT)

    entered: T = call(server.__aenter__())
    _LOOPS[id(entered)] = call
    try:
        yield entered
    finally:
        del _LOOPS[id(entered)]
        call(server.__aexit__(None, None, None))
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=STARTUP_TIMEOUT)
        loop.close()


def on_its_loop(server: object, coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` on the loop of a server `threaded` serves (to change a fake's data)."""
    result: T = _LOOPS[id(server)](coroutine)
    return result


@contextmanager
def threaded_fake(**options: Any) -> Iterator[FakeModelLab]:
    """Serve a `FakeModelLab(**options)` from an event loop on a background thread."""
    with threaded(FakeModelLab(**options)) as fake:
        yield fake


@dataclass(kw_only=True)
class Modellab:
    """Run `modellab` against one server: in-process (click's runner) or as a process."""

    url: str
    api_key: str = "fake-api-key"
    app_key: str = "fake-app-key"

    @property
    def env(self) -> dict[str, str]:
        return {"DD_API_KEY": self.api_key, "DD_APP_KEY": self.app_key}

    def run(self, *args: str, env: dict[str, str] | None = None, input: str = "") -> Result:
        """Run the command line as given in this process; stdout and stderr are kept apart."""
        return CliRunner().invoke(app, list(args), env={**self.env, **(env or {})}, input=input)

    def invoke(self, *args: str, env: dict[str, str] | None = None, input: str = "") -> Result:
        """Run the command line against this server (`--base-url` first) in this process."""
        return self.run("--base-url", self.url, *args, env=env, input=input)

    def command(self, *args: str) -> list[str]:
        """Return the argv of `python -m modellab_async` against the server."""
        return [sys.executable, "-m", "modellab_async", "--base-url", self.url, *args]

    def process_env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, **self.env, **extra}

    def popen(self, *args: str, **options: Any) -> subprocess.Popen[bytes]:
        """Start `modellab` as a subprocess, as a user would."""
        return subprocess.Popen(self.command(*args), env=self.process_env(), **options)


@dataclass(kw_only=True)
class FakeModellab(Modellab):
    """`modellab` against a `FakeModelLab`, whose requests and dataset a test may inspect."""

    fake: FakeModelLab

    @classmethod
    def serving(cls, fake: FakeModelLab) -> FakeModellab:
        return cls(url=fake.url, api_key=fake.api_key, app_key=fake.app_key, fake=fake)


@pytest.fixture(scope="module")
def modellab() -> Iterator[FakeModellab]:
    """`modellab` against a fake with 600 runs in 3 projects (seed 0)."""
    with threaded_fake(runs=600, projects=3, seed=0) as fake:
        yield FakeModellab.serving(fake)


@pytest.fixture
def slow_modellab() -> Iterator[FakeModellab]:
    """`modellab` against a fake that takes 0.1 s to answer each page of runs."""
    faults = FaultPlan([Fault(Latency(0.1), route="list_runs")])
    with threaded_fake(runs=1000, projects=2, seed=0, faults=faults) as fake:
        yield FakeModellab.serving(fake)
