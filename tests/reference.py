"""What the fake server holds, read independently of the client under test."""

from __future__ import annotations

import aiohttp
import msgspec

from modellab_async.testing import FakeModelLab
from tests.scripted import API


async def server_order(fake: FakeModelLab, **params: str) -> list[str]:
    """Every matching run id in the server's order, read with plain aiohttp."""
    ids: list[str] = []
    headers = {"DD-API-KEY": fake.api_key, "DD-APPLICATION-KEY": fake.app_key}
    async with aiohttp.ClientSession(fake.url, headers=headers) as session:
        for number in range(10_000):
            query = {**params, "page[size]": "100", "page[number]": str(number)}
            async with session.get(f"{API}/runs", params=query) as response:
                data = msgspec.json.decode(await response.read())["data"]
            if not data:
                return ids
            ids += [run["id"] for run in data]
    raise AssertionError("the reference walk did not end")
