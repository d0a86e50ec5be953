"""Fixtures for the fake's own tests: a small seeded fake and raw aiohttp sessions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import msgspec
import pytest

from modellab_async.testing import FakeModelLab

# The plugin's fixtures, also when the package is not installed (its entry point then is absent).
from modellab_async.testing._pytest_plugin import modellab_fake, on_anyio  # noqa: F401

API = "/api/v2/model-lab-api"
RUNS = 300
PROJECTS = 4
SEED = 3


def auth(fake: FakeModelLab, app_key: str | None = None) -> dict[str, str]:
    return {"DD-API-KEY": fake.api_key, "DD-APPLICATION-KEY": app_key or fake.app_key}


async def get_json(
    session: aiohttp.ClientSession,
    path: str,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, Any]:
    async with session.get(API + path, params=params, headers=headers) as response:
        return response.status, msgspec.json.decode(await response.read())


@pytest.fixture
async def fake() -> AsyncIterator[FakeModelLab]:
    async with FakeModelLab(runs=RUNS, projects=PROJECTS, seed=SEED) as fake:
        yield fake


@pytest.fixture
async def session(fake: FakeModelLab) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=fake.url, headers=auth(fake)) as session:
        yield session
