"""The server's lifecycle, its record of requests, the standalone module and the fixture."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from modellab_async.testing import FakeModelLab, generate_dataset

from .conftest import API, auth, get_json

pytestmark = pytest.mark.anyio

_REPO = Path(__file__).resolve().parents[2]


async def test_requests_are_recorded_exactly_in_order(
    fake: FakeModelLab, session: aiohttp.ClientSession
) -> None:
    await get_json(session, "/runs", {"filter[status]": "failed"})
    await get_json(session, "/runs/99999")
    async with session.post(f"{API}/runs/1/pin", headers=auth(fake, fake.app_keys[1])):
        pass
    assert [(r.method, r.path, dict(r.query), r.app_key, r.status) for r in fake.requests] == [
        ("GET", f"{API}/runs", {"filter[status]": "failed"}, fake.app_key, 200),
        ("GET", f"{API}/runs/99999", {}, fake.app_key, 404),
        ("POST", f"{API}/runs/1/pin", {}, fake.app_keys[1], 204),
    ]
    fake.requests.clear()
    assert fake.requests == []


async def test_serves_a_given_dataset_and_can_restart() -> None:
    dataset = generate_dataset(runs=10, projects=1, seed=4)
    fake = FakeModelLab(dataset=dataset)
    with pytest.raises(RuntimeError):
        _ = fake.url
    for _ in range(2):
        await fake.start()
        async with aiohttp.ClientSession(base_url=fake.url, headers=auth(fake)) as session:
            _, document = await get_json(session, "/runs/1")
        await fake.close()
        assert document["data"]["attributes"]["name"] == dataset.runs[0].name
    await fake.close()


async def test_app_mounts_in_aiohttp_test_server() -> None:
    fake = FakeModelLab(runs=10, projects=1)
    async with (
        TestServer(fake.app) as server,
        aiohttp.ClientSession(headers=auth(fake)) as session,
        session.get(server.make_url(f"{API}/projects")) as response,
    ):
        assert response.status == 200
        await response.read()


async def test_pytest_fixture_serves_a_small_fake(modellab_fake: FakeModelLab) -> None:
    async with aiohttp.ClientSession(
        base_url=modellab_fake.url, headers=auth(modellab_fake)
    ) as session:
        status, document = await get_json(session, "/runs", {"page[size]": "1"})
    assert status == 200
    assert document["meta"]["page"]["total"] > 0


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
def test_standalone_module_serves_until_interrupted() -> None:
    environment = {**os.environ, "PYTHONPATH": str(_REPO)}
    command = [sys.executable, "-m", "modellab_async.testing", "--port", "0", "--runs", "50"]
    with subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            banner = process.stdout.readline()
            assert "http://127.0.0.1:" in banner
            assert process.stdout.readline() == "DD_API_KEY=fake-api-key\n"
            process.send_signal(signal.SIGINT)
            _, errors = process.communicate(timeout=20)
        finally:
            process.kill()
    assert process.returncode == 0
    assert "Traceback" not in errors
