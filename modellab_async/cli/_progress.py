"""Progress bars on stderr, drawn only when stderr is a terminal.

Whether to draw is decided here, from `isatty`, and handed to rich; when
stderr is a file or a pipe the bars print nothing at all.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterable, AsyncIterator
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from .. import Page

__all__ = ["byte_bars", "item_bars", "show_progress", "track_pages"]

T = TypeVar("T")


def show_progress(*, stdout_busy: bool = False) -> bool:
    """Return whether to draw bars: stderr is a terminal and stdout is not streaming to it."""
    return sys.stderr.isatty() and not stdout_busy


def _bars(enabled: bool, *columns: ProgressColumn) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        *columns,
        console=Console(stderr=True),
        transient=True,
        disable=not enabled,
    )


def item_bars(*, enabled: bool) -> Progress:
    """Return bars counting items (runs, projects) against a known total."""
    return _bars(enabled, MofNCompleteColumn(), TaskProgressColumn(), TimeRemainingColumn())


def byte_bars(*, enabled: bool) -> Progress:
    """Return bars counting bytes, with the transfer speed."""
    return _bars(enabled, DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())


async def track_pages(
    pages: AsyncIterable[Page[T]], bars: Progress, description: str, limit: int | None = None
) -> AsyncIterator[Page[T]]:
    """Yield `pages` unchanged, advancing a bar whose total is the listing's `meta.page.total`."""
    task = bars.add_task(description, total=None)
    async for page in pages:
        total = page.meta.page.total
        bars.update(
            task,
            total=total if limit is None else min(total, limit),
            advance=len(page.items),
        )
        yield page
