"""Write a listing to a JSON-lines file, exactly once per item even across kills.

Each page's lines are written and flushed to disk before a state file is
replaced (atomically) with the checkpoint after that page and the file's
length then. A run killed at any point restarts from the state: the file is
cut back to the length the state names, dropping a page written after it, and
the listing resumes at the checkpoint, so every item is in the file once.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, Protocol, Self

import anyio
import msgspec

from ._engine._checkpoint import Checkpoint

__all__ = ["ExportState", "Exportable", "write_jsonl"]


class _Page(Protocol):
    @property
    def items(self) -> Sequence[Any]: ...


class Exportable(Protocol):
    """What an export needs of a paginator: its pages, its place, and a resumed copy."""

    @property
    def checkpoint(self) -> Checkpoint:
        """Where the latest iteration stands."""

    def pages(self) -> AsyncIterator[_Page]:
        """Yield the listing's pages in order."""

    def resumed(self, checkpoint: Checkpoint) -> Self:
        """Return the same listing, resuming from `checkpoint`."""


class ExportState(msgspec.Struct, frozen=True, kw_only=True):
    """Where an export stands: the listing's checkpoint and the file's length with it."""

    checkpoint: Checkpoint
    size: int

    def __post_init__(self) -> None:
        if self.size < 0:
            raise ValueError(f"an export state's size must be >= 0, got {self.size}")


_state_decoder = msgspec.json.Decoder(ExportState)


def _load_state(path: Path) -> ExportState | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return _state_decoder.decode(data)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise ValueError(f"{path} is not the state of an export: {exc}") from None


def _save_state(path: Path, state: ExportState) -> None:
    draft = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with draft.open("wb") as file:
        file.write(msgspec.json.encode(state))
        file.flush()
        os.fsync(file.fileno())
    draft.replace(path)


def _open_output(path: Path, state: ExportState | None) -> Any:
    """Open the output for appending, cut back to the length the state names."""
    if state is None:
        return path.open("wb")
    file = path.open("ab")
    if (size := file.tell()) < state.size:
        file.close()
        raise ValueError(
            f"{path} holds {size} bytes but its state says {state.size}: "
            "it was changed since; remove the state file to start over"
        )
    file.truncate(state.size)
    file.seek(state.size)
    return file


def _write_page(file: Any, lines: bytes) -> int:
    file.write(lines)
    file.flush()
    os.fsync(file.fileno())
    return int(file.tell())


async def write_jsonl(
    paginator: Exportable, path: str | os.PathLike[str], state: str | os.PathLike[str]
) -> int:
    """Write every item of `paginator` to `path`, one JSON document a line; return the count.

    `state` is the file that records how far the export got; with it, a rerun
    after a kill resumes where the last completed page ended, and the file
    holds every item once. The state is removed once the listing is done.
    """
    output, state_path = Path(path), Path(state)
    saved = await anyio.to_thread.run_sync(_load_state, state_path)
    listing = paginator if saved is None else paginator.resumed(saved.checkpoint)
    file = await anyio.to_thread.run_sync(_open_output, output, saved)
    encode_lines = msgspec.json.Encoder().encode_lines
    written = 0
    try:
        async for page in listing.pages():
            lines = encode_lines(page.items)
            size = await anyio.to_thread.run_sync(_write_page, file, lines)
            written += len(page.items)
            progress = ExportState(checkpoint=listing.checkpoint, size=size)
            await anyio.to_thread.run_sync(_save_state, state_path, progress)
    finally:
        await anyio.to_thread.run_sync(file.close)
    await anyio.Path(state_path).unlink(missing_ok=True)
    return written
