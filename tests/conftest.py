"""Shared setup: async tests run on asyncio (aiohttp's only backend); soak tests run when asked."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from modellab_async._core._tasks import TaskHost


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def host() -> AsyncIterator[TaskHost]:
    """The host of background jobs a client would own, for engine tests without a client."""
    tasks = TaskHost()
    await tasks.start()
    yield tasks
    await tasks.aclose()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave `slow` tests out unless a `-m` expression asks for them (`nox -s soak`)."""
    if config.option.markexpr:
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if not item.get_closest_marker("slow")]
