"""What the command line draws on stderr: progress bars and one status line, on a terminal only.

Whether to draw is decided here, from `isatty`. One rich `Live` display, started
while there is something to show, draws the bars and the status line together,
so a retry announced during a listing does not fight with its progress bar.
When stderr is a file or a pipe nothing is drawn at all.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console, Group
from rich.live import Live
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
from rich.text import Text

from .. import ListingProgress
from ._text import printable

__all__ = ["STDERR", "StderrDisplay", "byte_bars", "item_bars", "listing_bar", "show_progress"]


def show_progress(*, stdout_busy: bool = False) -> bool:
    """Return whether to draw bars: stderr is a terminal and stdout is not streaming to it."""
    return sys.stderr.isatty() and not stdout_busy


class StderrDisplay:
    """The bars and the status line on stderr, drawn by one transient rich `Live`.

    `console` prints on stderr above whatever is drawn; off a terminal it prints
    plain text.
    """

    def __init__(self) -> None:
        self.console = Console(stderr=True, highlight=False, soft_wrap=True)
        self._bars: list[Progress] = []
        self._status: Text | None = None
        self._live: Live | None = None

    def __rich__(self) -> Group:
        return Group(*self._bars, *([self._status] if self._status is not None else []))

    @contextmanager
    def showing(self, bars: Progress) -> Iterator[Progress]:
        """Draw `bars` while the block runs."""
        self._bars.append(bars)
        self._redraw()
        try:
            yield bars
        finally:
            self._bars.remove(bars)
            self._redraw()

    def status(self, text: str | None) -> None:
        """Show `text` (control characters made visible) as the status line; `None` clears it."""
        if text is None and self._status is None:
            return
        if text is not None and not sys.stderr.isatty():
            return
        self._status = None if text is None else Text(printable(text), style="yellow")
        self._redraw()

    def _redraw(self) -> None:
        if not (self._bars or self._status):
            if self._live is not None:
                self._live.stop()
                self._live = None
        elif self._live is None:
            self._live = Live(self, console=self.console, transient=True, refresh_per_second=10)
            self._live.start()
        else:
            self._live.refresh()


#: The one display of this process.
STDERR = StderrDisplay()


def _bars(enabled: bool, *columns: ProgressColumn) -> Iterator[Progress]:
    bars = Progress(TextColumn("{task.description}"), BarColumn(), *columns, console=STDERR.console)
    if not enabled:
        yield bars
        return
    with STDERR.showing(bars):
        yield bars


@contextmanager
def item_bars(*, enabled: bool) -> Iterator[Progress]:
    """Draw bars counting items (runs, projects) against a known total while the block runs."""
    yield from _bars(enabled, MofNCompleteColumn(), TaskProgressColumn(), TimeRemainingColumn())


@contextmanager
def byte_bars(*, enabled: bool) -> Iterator[Progress]:
    """Draw bars counting bytes, with the transfer speed, while the block runs."""
    yield from _bars(enabled, DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())


def listing_bar(bars: Progress, description: str) -> Callable[[ListingProgress], None]:
    """Add a bar to `bars` and return the listing's progress callback that moves it.

    The bar counts the items handed over against the listing's total (its
    `limit`, if smaller). A page that arrives also clears the status line:
    whatever was retried got through.
    """
    task = bars.add_task(description, total=None)

    def advance(progress: ListingProgress) -> None:
        STDERR.status(None)
        bars.update(task, completed=progress.items, total=progress.total)

    return advance
