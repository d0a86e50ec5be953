"""The pytest plugin: a `modellab_fake` fixture serving a small seeded fake.

It is registered through the `pytest11` entry point, so it loads in every
pytest session where the package is installed; aiohttp is imported only when
a test asks for the fixture.

The fake runs on the event loop of the test that asks for it, whichever
plugin runs that test: anyio's (`@pytest.mark.anyio`) or pytest-asyncio's
(`@pytest.mark.asyncio`, or any async test in its auto mode). The
`modellab_fake` marker passes keyword arguments to `FakeModelLab`::

    @pytest.mark.modellab_fake(runs=50, seed=3, page_base=1, faults=[Fault(ServerError())])
    async def test_errors(modellab_fake: FakeModelLab) -> None: ...
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from modellab_async.testing import FakeModelLab

#: What the fixture serves unless a `modellab_fake` marker says otherwise.
DEFAULT_OPTIONS: dict[str, Any] = {"runs": 200, "projects": 4, "seed": 0}

try:
    # Imported by name, so the plugin neither needs pytest-asyncio nor its types.
    _pytest_asyncio: Any = importlib.import_module("pytest_asyncio")
except ImportError:
    _pytest_asyncio = None


def pytest_configure(config: pytest.Config) -> None:
    """Declare the `modellab_fake` marker (so --strict-markers accepts it)."""
    config.addinivalue_line(
        "markers",
        "modellab_fake(**options): FakeModelLab keyword arguments for the modellab_fake fixture "
        "(runs, projects, seed, page_base, rate_limit, faults, ...)",
    )


@pytest.fixture
def modellab_fake(request: pytest.FixtureRequest) -> FakeModelLab:
    """Yield a started `FakeModelLab`: 200 runs in 4 projects (seed 0) unless a marker says.

    Ask for it from an async test run by anyio's pytest plugin (mark it
    `@pytest.mark.anyio` and define an `anyio_backend` fixture returning
    "asyncio") or by pytest-asyncio (mark it `@pytest.mark.asyncio`, or set
    `asyncio_mode = auto`). Choose the fake with the `modellab_fake` marker,
    whose keyword arguments go to `FakeModelLab`; a list of faults there makes
    a fresh plan for each test::

        @pytest.mark.modellab_fake(runs=20, page_base=1, rate_limit=RateLimit(5, 1.0))
        @pytest.mark.asyncio
        async def test_paging(modellab_fake: FakeModelLab) -> None: ...
    """
    if "anyio_backend" in request.fixturenames:
        name = "_modellab_fake_on_anyio"
    elif _pytest_asyncio is not None and _pytest_asyncio.is_async_test(request.node):
        name = "_modellab_fake_on_asyncio"
    else:
        pytest.fail(
            "modellab_fake serves on the event loop of an async test: mark the test with "
            "@pytest.mark.anyio (anyio's plugin) or @pytest.mark.asyncio (pytest-asyncio)",
            pytrace=False,
        )
    fake: FakeModelLab = request.getfixturevalue(name)
    return fake


@asynccontextmanager
async def _started_fake(request: pytest.FixtureRequest) -> AsyncIterator[FakeModelLab]:
    from modellab_async.testing import FakeModelLab  # noqa: PLC0415 (keeps plugin import light)

    marker = request.node.get_closest_marker("modellab_fake")
    options = {**DEFAULT_OPTIONS, **(marker.kwargs if marker is not None else {})}
    async with FakeModelLab(**options) as fake:
        yield fake


# One fixture per plugin: pytest-asyncio claims every function its decorator marked,
# whichever plugin runs the test, so anyio's must be another function.


@pytest.fixture(name="_modellab_fake_on_anyio")
async def on_anyio(request: pytest.FixtureRequest) -> AsyncIterator[FakeModelLab]:
    """Yield the fake for a test that anyio's plugin runs."""
    async with _started_fake(request) as fake:
        yield fake


async def _on_pytest_asyncio(request: pytest.FixtureRequest) -> AsyncIterator[FakeModelLab]:
    async with _started_fake(request) as fake:
        yield fake


if _pytest_asyncio is not None:
    on_pytest_asyncio = _pytest_asyncio.fixture(
        _on_pytest_asyncio, name="_modellab_fake_on_asyncio"
    )
