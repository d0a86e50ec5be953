"""The command line as a shell user meets it: options anywhere, errors that say what to set."""

from __future__ import annotations

import csv
import io
import re
import socket
import subprocess

import msgspec
import pytest

from modellab_async import Run
from modellab_async.testing import generate_dataset
from tests.cli.conftest import FakeModellab, Modellab, threaded_fake
from tests.cli.test_untrusted import on_terminal

TIMEOUT = 30


def ids(text: str) -> list[str]:
    return [msgspec.json.decode(line, type=Run).id for line in text.splitlines()]


def test_global_options_work_before_or_after_the_command(modellab: FakeModellab) -> None:
    after = modellab.run(
        "runs", "list", "--base-url", modellab.url, "--format", "jsonl", "--limit", "3"
    )
    before = modellab.run("--base-url", modellab.url, "runs", "list", "--limit", "3")
    from_env = modellab.run("runs", "list", "--limit", "3", env={"MODELLAB_BASE_URL": modellab.url})
    assert after.exit_code == before.exit_code == from_env.exit_code == 0, after.stderr
    assert ids(after.stdout) == ids(before.stdout) == ids(from_env.stdout) != []


def test_the_command_line_wins_over_the_environment(modellab: FakeModellab) -> None:
    nowhere = {"MODELLAB_BASE_URL": "http://127.0.0.1:9"}
    for args in (
        ("--base-url", modellab.url, "runs", "get", "5"),
        ("runs", "get", "5", "--base-url", modellab.url),
    ):
        result = modellab.run(*args, env=nowhere)
        assert result.exit_code == 0, result.stderr


def test_verbose_logs_each_request_on_stderr_and_never_a_key(modellab: FakeModellab) -> None:
    result = modellab.invoke("runs", "list", "--limit", "250", "-v")
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines == ["modellab: GET /api/v2/model-lab-api/runs: HTTP 200"] * 3
    quiet = modellab.invoke("runs", "list", "--limit", "250")
    assert quiet.stderr == ""


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DD_API_KEY": ""},
            "Error: DD_API_KEY is not set: export DD_API_KEY=<your Datadog API key>",
        ),
        ({"DD_APP_KEY": ""}, "Error: DD_APP_KEY is not set: export DD_APP_KEY="),
        (
            {"DD_SITE": "datadoghq.con"},
            "Error: DD_SITE='datadoghq.con' is not a Datadog site: set DD_SITE to one of datadoghq.com,",
        ),
    ],
)
def test_configuration_errors_name_what_to_set_in_the_shell(
    modellab: FakeModellab, env: dict[str, str], message: str
) -> None:
    result = modellab.run("runs", "get", "1", env=env)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert len(result.stderr.splitlines()) == 1
    if "DD_SITE" in env:
        assert result.stderr.rstrip().endswith("or give --base-url URL")


def test_choices_ignore_case(modellab: FakeModellab) -> None:
    result = modellab.invoke(
        "runs", "list", "--status", "Completed", "--format", "JSONL", "--limit", "2"
    )
    assert result.exit_code == 0, result.stderr
    assert dict(modellab.fake.requests[-1].query)["filter[status]"] == "completed"
    wrong = modellab.invoke("runs", "list", "--status", "done")
    assert wrong.exit_code == 2
    assert "'completed'" in wrong.stderr
    assert "'failed'" in wrong.stderr


def test_projects_sort_help_lists_only_project_fields(modellab: FakeModellab) -> None:
    projects = modellab.run("projects", "list", "--help").stdout
    runs = modellab.run("runs", "list", "--help").stdout
    assert "one of created_at, name, updated_at." in " ".join(projects.split())
    assert "duration" not in projects
    assert "one of created_at, duration, name, updated_at." in " ".join(runs.split())


