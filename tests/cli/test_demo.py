"""`modellab demo`: the README's first command, offline and well under a minute."""

from __future__ import annotations

import re
import time
from pathlib import Path

from click.testing import CliRunner

from modellab_async.cli._app import app


def test_the_demo_runs_a_whole_session_against_the_fake(tmp_path: Path) -> None:
    started = time.perf_counter()
    result = CliRunner().invoke(app, ["demo", "--dest", str(tmp_path)], env={"DD_API_KEY": ""})
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    assert elapsed < 30
    out = result.stdout
    assert "serving 30,000 runs in 5 projects" in out
    for command in (
        "$ modellab projects list",
        "--format jsonl > runs.jsonl",
        "--format parquet -o runs.parquet",
        "$ modellab runs facets",
        "--type metric --name accuracy",
        "$ modellab artifacts download",
        "export DD_API_KEY=",
    ):
        assert command in out
    assert "param.learning_rate" in out
    downloaded = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert any(path.name == "weights.pt" for path in downloaded)  # a completed run's model
    assert result.stderr == ""


def test_the_demo_cleans_up_its_temporary_folder() -> None:
    result = CliRunner().invoke(app, ["demo", "--runs", "500", "--projects", "2"])
    assert result.exit_code == 0, result.output
    folder = re.search(r"modellab artifacts download \d+ (\S+)", result.stdout)
    assert folder is not None
    assert "modellab-demo-" in folder[1]
    assert not Path(folder[1]).exists()
