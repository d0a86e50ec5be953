"""`modellab fake-server`: the demo's dataset, export lines to paste, latency and faults."""

from __future__ import annotations

import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from click.testing import CliRunner

from modellab_async.cli._app import app
from modellab_async.cli._demo import demo
from modellab_async.cli._fake_server import fake_server
from modellab_async.testing import Fault, ServerError, SlowBody, TooManyRequests

TIMEOUT = 30


def defaults(command: object) -> dict[str, object]:
    params = getattr(command, "params", [])
    return {param.name: param.default for param in params}


def test_help_names_the_command_and_shows_defaults() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "modellab_async", "fake-server", "--help"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=True,
    ).stdout
    assert shown.startswith("Usage: modellab fake-server [OPTIONS]")
    assert "[default: 30000; x>=1]" in shown
    assert "--latency MS" in shown
    assert "--fault SPEC" in shown


def test_it_serves_the_demos_dataset_by_default() -> None:
    served, shown = defaults(fake_server), defaults(demo)
    assert {name: served[name] for name in ("runs", "projects", "seed")} == {
        name: shown[name] for name in ("runs", "projects", "seed")
    }


def test_fault_options_become_the_fakes_faults() -> None:
    context = fake_server.make_context(
        "fake-server",
        ["--fault", "503:0.25@list_runs", "--fault", "429@/api/*", "--fault", "SLOW"],
    )
    assert context.params["faults"] == [
        Fault(ServerError(503), route="list_runs", probability=0.25),
        Fault(TooManyRequests(), route="/api/*"),
        Fault(SlowBody()),
    ]
    wrong = CliRunner().invoke(app, ["fake-server", "--fault", "teapot"])
    assert wrong.exit_code == 2
    assert "'teapot' is not one of 429, 500," in wrong.stderr
    odds = CliRunner().invoke(app, ["fake-server", "--fault", "500:2"])
    assert "probability must be between 0 and 1" in odds.stderr


@contextmanager
def serving(*options: str) -> Iterator[dict[str, str]]:
    """Start `modellab fake-server`, read its banner, and yield the variables it exports."""
    command = [sys.executable, "-m", "modellab_async", "fake-server", "--port", "0", *options]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(5)]
        assert banner[-1] == "Press Ctrl-C to stop.\n", banner
        exports = [line for line in banner if line.startswith("export ")]
        assert len(exports) == 2
        try:
            yield dict(word.split("=", 1) for line in exports for word in shlex.split(line)[1:])
        finally:
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0
    assert "Traceback" not in stderr


def test_the_export_lines_point_modellab_at_it_with_its_latency() -> None:
    with serving("--runs", "120", "--projects", "2", "--latency", "300") as exported:
        assert set(exported) == {"MODELLAB_BASE_URL", "DD_API_KEY", "DD_APP_KEY"}
        started = time.monotonic()
        result = CliRunner().invoke(app, ["runs", "get", "120", "--format", "jsonl"], env=exported)
        waited = time.monotonic() - started
    assert result.exit_code == 0, result.stderr
    assert '"id":"120"' in result.stdout
    assert waited >= 0.3  # the injected delay, not a measure of speed


def test_a_port_in_use_is_one_line_not_a_traceback() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "modellab_async",
                "fake-server",
                "--port",
                str(port),
                "--runs",
                "100",
            ],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert completed.stderr.splitlines()[-1] == (
        f"Error: cannot listen on 127.0.0.1:{port}: address already in use; "
        "pick another --port (0 picks a free one)"
    )
    assert completed.stderr.splitlines()[0] == "Generating 100 runs in 5 projects (seed 0)..."
    assert len(completed.stderr.splitlines()) == 2
