"""A listing's progress callback: items handed over and the listing's total, page by page."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from rich.progress import Progress

from modellab_async import ListingProgress, Paginator
from modellab_async.cli._progress import listing_bar
from tests.unit.mock_service import NumberedService, connect

pytestmark = pytest.mark.anyio


async def test_progress_counts_items_against_the_total_page_by_page() -> None:
    seen: list[ListingProgress] = []
    async with connect(NumberedService(total=250)) as client:
        runs = client.runs.list(page_size=100).with_progress(seen.append)
        assert len(await runs.collect()) == 250
    assert seen == [
        ListingProgress(items=100, total=250, pages=1),
        ListingProgress(items=200, total=250, pages=2),
        ListingProgress(items=250, total=250, pages=3),
    ]


async def test_the_total_is_at_most_the_limit() -> None:
    seen: list[ListingProgress] = []
    async with connect(NumberedService(total=250)) as client:
        runs = client.runs.list(page_size=100, limit=150).with_progress(seen.append)
        assert len(await runs.collect()) == 150
    assert seen == [ListingProgress(100, 150, 1), ListingProgress(150, 150, 2)]


async def test_each_iteration_counts_from_zero() -> None:
    seen: list[ListingProgress] = []
    async with connect(NumberedService(total=30)) as client:
        runs = client.runs.list(page_size=20).with_progress(seen.append)
        await runs.collect()
        async for _ in runs.pages():
            break
    assert [p.items for p in seen] == [20, 30, 20]


async def test_with_progress_derives_a_listing_and_leaves_the_original_alone() -> None:
    async with connect(NumberedService(total=30)) as client:
        runs = client.runs.list(page_size=20)
        changes = runs.changes(since=datetime(2024, 1, 1, tzinfo=UTC))
    watched = runs.with_progress(print)
    assert isinstance(watched, Paginator)
    assert watched.listing.options.progress is print
    assert runs.listing.options.progress is None
    assert watched.listing.request == runs.listing.request
    assert type(changes.with_progress(print)) is type(changes)
    assert runs.with_progress(print).with_progress(None).listing == runs.listing


def broken(progress: ListingProgress) -> None:
    raise RuntimeError("the callback's own bug")


async def test_a_callback_that_raises_is_logged_and_the_listing_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="modellab_async"):
        async with connect(NumberedService(total=30)) as client:
            runs = await client.runs.list(page_size=20).with_progress(broken).collect()
    assert len(runs) == 30
    messages = [r.getMessage() for r in caplog.records if r.exc_info]
    assert messages == ["a hook raised on ListingProgress; the client carries on"] * 2


async def test_the_command_lines_bar_follows_the_listings_progress() -> None:
    bars = Progress()
    async with connect(NumberedService(total=250)) as client:
        runs = client.runs.list(page_size=100, limit=220)
        await runs.with_progress(listing_bar(bars, "runs")).collect()
    (task,) = bars.tasks
    assert (task.description, task.completed, task.total) == ("runs", 220, 220)
