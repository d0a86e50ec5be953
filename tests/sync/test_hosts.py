"""The keys go to the configured host only, whatever host a page's links name."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio.to_thread
import dlt
import pytest
from dlt.sources.rest_api import rest_api_source

from modellab_async.testing import FakeModelLab

from .conftest import copy_of, served_by, sync

pytestmark = pytest.mark.anyio


@pytest.fixture
async def elsewhere() -> AsyncIterator[FakeModelLab]:
    """Another server, which a page's links send clients to; it records who came."""
    async with FakeModelLab(runs=340, projects=4, seed=5) as server:
        yield server


@pytest.fixture
async def misleading(elsewhere: FakeModelLab) -> AsyncIterator[FakeModelLab]:
    """The service, whose pagination links name the other server (as behind a proxy)."""
    async with FakeModelLab(runs=340, projects=4, seed=5, link_host=elsewhere.url) as server:
        yield server


async def test_the_source_never_follows_links_to_another_host(
    misleading: FakeModelLab, elsewhere: FakeModelLab, database: Path
) -> None:
    await sync(misleading, database)
    await sync(misleading, database, full_refresh=True, reconcile=True)
    assert elsewhere.requests == []
    assert copy_of(database) == served_by(misleading)


async def test_the_generic_rest_api_source_follows_them_keys_and_all(
    misleading: FakeModelLab, elsewhere: FakeModelLab, tmp_path: Path
) -> None:
    # The hazard the test above guards against, shown by dlt's generic source
    # configured to follow `links.next`, as its paginator detection would.
    config: Any = {
        "client": {
            "base_url": f"{misleading.url}/api/v2/model-lab-api/",
            "headers": {
                "DD-API-KEY": misleading.api_key,
                "DD-APPLICATION-KEY": misleading.app_key,
            },
            "paginator": {"type": "json_link", "next_url_path": "links.next"},
        },
        "resources": [
            {"name": "runs", "endpoint": {"path": "runs", "data_selector": "data"}},
        ],
    }

    def run() -> None:
        pipeline = dlt.pipeline(
            "generic",
            pipelines_dir=str(tmp_path / "dlt"),
            destination=dlt.destinations.duckdb(str(tmp_path / "generic.duckdb")),
        )
        pipeline.run(rest_api_source(config))

    await anyio.to_thread.run_sync(run)
    followed = [r for r in elsewhere.requests if r.path.endswith("/runs")]
    assert followed
    assert {r.app_key for r in followed} == {misleading.app_key}
