"""`python -m modellab_async.testing`: the fake served from a shell, as a user starts it."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time

from modellab_async import BlockingModelLabClient
from modellab_async.testing import generate_dataset

_STARTUP_SECONDS = 30
#: What the fake serves from `--runs 150 --projects 3` and the default seed: soft-deleted runs are not listed.
_LIVE_RUNS = [run for run in generate_dataset(runs=150, projects=3).runs if run.deleted_at is None]


def _lines(process: subprocess.Popen[bytes], count: int) -> list[str]:
    """Read the first `count` lines of the server's output, within `_STARTUP_SECONDS`."""
    assert process.stdout is not None
    descriptor, output = process.stdout.fileno(), b""
    deadline = time.monotonic() + _STARTUP_SECONDS
    while output.count(b"\n") < count:
        ready, _, _ = select.select([descriptor], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, f"the fake wrote {output!r} in {_STARTUP_SECONDS} s"
        chunk = os.read(descriptor, 4096)
        assert chunk, f"the fake exited after writing {output!r}"
        output += chunk
    return output.decode().splitlines()[:count]


def test_the_module_serves_the_fake_and_ctrl_c_stops_it() -> None:
    command = [sys.executable, "-m", "modellab_async.testing"]
    arguments = ["--port", "0", "--runs", "150", "--projects", "3", "--rate-limit", "1000/10"]
    with subprocess.Popen([*command, *arguments], stdout=subprocess.PIPE) as process:
        try:
            banner, api_key, app_key, stop = _lines(process, 4)
            url = banner.rpartition(" at ")[2]
            assert banner.startswith("Fake Model Lab API serving 150 runs at http://127.0.0.1:")
            assert stop == "Press Ctrl-C to stop."
            with BlockingModelLabClient(
                base_url=url,
                api_key=api_key.removeprefix("DD_API_KEY="),
                app_key=app_key.removeprefix("DD_APP_KEY="),
            ) as client:
                assert len(client.runs.list().collect()) == len(_LIVE_RUNS)
                assert len(client.projects.list().collect()) == 3
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=_STARTUP_SECONDS) == 0
        finally:
            if process.poll() is None:
                process.kill()
