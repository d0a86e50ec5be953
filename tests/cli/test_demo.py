"""`modellab demo`: the README's first command, offline; each command it prints gives its output."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from modellab_async.cli._app import app
from modellab_async.cli._demo import CHANGES, CHURN_SEED
from modellab_async.testing import FakeModelLab
from tests.cli.conftest import FakeModellab, on_its_loop, threaded_fake

RUNS, PROJECTS = 2000, 3


def test_the_demo_runs_a_whole_session_against_the_fake(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--dest", str(tmp_path)], env={"DD_API_KEY": ""})
    assert result.exit_code == 0, result.output
    assert result.stderr == "Generating 30,000 runs in 5 projects (seed 0)...\n"
    out = result.stdout
    assert "serving 30,000 runs in 5 projects" in out
    assert "start the same fake in another shell with `modellab fake-server`," in out
    for command in (
        "$ modellab projects list --format table",
        "--format jsonl -o runs.jsonl",
        "$ modellab runs facets",
        "--type metric --name accuracy --format table",
        "$ modellab artifacts download",
        "export DD_API_KEY=",
        "--format parquet -o runs.parquet",
    ):
        assert command in out
    heading = "The 5 completed runs with the best final accuracy, ranked from runs.jsonl\n"
    table = out.split(heading)[1]
    assert table.startswith("┏")  # the table follows its heading
    assert "param.learning_rate" in table.splitlines()[1]
    downloaded = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert any(path.name == "weights.pt" for path in downloaded)  # a completed run's model


def test_the_demo_says_its_temporary_folder_is_removed() -> None:
    result = CliRunner().invoke(app, ["demo", "--runs", "500", "--projects", "2"])
    assert result.exit_code == 0, result.output
    said = re.search(r"in a temporary folder, (\S+), removed at the end", result.stdout)
    assert said is not None
    assert "modellab-demo-" in said[1]
    assert not Path(said[1]).exists()


def untimed(output: str) -> str:
    """A sync's summary line, without the seconds it took."""
    return re.sub(r" in \d+\.\d s$", "", output, flags=re.MULTILINE)


async def changed_as_the_demo_did(fake: FakeModelLab) -> None:
    churn = fake.start_churn(0, seed=CHURN_SEED)
    churn.make(CHANGES)
    churn.stop()


def shown_commands(out: str) -> list[tuple[list[str], str]]:
    """Return each `$ modellab ...` command the demo printed, with the output it showed."""
    blocks = []
    for block in out.split("\n$ ")[1:]:
        command, _, rest = block.partition("\n")
        output = rest.split("\n\n")[0]
        shown = "".join(f"{line}\n" for line in output.splitlines() if not line.startswith("# "))
        blocks.append((shlex.split(command), shown))
    return blocks


def test_each_command_the_demo_prints_gives_the_output_it_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo_folder, mine = tmp_path / "demo", tmp_path / "mine"
    result = CliRunner().invoke(
        app, ["demo", "--runs", str(RUNS), "--projects", str(PROJECTS), "--dest", str(demo_folder)]
    )
    assert result.exit_code == 0, result.output
    assert f"`modellab fake-server --runs {RUNS} --projects {PROJECTS}`" in result.stdout
    commands = shown_commands(result.stdout)
    assert [args[:3] for args, _ in commands] == [
        ["modellab", "projects", "list"],
        ["modellab", "runs", "list"],
        ["modellab", "runs", "get"],
        ["modellab", "runs", "facets"],
        ["modellab", "runs", "facets"],
        ["modellab", "artifacts", "download"],
        ["modellab", "sync"],
        ["modellab", "sql", commands[7][0][2]],
        ["modellab", "sync"],
        ["modellab", "sync", "--reconcile"],
    ]
    assert "# the demo changed 20 runs on its fake" in result.stdout
    mine.mkdir()
    monkeypatch.chdir(mine)
    # What `modellab fake-server --runs 2000 --projects 3` serves, and the lines it exports.
    with threaded_fake(runs=RUNS, projects=PROJECTS, seed=0) as fake:
        modellab = FakeModellab.serving(fake)
        for number, (args, shown) in enumerate(commands):
            if number == 8:  # the demo changed its fake's runs before this sync
                on_its_loop(fake, changed_as_the_demo_did(fake))
            ran = modellab.run(*args[1:], env={"MODELLAB_BASE_URL": fake.url})
            assert ran.exit_code == 0, ran.stderr
            assert untimed(ran.stdout) == untimed(shown), args
    streamed = (mine / "runs.jsonl").read_bytes()
    assert streamed == (demo_folder / "runs.jsonl").read_bytes()
    assert f"# runs.jsonl: {len(streamed.splitlines()):,} runs, one JSON object per line" in (
        result.stdout
    )
    assert sorted(p.relative_to(mine) for p in mine.rglob("*")) == sorted(
        p.relative_to(demo_folder) for p in demo_folder.rglob("*")
    )
