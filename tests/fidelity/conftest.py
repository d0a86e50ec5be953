"""Run a FakeModelLab on its own event loop in a thread, for synchronous tools."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from modellab_async.testing import FakeModelLab

_STEP_TIMEOUT = 30.0


class ThreadedFake:
    """A started fake whose event loop runs in a daemon thread."""

    def __init__(self, fake: FakeModelLab) -> None:
        self.fake = fake
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> FakeModelLab:
        self._thread.start()
        self.call(self.fake.start)
        return self.fake

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.call(self.fake.close)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(_STEP_TIMEOUT)
            self._loop.close()

    def call(self, coroutine_function: Callable[[], Any]) -> Any:
        future = asyncio.run_coroutine_threadsafe(coroutine_function(), self._loop)
        return future.result(_STEP_TIMEOUT)


@pytest.fixture(scope="module")
def threaded_fake(request: pytest.FixtureRequest) -> Iterator[FakeModelLab]:
    """Serve a fake for the module, configured by the module's FAKE_OPTIONS dict if any."""
    options: dict[str, Any] = {"runs": 400, "projects": 4, "seed": 5}
    options.update(getattr(request.module, "FAKE_OPTIONS", {}))
    with ThreadedFake(FakeModelLab(**options)) as fake:
        yield fake
