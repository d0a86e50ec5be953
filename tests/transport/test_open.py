"""`await client.open()` and `aclose()`, for code that cannot hold an `async with` block."""

from __future__ import annotations

from typing import assert_type

import pytest

from modellab_async import ClientStateError, ModelLabClient
from modellab_async.testing import FakeModelLab

from .conftest import connect

pytestmark = pytest.mark.anyio


async def test_open_returns_the_client_ready_and_aclose_closes_it(
    plain_fake: FakeModelLab,
) -> None:
    client = assert_type(await connect(plain_fake).open(), ModelLabClient)  # a notebook's cell
    try:
        assert "open" in repr(client)
        run = await client.runs.get(1)  # a later cell
        with pytest.raises(ClientStateError, match="already open"):
            await client.open()
    finally:
        await client.aclose()  # the last cell
    assert run.id == "1"
    assert "closed" in repr(client)
    with pytest.raises(ClientStateError, match="closed"):
        await client.open()
    with pytest.raises(ClientStateError, match="closed"):
        await client.runs.get(1)


async def test_async_with_opens_as_open_does(plain_fake: FakeModelLab) -> None:
    client = connect(plain_fake)
    async with client as entered:
        assert entered is client
        with pytest.raises(ClientStateError, match="already open"):
            await client.open()
        await client.runs.get(1)
    assert "closed" in repr(client)
