"""The blocking PAI client over loopback against FakePAI."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from anyio.from_thread import BlockingPortal

from modellab_async import NotFoundError
from modellab_async.pai import BlockingPAIClient
from modellab_async.testing import FakePAI, Fault, TooManyRequests
from tests.blocking.conftest import QUICK


@pytest.fixture
def fake(server_loop: BlockingPortal) -> Iterator[FakePAI]:
    with server_loop.wrap_async_context_manager(FakePAI(runs=45, experiments=4, seed=3)) as fake:
        yield fake


@pytest.fixture
def pai(fake: FakePAI) -> Iterator[BlockingPAIClient]:
    credentials = fake.credentials
    with BlockingPAIClient(
        credentials.access_key_id, credentials.access_key_secret, endpoint=fake.url, retries=QUICK
    ) as pai:
        yield pai


def test_token_listings_pages_and_resume(pai: BlockingPAIClient) -> None:
    everything = [run.run_id for run in pai.runs.list(page_size=100).collect()]
    pages = list(pai.runs.list(page_size=7).pages())
    assert [run.run_id for page in pages for run in page.items] == everything
    assert len(everything) == pages[0].total
    listing = pai.runs.list(page_size=6)
    done = []
    for run in listing:
        done.append(run.run_id)
        if len(done) == 17:
            break
    done += [run.run_id for run in pai.runs.list(page_size=6, resume=listing.checkpoint)]
    assert done == everything


def test_get_metrics_experiments_and_retries(pai: BlockingPAIClient, fake: FakePAI) -> None:
    run = fake.dataset.runs[0]
    assert pai.runs.get(run.run_id).run_id == run.run_id
    key = run.metrics[0].key
    assert {metric.key for metric in pai.runs.metrics(run.run_id, key, page_size=3)} == {key}
    pages = list(pai.experiments.list(page_size=1).pages())
    assert sum(len(page.items) for page in pages) == pages[0].total == len(pages) > 1
    with pytest.raises(NotFoundError):
        pai.runs.get("run-does-not-exist")
    expected = pai.runs.list(page_size=10).collect()
    fake.faults.add(Fault(TooManyRequests(retry_after=0), route="ListRuns", times=2))
    assert pai.runs.list(page_size=10).collect() == expected
    assert pai.stats.retries == 2
