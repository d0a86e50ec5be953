"""`Paginator.to_jsonl`: every item in the file once, whatever stopped the export before."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest

from modellab_async import ModelLabClient, ServerError
from modellab_async.testing import FakeModelLab, Fault, FaultPlan
from modellab_async.testing import ServerError as Answer500

pytestmark = pytest.mark.anyio


@pytest.fixture
async def fake() -> AsyncIterator[FakeModelLab]:
    async with FakeModelLab(runs=500, projects=2, seed=3) as server:
        yield server


def connect(fake: FakeModelLab) -> ModelLabClient:
    return ModelLabClient(base_url=fake.url, api_key=fake.api_key, app_key=fake.app_key, retries=0)


def ids_in(path: Path) -> list[str]:
    return [msgspec.json.decode(line)["id"] for line in path.read_bytes().splitlines()]


async def test_an_export_writes_every_item_once_and_removes_its_state(
    fake: FakeModelLab, tmp_path: Path
) -> None:
    out, state = tmp_path / "runs.jsonl", tmp_path / "runs.state"
    async with connect(fake) as client:
        expected = [run.id for run in await client.runs.list(sort="created_at").collect()]
        written = await client.runs.list(sort="created_at", page_size=40).to_jsonl(out, state=state)
    assert written == len(expected)
    assert ids_in(out) == expected
    assert not state.exists()


async def test_an_export_stopped_by_an_error_resumes_without_repeating(
    fake: FakeModelLab, tmp_path: Path
) -> None:
    out, state = tmp_path / "runs.jsonl", tmp_path / "runs.state"
    async with connect(fake) as client:
        expected = [run.id for run in await client.runs.list(sort="created_at").collect()]
        fake.faults = FaultPlan([Fault(Answer500(503), route="list_runs", skip=4, times=1)])
        listing = client.runs.list(sort="created_at", page_size=40, concurrency=1)
        with pytest.raises(ServerError):
            await listing.to_jsonl(out, state=state)
        assert state.exists()
        assert len(ids_in(out)) == 4 * 40
        # A page written after the last state, as a kill between the two would leave it.
        with out.open("ab") as file:
            file.write(b'{"id": "a page the state does not know of"}\n')
        assert await listing.to_jsonl(out, state=state) == len(expected) - 4 * 40
    assert ids_in(out) == expected
    assert not state.exists()


async def test_a_state_that_does_not_fit_the_file_is_refused(
    fake: FakeModelLab, tmp_path: Path
) -> None:
    out, state = tmp_path / "runs.jsonl", tmp_path / "runs.state"
    async with connect(fake) as client:
        listing = client.runs.list(page_size=40)
        state.write_bytes(b"not json")
        with pytest.raises(ValueError, match="not the state of an export"):
            await listing.to_jsonl(out, state=state)
        checkpoint = listing.checkpoint.to_json().decode()
        state.write_text(f'{{"checkpoint": {checkpoint}, "size": 100}}')
        out.write_bytes(b"short")
        with pytest.raises(ValueError, match="changed since"):
            await listing.to_jsonl(out, state=state)
        other = client.runs.list(page_size=50).checkpoint.to_json().decode()
        state.write_text(f'{{"checkpoint": {other}, "size": 0}}')
        with pytest.raises(ValueError, match="different listing"):
            await listing.to_jsonl(out, state=state)
