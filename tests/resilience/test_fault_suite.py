"""Listing 10,000 runs through every fault the fake injects: nothing lost, nothing repeated.

Each fault of the table meets a listing twice per mode (sequential, and 8 pages
in flight): once as bursts and random firings the retries ride out, and once
firing on every request, so that the typed error surfaces with a checkpoint the
listing resumes from. Each run adds a row to the table printed at the end.
"""

from __future__ import annotations

import anyio
import pytest

from modellab_async.testing import FakeModelLab
from tests.reference import server_order
from tests.resilience.conftest import FaultRun, FaultTable
from tests.resilience.support import (
    FAILING_CASES,
    FAULT_CASES,
    PATIENT,
    SPENT,
    FaultCase,
    case_id,
    connect,
)

pytestmark = pytest.mark.anyio

PAGE_SIZE = 100
#: List requests served before a relentless fault starts: the error comes mid-listing.
SERVED = 37
#: Seconds any one listing may take, faults included.
BUDGET = 30

modes = pytest.mark.parametrize(
    "concurrency", [1, 8], ids=lambda n: "sequential" if n == 1 else f"concurrency={n}"
)


def mode(concurrency: int) -> str:
    return "sequential" if concurrency == 1 else f"concurrency={concurrency}"


@modes
@pytest.mark.parametrize("case", FAULT_CASES, ids=case_id)
async def test_a_listing_rides_out_the_fault_yielding_each_run_once(
    fake: FakeModelLab, fault_table: FaultTable, case: FaultCase, concurrency: int
) -> None:
    before = await server_order(fake)
    for fault in case.recoverable():
        fake.faults.add(fault)
    async with connect(fake.url, retries=PATIENT, timeout=case.timeout) as client:
        listing = client.runs.list(page_size=PAGE_SIZE, concurrency=concurrency, dedupe=case.dedupe)
        with anyio.fail_after(BUDGET):
            ids = [run.id async for run in listing]
        stats, walk = client.stats, listing.stats
    fake.faults.clear()
    after = await server_order(fake) if case.dedupe else before
    if case.dedupe:
        exact = set(before) <= set(ids) <= set(after) and len(ids) == len(set(ids))
    else:
        exact = ids == before
    fault_table.add(
        FaultRun(
            case.name,
            mode(concurrency),
            stats.requests,
            stats.retries,
            len(ids),
            ("exact" if exact else "WRONG")
            + (f", {walk.duplicates_skipped} duplicates skipped" if case.dedupe else ""),
        )
    )

    assert len(ids) == len(set(ids)), "a run was yielded twice"
    if case.dedupe:
        assert set(before) <= set(ids), "a run present from the start was lost"
        assert set(ids) <= set(after)
        assert walk.total_changes > 0, "no drift happened"
        assert walk.last_total is not None
        # The pages tile the listing as it stood at its last page; what they held
        # beyond the runs yielded is exactly what dedupe skipped.
        assert len(ids) + walk.duplicates_skipped == walk.last_total
        assert walk.duplicates_skipped > 0
    else:
        assert ids == before
        assert stats.retries >= case.burst
        assert stats.requests == len(before) // PAGE_SIZE + stats.retries


@modes
@pytest.mark.parametrize("case", FAILING_CASES, ids=case_id)
async def test_spent_retries_raise_the_typed_error_with_a_checkpoint_to_resume_from(
    fake: FakeModelLab, fault_table: FaultTable, case: FaultCase, concurrency: int
) -> None:
    assert case.error is not None
    expected = await server_order(fake)
    fake.faults.add(case.relentless(after=SERVED))
    ids: list[str] = []
    async with connect(fake.url, retries=SPENT, timeout=case.timeout) as client:
        listing = client.runs.list(page_size=PAGE_SIZE, concurrency=concurrency)
        with anyio.fail_after(BUDGET), pytest.raises(case.error) as caught:  # noqa: PT012
            async for run in listing:
                ids.append(run.id)  # noqa: PERF401  # keep what came before the error
        failed = client.stats.requests, client.stats.retries
        error = caught.value
        fake.faults.clear()
        resumed = client.runs.list(
            page_size=PAGE_SIZE, concurrency=concurrency, resume=error.checkpoint
        )
        with anyio.fail_after(BUDGET):
            rest = [run.id async for run in resumed]
    fault_table.add(
        FaultRun(
            case.name,
            f"{mode(concurrency)}, retries spent",
            *failed,
            len(ids),
            f"{type(error).__name__} after {len(ids)}, resumed +{len(rest)}: "
            + ("exact" if ids + rest == expected else "WRONG"),
        )
    )

    assert type(error) is case.error
    assert str(error)
    assert error.checkpoint is not None
    assert error.checkpoint == listing.checkpoint
    assert ids == expected[: len(ids)]
    if concurrency == 1:
        # Pages 0 to 36 came through; page 37 was tried once and retried twice.
        assert len(ids) == SERVED * PAGE_SIZE
        assert failed == (SERVED + 1 + SPENT.retries, SPENT.retries)
    assert ids + rest == expected
    assert resumed.checkpoint.done
