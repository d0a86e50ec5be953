"""Fixtures for tests over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from modellab_async import ModelLabClient
from tests.scripted import ScriptedServer

API_KEY = "test-api-key-0123456789"
APP_KEY = "test-app-key-9876543210"


@pytest.fixture
async def scripted() -> AsyncIterator[ScriptedServer]:
    async with ScriptedServer() as server:
        yield server


@pytest.fixture
async def client(scripted: ScriptedServer) -> AsyncIterator[ModelLabClient]:
    """A client of the scripted server that does not retry: these tests look at single tries."""
    async with ModelLabClient(API_KEY, APP_KEY, base_url=scripted.url, retries=0) as client:
        yield client