def refused_port() -> int:
    """Return a loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_retries_show_on_a_terminal_and_the_error_counts_the_attempts() -> None:
    nowhere = Modellab(url=f"http://127.0.0.1:{refused_port()}")
    shown = on_terminal(nowhere, "runs", "get", "1")
    # Each status line replaces the last; a short wait may be redrawn before it shows.
    assert re.search(r"retrying in \d+\.\d s \(attempt [2-6] of 6\): connection refused", shown)
    assert "(attempt 6 of 6)" in shown
    last = shown.strip().splitlines()[-1]
    assert last.startswith("Error: GET /api/v2/model-lab-api/runs/1:")
    assert last.endswith("(gave up after 6 attempts)")


def test_off_a_terminal_only_the_error_line_counts_the_attempts() -> None:
    nowhere = Modellab(url=f"http://127.0.0.1:{refused_port()}")
    result = nowhere.invoke("runs", "get", "1")
    assert result.exit_code == 1
    assert result.stderr.endswith("(gave up after 6 attempts)\n")
    assert len(result.stderr.splitlines()) == 1


def test_verbose_logs_each_retry() -> None:
    nowhere = Modellab(url=f"http://127.0.0.1:{refused_port()}")
    result = nowhere.invoke("-v", "runs", "get", "1")
    retries = [line for line in result.stderr.splitlines() if "; retry " in line]
    assert [line.split("; retry ")[1].split(" in ")[0] for line in retries] == [
        f"{n} of 5" for n in range(1, 6)
    ]
    assert "fake-api-key" not in result.stderr


def test_changes_confirm_on_a_terminal_and_say_nothing_in_a_pipe(modellab: FakeModellab) -> None:
    for args, said in [
        (("runs", "pin", "7"), "Pinned run 7."),
        (("runs", "unpin", "7"), "Unpinned run 7."),
        (("projects", "star", "2"), "Starred project 2."),
        (("projects", "unstar", "2"), "Unstarred project 2."),
        (("runs", "delete", "8", "--yes"), "Deleted run 8."),
    ]:
        assert on_terminal(modellab, *args).strip() == said
    piped = modellab.invoke("runs", "pin", "7")
    assert piped.exit_code == 0
    assert piped.stdout == piped.stderr == ""


def test_artifacts_get_refuses_a_terminal_unless_asked(modellab: FakeModellab) -> None:
    path = "runs/5/metrics.json"
    project_id = str(next(r.project_id for r in modellab.fake.dataset.runs if r.id == 5))
    refused = on_terminal(modellab, "artifacts", "get", project_id, path)
    assert "give -o - to print it on the terminal anyway" in refused
    asked = on_terminal(modellab, "artifacts", "get", project_id, path, "-o", "-")
    assert asked
    assert "Error" not in asked
    piped = modellab.invoke("artifacts", "get", project_id, path)
    assert piped.exit_code == 0
    assert piped.stdout_bytes


def test_csv_streams_from_the_first_page(slow_modellab: FakeModellab) -> None:
    with slow_modellab.popen(
        "runs", "list", "--page-size", "10", "--format", "csv",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    ) as process:  # fmt: skip
        assert process.stdout is not None
        header = process.stdout.readline()
        first = process.stdout.readline()
        pages_served = sum(r.path.endswith("/runs") for r in slow_modellab.fake.requests)
        process.kill()
    assert header.startswith(b"id,project_id,name,status")
    assert first.split(b",")[0].isdigit()
    assert pages_served < 20  # of 100 pages: the rows came before the listing ended


def test_csv_keeps_the_first_pages_columns_and_names_those_it_left_out() -> None:
    dataset = generate_dataset(runs=30, projects=1, seed=0)
    newest = max(dataset.runs, key=lambda run: run.created_at)
    newest.params = []  # the first page of one run has no param column at all
    with threaded_fake(dataset=dataset) as fake:
        result = FakeModellab.serving(fake).invoke(
            "runs", "list", "--page-size", "1", "--limit", "5", "--format", "csv"
        )
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert len(rows) == 6
    assert not any(name.startswith("param.") for name in rows[0])
    assert {len(row) for row in rows} == {len(rows[0])}
    assert result.stderr.startswith("modellab: CSV has the columns of the first page; ")
    assert "param.batch_size" in result.stderr
    assert result.stderr.rstrip().endswith("--format jsonl or parquet keeps every field")
    assert len(result.stderr.splitlines()) == 1
