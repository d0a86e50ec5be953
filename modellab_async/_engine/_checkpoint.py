"""Where a walk through a listing stands, and what it saw on the way; perform no I/O."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import msgspec

from .._core._traffic import Traffic

__all__ = ["Checkpoint", "ListingStats"]

logger = logging.getLogger("modellab_async")


class Checkpoint(msgspec.Struct, frozen=True, kw_only=True):
    """How far a listing has been yielded: enough to resume it, even in another process.

    `query` names the listing (its filters and page size); `page` is where the
    page being read starts (a page number or a token), `offset` the index in
    it after the last item yielded, and `last_id` that item's id, so a resumed
    walk finds its place even if items moved. Items without an id resume by
    position alone.

    Example:
        >>> runs = client.runs.list(project_id=7, resume=Checkpoint.from_json(saved))
        >>> async for run in runs:
        ...     process(run)
        ...     saved = runs.checkpoint.to_json()
    """

    query: tuple[tuple[str, str], ...]
    page: int | str | None = None
    offset: int = 0
    last_id: str | None = None
    done: bool = False

    def __post_init__(self) -> None:
        if self.offset < 0:
            raise ValueError(f"a checkpoint's offset must be >= 0, got {self.offset}")

    def to_json(self) -> bytes:
        """Encode the checkpoint as JSON."""
        return msgspec.json.encode(self)

    @classmethod
    def from_json(cls, data: bytes | str) -> Checkpoint:
        """Decode a checkpoint saved with `to_json`.

        Raises:
            ValueError: `data` is not a checkpoint (an invalid argument, like any other).
        """
        try:
            return _decoder.decode(data)
        except (msgspec.DecodeError, RecursionError) as exc:  # ValidationError included
            raise ValueError(f"not a saved checkpoint: {exc}") from None


_decoder = msgspec.json.Decoder(Checkpoint)


@dataclass
class ListingStats(Traffic):
    """What one walk through a listing saw: its requests, and drift under concurrent writes.

    `total_changes` counts the pages whose `total` differed from the page before;
    `possibly_missed` adds up the drops in `total` (deleted items shift later
    ones onto pages already fetched); `duplicates_skipped` counts items that
    `dedupe=True` did not yield again. The walk's own requests are counted as
    `Traffic`: how many were in flight at most and on average, and how long
    they waited on the rate limit.
    """

    pages: int = 0
    items: int = 0
    duplicates_skipped: int = 0
    total_changes: int = 0
    possibly_missed: int = 0
    first_total: int | None = None
    last_total: int | None = None

    def saw(self, total: int | None) -> None:
        """Count one page and what its `total` says about drift."""
        self.pages += 1
        if total is None:
            return
        if self.last_total is None:
            self.first_total = total
        elif total != self.last_total:
            self.total_changes += 1
            self.possibly_missed += max(0, self.last_total - total)
            logger.warning(
                "the listing changed while being read: total went from %d to %d",
                self.last_total,
                total,
            )
        self.last_total = total
