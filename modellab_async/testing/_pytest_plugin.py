"""The pytest plugin: a `modellab_fake` fixture serving a small seeded fake.

It is registered through the `pytest11` entry point, so it loads in every
pytest session where the package is installed; aiohttp is imported only when
a test asks for the fixture.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from modellab_async.testing import FakeModelLab


@pytest.fixture
async def modellab_fake() -> AsyncIterator[FakeModelLab]:
    """Yield a started `FakeModelLab` with 200 runs in 4 projects (seed 0).

    The fixture is asynchronous: run the test with anyio's pytest plugin
    (`@pytest.mark.anyio`, with an `anyio_backend` fixture returning "asyncio").
    """
    from modellab_async.testing import FakeModelLab  # noqa: PLC0415 (keeps plugin import light)

    async with FakeModelLab(runs=200, projects=4, seed=0) as fake:
        yield fake
