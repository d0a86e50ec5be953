"""What the service sends is data: names never act as markup or terminal commands; walks end."""

from __future__ import annotations

import csv
import io
import os
import pty
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from aiohttp import web

from modellab_async.cli._artifacts import MAX_DEPTH
from modellab_async.testing import Param, generate_dataset
from tests.cli.conftest import FakeModellab, Modellab, threaded, threaded_fake
from tests.cli.test_process import read_until_closed
from tests.scripted import API, Handler, ScriptedServer, json_response, run_resource

TIMEOUT = 30
CLEAR_SCREEN = "\x1b[2J"
SET_CLIPBOARD = "\x1b]52;c;aGk=\x07"
HOSTILE_NAMES = (
    "[/]",
    "[link=file:///etc/passwd]click me[/link]",
    f"wipe{CLEAR_SCREEN}paste{SET_CLIPBOARD}",
    "[bold red]loud",
    "tab\there, newline\nthere, \u202eright-to-left",
)
LISTINGS_ALLOWED = 200
RAW_CONTROLS = (CLEAR_SCREEN, SET_CLIPBOARD, "\x1b]8;", "\u202e", "\x07")


@pytest.fixture(scope="module")
def hostile() -> Iterator[FakeModellab]:
    """A fake whose newest runs, first project and a param key are named to attack a terminal."""
    dataset = generate_dataset(runs=40, projects=1, seed=0)
    newest = sorted(dataset.runs, key=lambda run: run.created_at, reverse=True)
    for run, name in zip(newest, HOSTILE_NAMES, strict=False):
        run.name = name
    newest[0].params = [Param(f"lr{CLEAR_SCREEN}[/]", "0.1")]
    dataset.projects[0].name = HOSTILE_NAMES[2]
    with threaded_fake(dataset=dataset) as fake:
        yield FakeModellab.serving(fake)


def test_a_table_on_a_terminal_shows_hostile_names_as_plain_text(hostile: FakeModellab) -> None:
    for command in (("runs", "list"), ("projects", "list"), ("runs", "get", "40")):
        # FORCE_COLOR makes rich treat the output as a terminal: styles, hyperlinks and all.
        result = hostile.invoke(*command, "--format", "table", env={"FORCE_COLOR": "1"})
        assert result.exit_code == 0, result.stderr
        assert "\x1b[" in result.stdout or command[1] == "get"  # rich styled the header
        for raw in RAW_CONTROLS:
            assert raw not in result.stdout, (command, raw)
    table = hostile.invoke("runs", "list", "--format", "table", env={"FORCE_COLOR": "1"}).stdout
    assert "[/]" in table
    assert "[link=file:///etc/passwd]click me[/link]" in table
    assert "wipe\\x1b[2Jpaste\\x1b]52;c;aGk=\\x07" in table
    assert "\\u202eright-to-left" in table


def test_csv_and_json_lines_in_a_file_keep_the_data(hostile: FakeModellab, tmp_path: Path) -> None:
    target = tmp_path / "runs.csv"
    assert hostile.invoke("runs", "list", "--format", "csv", "-o", str(target)).exit_code == 0
    names = [row["name"] for row in csv.DictReader(io.StringIO(target.read_bytes().decode()))]
    assert names[: len(HOSTILE_NAMES)] == list(HOSTILE_NAMES)
    lines = hostile.invoke("runs", "list", "--format", "jsonl").stdout_bytes.splitlines()
    assert b"\x1b" not in b"".join(lines)  # JSON escapes control characters itself
    decoded = [msgspec.json.decode(line)["attributes"]["name"] for line in lines]
    assert decoded[: len(HOSTILE_NAMES)] == list(HOSTILE_NAMES)


def on_terminal(modellab: Modellab, *args: str) -> str:
    """Run `modellab` in a process whose stdout and stderr are a terminal; return what it showed."""
    controller, terminal = pty.openpty()
    env = modellab.process_env(TERM="xterm-256color", COLUMNS="200")
    with subprocess.Popen(
        modellab.command(*args), env=env, stdout=terminal, stderr=terminal
    ) as process:
        os.close(terminal)
        shown = read_until_closed(controller, time.monotonic() + TIMEOUT)
        process.wait(timeout=TIMEOUT)
    os.close(controller)
    return shown.decode(errors="replace")


def test_csv_and_json_lines_on_a_terminal_show_control_characters_escaped(
    hostile: FakeModellab,
) -> None:
    for fmt in ("csv", "jsonl", "table"):
        shown = on_terminal(hostile, "runs", "list", "--format", fmt)
        assert "loud" in shown
        for raw in RAW_CONTROLS:
            assert raw not in shown, (fmt, raw)


def listing(*entries: tuple[str, bool]) -> web.Response:
    files = [
        {"path": path, "is_dir": is_dir, "file_size": None if is_dir else 2}
        for path, is_dir in entries
    ]
    attributes = {"path_in_project": "runs/5", "files": files}
    return json_response({"data": {"id": "5", "type": "artifacts", "attributes": attributes}})


def cyclic_tree() -> Handler:
    """Run 5's folders: `loop` lists itself, `a` and `a/b` list each other, `deep` never ends.

    After `LISTINGS_ALLOWED` listings it answers 418, so a walk that would not end fails.
    """
    listings = 0

    async def answer(request: web.Request) -> web.StreamResponse:
        nonlocal listings
        if request.path == f"{API}/runs/5":
            return json_response({"data": run_resource(5)})
        if request.path == f"{API}/artifacts/content":
            return web.Response(body=b"ok")
        listings += 1
        if listings > LISTINGS_ALLOWED:
            return web.Response(status=418)
        folder = request.query.get("path", "")
        if folder == "":
            return listing(("loop", True), ("a", True), ("deep", True), ("top.txt", False))
        if folder == "loop":
            return listing(("loop", True), ("loop/in.txt", False))
        if folder == "a":
            return listing(("a/b", True))
        if folder == "a/b":
            return listing(("a", True), ("a/b/leaf.txt", False))
        return listing((f"{folder}/d", True))  # under deep/: always one more level

    return answer


@pytest.mark.parametrize("command", ["ls", "download"])
def test_a_tree_that_lists_itself_ends_and_says_what_it_skipped(
    command: str, tmp_path: Path
) -> None:
    server = ScriptedServer(cyclic_tree())
    with threaded(server) as served:
        modellab = Modellab(url=served.url)
        args = ("ls", "--run", "5", "-r") if command == "ls" else ("download", "5", str(tmp_path))
        started = time.monotonic()
        result = modellab.invoke("artifacts", *args)
        assert time.monotonic() - started < TIMEOUT
    assert result.exit_code == 0, result.stderr
    listings = [seen for seen in served.seen if seen.path.endswith("/artifacts")]
    assert len(listings) == 4 + MAX_DEPTH  # root, loop, a, a/b, then deep/ to the bound
    skipped = result.stderr.splitlines()
    assert len(skipped) == 2
    assert "skipped 2 folders listed already" in skipped[0]
    assert "'loop'" in skipped[0]
    assert f"skipped 1 folders more than {MAX_DEPTH} levels deep" in skipped[1]
    if command == "download":
        written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.txt"))
        assert written == ["a/b/leaf.txt", "loop/in.txt", "top.txt"]
