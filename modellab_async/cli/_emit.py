"""Send records to the chosen output: listings with a progress bar, single records as they are."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TypeVar

from .. import Page, Paginator, Project, Run
from ._output import Output, View, write_listing, write_records
from ._progress import item_bars, listing_bar, show_progress

__all__ = ["emit", "emit_listing"]

T = TypeVar("T")
FrameItem = TypeVar("FrameItem", Run, Project)


async def emit_listing(
    listing: Paginator[Page[FrameItem], FrameItem],
    view: View[FrameItem],
    output: Output,
    *,
    description: str,
) -> None:
    """Write a listing page by page, with a progress bar on a terminal's stderr."""
    enabled = show_progress(stdout_busy=output.streams_to_terminal)
    with item_bars(enabled=enabled) as bars:
        pages = listing.with_progress(listing_bar(bars, description)).pages()
        await write_listing(pages, view, output)


async def _one_batch(records: Sequence[T]) -> AsyncIterator[Sequence[T]]:
    yield records


async def emit(records: Sequence[T], view: View[T], output: Output) -> None:
    """Write records already fetched."""
    await write_records(_one_batch(records), view, output)
