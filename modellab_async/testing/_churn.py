"""Churn: change a fake's runs at a steady rate in the background, reproducibly by seed."""

from __future__ import annotations

import asyncio
import contextlib
import random
from types import TracebackType
from typing import Self

from ._dataset import FINISHED_STATUSES, RunStatus
from ._generate import RunFactory, fresh_run
from ._store import Store

# Waking up at most this often keeps a fast churn cheap: each wake-up makes the changes due.
_MIN_INTERVAL = 0.05
_UPDATED_STATUSES: tuple[RunStatus, ...] = ("running", "paused", "completed", "failed", "killed")


class Churn:
    """Inserts, updates and soft-deletes runs at random; made by `FakeModelLab.start_churn`.

    It makes `per_second` changes a second in the background (in at most 20
    wake-ups a second), and `make(count)` makes more at once. Each change's
    kind is drawn with the weights given, and every random choice comes from
    one generator seeded by `seed`, so the same calls to the same fake meet the
    same changes. It stops with `stop()`, at the end of a `with` block, or when
    the fake closes.

    Attributes:
        inserted, updated, deleted: how many runs it has changed so far, by kind.
    """

    def __init__(
        self,
        store: Store,
        *,
        per_second: float,
        seed: int,
        inserts: float,
        updates: float,
        deletes: float,
    ) -> None:
        weights = (inserts, updates, deletes)
        if not per_second >= 0:
            raise ValueError("per_second must be 0 or more")
        if min(weights) < 0 or not sum(weights) > 0:
            raise ValueError("inserts, updates and deletes are weights: >= 0, not all 0")
        self.inserted = 0
        self.updated = 0
        self.deleted = 0
        self._store = store
        self._per_second = per_second
        self._weights = weights
        self._factory = RunFactory(random.Random(seed))
        self._task = asyncio.get_running_loop().create_task(self._run()) if per_second else None
        self._stopped = False

    @property
    def running(self) -> bool:
        """Whether it still changes runs in the background."""
        return self._task is not None and not self._stopped and not self._task.done()

    def make(self, count: int) -> None:
        """Make `count` changes now, drawn as the background ones are."""
        for _ in range(count):
            self._change()

    def stop(self) -> None:
        """Stop changing runs in the background; no such change happens after this call."""
        self._stopped = True
        if self._task is not None:
            self._task.cancel()

    async def aclose(self) -> None:
        """Stop, and wait until the background task has ended (re-raising what broke it)."""
        self.stop()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return (
            f"<Churn {self._per_second}/s inserted={self.inserted} updated={self.updated}"
            f" deleted={self.deleted}{'' if self.running else ' stopped'}>"
        )

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        made = 0
        interval = max(1 / self._per_second, _MIN_INTERVAL)
        while True:
            await asyncio.sleep(interval)
            due = int((loop.time() - started) * self._per_second)
            self.make(due - made)
            made = due

    def _change(self) -> None:
        rng = self._factory.rng
        [kind] = rng.choices(("insert", "update", "delete"), self._weights)
        if kind == "insert":
            self._insert()
            return
        run = self._store.pick_run(rng)
        if run is None:
            return
        if kind == "delete":
            self._store.delete_run(run.id)
            self.deleted += 1
            return
        status = self._factory.pick(_UPDATED_STATUSES)
        completed_at = self._store.stamp() if status in FINISHED_STATUSES else None
        changes: dict[str, object] = {
            "status": status,
            "metric_summaries": self._factory.metrics(),
            "completed_at": completed_at,
            "duration": (completed_at - run.started_at).total_seconds() if completed_at else None,
        }
        self._store.update_run(run.id, changes)
        self.updated += 1

    def _insert(self) -> None:
        projects = self._store.live_projects()
        if not projects:
            return
        project = self._factory.pick(projects)
        self._store.create_run(lambda run_id, now: fresh_run(self._factory, run_id, project, now))
        self.inserted += 1
