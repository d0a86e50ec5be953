"""`modellab` as a user runs it: a real process, a terminal or a pipe, Ctrl-C, a closed pipe."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import msgspec

from modellab_async import Run
from tests.cli.conftest import FakeModellab

TIMEOUT = 30


def read_until_closed(fd: int, deadline: float) -> bytes:
    """Read a pseudo-terminal's output until the other side closes it."""
    chunks = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed its side
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_the_first_line_comes_before_the_last_page_and_ctrl_c_exits_130(
    slow_modellab: FakeModellab,
) -> None:
    process = slow_modellab.popen(
        "runs", "list", "--page-size", "10", stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        msgspec.json.decode(first, type=Run)
        pages_served = sum(r.path.endswith("/runs") for r in slow_modellab.fake.requests)
        assert pages_served < 20  # of about 100 pages: the output streams
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=TIMEOUT)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 130
    assert stderr.decode().strip() == "Interrupted."


def test_a_terminal_gets_a_progress_bar_on_stderr(
    slow_modellab: FakeModellab, tmp_path: Path
) -> None:
    controller, terminal = pty.openpty()
    env = slow_modellab.process_env(TERM="xterm-256color", COLUMNS="100")
    args = ("runs", "list", "--page-size", "50", "--limit", "400", "-o", str(tmp_path / "r.jsonl"))
    with subprocess.Popen(
        slow_modellab.command(*args), env=env, stdout=subprocess.DEVNULL, stderr=terminal
    ) as process:
        os.close(terminal)
        shown = read_until_closed(controller, time.monotonic() + TIMEOUT).decode()
        assert process.wait(timeout=TIMEOUT) == 0
    os.close(controller)
    assert "runs" in shown
    assert "/400" in shown.replace(" ", "")  # "M/400 items": the bar knows its total
    assert len((tmp_path / "r.jsonl").read_text().splitlines()) == 400


def test_a_pipe_gets_no_progress_and_nothing_extra(slow_modellab: FakeModellab) -> None:
    completed = subprocess.run(
        slow_modellab.command("runs", "list", "--limit", "200", "--page-size", "50"),
        env=slow_modellab.process_env(),
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert completed.returncode == 0
    assert completed.stderr == b""
    assert len(completed.stdout.splitlines()) == 200


def test_a_reader_that_stops_early_ends_the_listing_quietly(modellab: FakeModellab) -> None:
    process = modellab.popen(
        "runs", "list", "--page-size", "5", stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None
    process.stdout.readline()
    process.stdout.close()  # as `modellab runs list | head -1` does
    _, stderr = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 141
    assert stderr == b""


def test_python_dash_m_runs_the_command_line(modellab: FakeModellab) -> None:
    completed = subprocess.run(
        modellab.command("projects", "list", "--format", "csv"),
        env=modellab.process_env(),
        capture_output=True,
        timeout=TIMEOUT,
        check=True,
    )
    assert completed.stdout.decode().splitlines()[0].startswith("id,name,")


def test_without_the_cli_extra_the_error_names_the_pip_command() -> None:
    code = "import sys; sys.modules['click'] = None; from modellab_async.cli import main; main()"
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, timeout=TIMEOUT, check=False
    )
    assert completed.returncode == 1
    assert completed.stderr.decode().strip() == (
        "modellab: the command line needs click; install it with: pip install 'modellab-async[cli]'"
    )


def test_importing_the_library_loads_no_cli_or_dataframe_library() -> None:
    optional = ("click", "rich", "pyarrow", "polars", "pandas")
    code = (
        "import sys, modellab_async, modellab_async.frames; "
        f"print([m for m in {optional!r} if m in sys.modules])"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, timeout=TIMEOUT, check=True
    )
    assert completed.stdout.decode().strip() == "[]"


def test_fake_server_serves_until_ctrl_c() -> None:
    command = [sys.executable, "-m", "modellab_async", "fake-server", "--port", "0", "--runs", "50"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert banner.startswith("Fake Model Lab API serving 50 runs at http://127.0.0.1:")
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0
    assert "Traceback" not in stderr
