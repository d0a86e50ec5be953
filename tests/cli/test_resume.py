"""`modellab runs list -o FILE --resume STATE`: every run in FILE once, however often it is killed."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import msgspec

from modellab_async.testing import Fault, FaultPlan, Latency
from tests.cli.conftest import FakeModellab, threaded_fake

KILL_AFTER = (0.6, 0.9, 1.2, 0.7, 1.0)  # seconds: mid-listing, at varied points of a page


def ids_in(path: Path) -> list[str]:
    return [msgspec.json.decode(line)["id"] for line in path.read_bytes().splitlines()]


def test_a_listing_killed_five_times_ends_with_every_run_once(tmp_path: Path) -> None:
    out, state = tmp_path / "runs.jsonl", tmp_path / "runs.state"
    faults = FaultPlan([Fault(Latency(0.03), route="list_runs")])
    with threaded_fake(runs=1200, projects=2, seed=4, faults=faults) as fake:
        modellab = FakeModellab.serving(fake)
        args = ("runs", "list", "--sort", "created_at", "--page-size", "20", "--concurrency", "1")
        command = (*args, "-o", str(out), "--resume", str(state))
        kills = 0
        for delay in KILL_AFTER:
            process = modellab.popen(*command, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
            process.wait(timeout=30)
        assert kills >= 3, "the listing finished too fast to be killed"
        finished = modellab.popen(*command)
        assert finished.wait(timeout=60) == 0
        expected = modellab.invoke(*args, "--format", "jsonl").stdout
    listed = [msgspec.json.decode(line)["id"] for line in expected.splitlines()]
    assert len(listed) > 1000
    assert ids_in(out) == listed  # each once, in order
    assert not state.exists()


def test_resume_needs_a_json_lines_file(modellab: FakeModellab, tmp_path: Path) -> None:
    result = modellab.invoke("runs", "list", "--resume", str(tmp_path / "state"))
    assert result.exit_code == 2
    assert "give -o FILE" in result.stderr
    result = modellab.invoke(
        "runs", "list", "--format", "csv", "-o", str(tmp_path / "runs.csv"), "--resume", "s"
    )
    assert result.exit_code == 2
