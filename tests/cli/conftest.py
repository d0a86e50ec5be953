"""Fixtures for the command line: a fake server on its own thread, and ways to run `modellab`.

The fake runs on a background event loop so that the CLI, which starts its own
loop with `asyncio.run`, can run in the test's thread (click's runner) or in
a subprocess, exactly as a user runs it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from click.testing import CliRunner, Result

from modellab_async.cli._app import app
from modellab_async.testing import FakeModelLab, Fault, FaultPlan, Latency

STARTUP_TIMEOUT = 30


@contextmanager
def threaded_fake(**options: Any) -> Iterator[FakeModelLab]:
    """Serve a `FakeModelLab(**options)` from an event loop on a background thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake-model-lab", daemon=True)
    thread.start()

    def call(coroutine: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, loop)
        return future.result(timeout=STARTUP_TIMEOUT)

    async def start() -> FakeModelLab:
        fake = FakeModelLab(**options)
        await fake.start()
        return fake

    fake: FakeModelLab = call(start())
    try:
        yield fake
    finally:
        call(fake.close())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=STARTUP_TIMEOUT)
        loop.close()


@dataclass
class Modellab:
    """Run `modellab` against one fake server: in-process (click's runner) or as a process."""

    fake: FakeModelLab

    @property
    def env(self) -> dict[str, str]:
        return {"DD_API_KEY": self.fake.api_key, "DD_APP_KEY": self.fake.app_key}

    def invoke(self, *args: str, env: dict[str, str] | None = None, input: str = "") -> Result:
        """Run the command line in this process; stdout and stderr are kept apart."""
        arguments = ["--base-url", self.fake.url, *args]
        environment = {**self.env, **(env or {})}
        return CliRunner().invoke(app, arguments, env=environment, input=input)

    def command(self, *args: str) -> list[str]:
        """Return the argv of `python -m modellab_async` against the fake."""
        return [sys.executable, "-m", "modellab_async", "--base-url", self.fake.url, *args]

    def process_env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, **self.env, **extra}

    def popen(self, *args: str, **options: Any) -> subprocess.Popen[bytes]:
        """Start `modellab` as a subprocess, as a user would."""
        return subprocess.Popen(self.command(*args), env=self.process_env(), **options)


@pytest.fixture(scope="module")
def modellab() -> Iterator[Modellab]:
    """`modellab` against a fake with 600 runs in 3 projects (seed 0)."""
    with threaded_fake(runs=600, projects=3, seed=0) as fake:
        yield Modellab(fake)


@pytest.fixture
def slow_modellab() -> Iterator[Modellab]:
    """`modellab` against a fake that takes 0.1 s to answer each page of runs."""
    faults = FaultPlan([Fault(Latency(0.1), route="list_runs")])
    with threaded_fake(runs=1000, projects=2, seed=0, faults=faults) as fake:
        yield Modellab(fake)
