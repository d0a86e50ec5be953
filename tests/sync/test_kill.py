"""`modellab sync` killed with SIGKILL, in a process of its own, then run again: no run lost or doubled."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import anyio
import duckdb
import pytest

from modellab_async.testing import FakeModelLab, Fault, FaultPlan, Latency

from .conftest import copy_of, served_by, walks

pytestmark = pytest.mark.anyio

TIMEOUT = 60


def command(fake: FakeModelLab, database: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "modellab_async",
        "--base-url",
        fake.url,
        "sync",
        "-o",
        str(database),
        *args,
    ]


def environment(tmp_path: Path, fake: FakeModelLab) -> dict[str, str]:
    # A killed sync leaves its dlt working folder behind: keep it in the test's folder.
    return {
        **os.environ,
        "DD_API_KEY": fake.api_key,
        "DD_APP_KEY": fake.app_key,
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "TMPDIR": str(tmp_path),
    }


async def sync_killed_when(
    fake: FakeModelLab, database: Path, tmp_path: Path, ready: Callable[[], bool], *args: str
) -> None:
    """Start a sync and SIGKILL it as soon as `ready()` holds (polled as it runs)."""
    for leftover in tmp_path.glob("modellab-sync-*"):  # what the last killed sync left
        shutil.rmtree(leftover)
    process = await anyio.open_process(
        command(fake, database, *args),
        env=environment(tmp_path, fake),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with anyio.fail_after(TIMEOUT):
            while not ready():
                assert process.returncode is None, "the sync ended before it could be killed"
                await anyio.sleep(0.01)
        process.send_signal(signal.SIGKILL)
    finally:
        with anyio.fail_after(TIMEOUT):
            await process.wait()
        await process.aclose()
    assert process.returncode == -signal.SIGKILL


async def sync_to_the_end(fake: FakeModelLab, database: Path, tmp_path: Path, *args: str) -> None:
    completed = await anyio.run_process(
        command(fake, database, *args), env=environment(tmp_path, fake), check=False
    )
    assert completed.returncode == 0, completed.stderr.decode()


def loading(tmp_path: Path) -> bool:
    """Whether a sync's dlt has normalised its package: it is loading it into the file."""
    return any(tmp_path.glob("modellab-sync-*/modellab/load/normalized/*"))


def no_run_twice(database: Path) -> None:
    with duckdb.connect(str(database)) as db:
        tables = {name for (name,) in db.sql("SELECT table_name FROM duckdb_tables()").fetchall()}
        if "runs" in tables:
            [(rows, ids)] = db.sql("SELECT count(*), count(DISTINCT id) FROM runs").fetchall()
            assert rows == ids


async def test_a_sync_killed_at_any_point_converges_when_run_again(
    fake: FakeModelLab, tmp_path: Path
) -> None:
    database = tmp_path / "copy.duckdb"
    # Slow pages, so that the walk is still under way when the test kills it.
    fake.faults = FaultPlan([Fault(Latency(0.1), route="list_runs")])

    # Killed while walking the runs, then while loading into the file.
    await sync_killed_when(fake, database, tmp_path, lambda: len(walks(fake.requests, "runs")) >= 2)
    no_run_twice(database)
    await sync_killed_when(fake, database, tmp_path, lambda: loading(tmp_path))
    no_run_twice(database)
    await sync_to_the_end(fake, database, tmp_path)
    assert copy_of(database) == served_by(fake)

    # Changes, then reconciling syncs killed in their walks and in their load.
    runs = fake.runs()
    for run in runs[:4]:
        fake.delete_run(run.id)
    for run in runs[4:40]:
        fake.update_run(run.id, status="failed", params=None)
    fake.requests.clear()
    await sync_killed_when(fake, database, tmp_path, lambda: len(fake.requests) >= 5, "--reconcile")
    await sync_killed_when(fake, database, tmp_path, lambda: loading(tmp_path), "--reconcile")
    no_run_twice(database)
    await sync_to_the_end(fake, database, tmp_path, "--reconcile")
    assert copy_of(database) == served_by(fake)
