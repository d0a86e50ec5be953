"""`modellab demo`: a realistic session against the bundled fake server, offline.

It serves a seeded dataset of tens of thousands of runs on 127.0.0.1, then,
through the public client only, lists the projects, streams every run of one
into a file, ranks the runs by a metric, shows the best one, reads the
project's facets and downloads the best run's artifacts; then it syncs
everything into a DuckDB file, ranks the runs in SQL, changes some runs on the
fake and syncs again, which moves only the changes. Each step prints the
`modellab` command that produces the output shown, as `modellab fake-server`
(serving the same dataset) answers it when run in the demo's folder.
"""

from __future__ import annotations

import heapq
import shlex
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import anyio
import click
import msgspec
from rich.console import Console

from .. import ModelLabClient, Run, RunStatus
from ..frames import RUNS, Row
from ..testing import FakeModelLab
from ._artifacts import download_run_artifacts
from ._emit import emit, emit_listing
from ._fake_server import DEFAULT_PROJECTS, DEFAULT_RUNS, DEFAULT_SEED, generate_fake
from ._output import Format, Output, View
from ._progress import byte_bars, show_progress
from ._run import CommandError, run
from ._sql import query_rows
from ._sync import DEFAULT_OUTPUT, SyncOrder, synchronize
from ._views import FACET_KEYS, FACET_VALUES, PROJECT_LIST, RUN, RUN_LIST

__all__ = ["demo"]

TOP = 5
TABLE = Output(Format.TABLE)
RUNS_FILE = "runs.jsonl"
DATABASE = DEFAULT_OUTPUT
#: The demo's changes to its fake between the two syncs, seeded as the dataset is.
CHANGES = 20
CHURN_SEED = 1
LEADERBOARD = (
    "select r.id, r.name, m.latest as {metric} from runs r "
    "join run_metrics m on m.run_id = r.id and m.key = '{metric}' "
    "where r.project_id = '{project_id}' and r.status = 'completed' "
    "order by m.latest desc, r.id limit {top}"
)


@contextmanager
def _folder(dest: Path | None) -> Iterator[Path]:
    """Yield `dest`, created if need be, or a temporary folder removed on exit."""
    if dest is not None:
        dest.mkdir(parents=True, exist_ok=True)
        yield dest
        return
    with tempfile.TemporaryDirectory(prefix="modellab-demo-") as temporary:
        yield Path(temporary)


def _latest(run: Run, metric: str) -> float | None:
    """Return the last value a completed run logged for `metric`, if any."""
    summary = run.metric(metric)
    if run.attributes.status != RunStatus.COMPLETED or summary is None:
        return None
    return summary.latest


def _best(runs: Iterator[Run], metric: str) -> list[Run]:
    """Return the `TOP` completed runs with the highest final `metric`, best first."""
    best: list[tuple[float, int, Run]] = []
    for item in runs:
        value = _latest(item, metric)
        if value is not None:
            entry = (value, -int(item.id), item)
            (heapq.heappushpop if len(best) >= TOP else heapq.heappush)(best, entry)
    return [item for _, _, item in sorted(best, key=lambda entry: entry[:2], reverse=True)]


def fake_server_command(runs: int, projects: int, seed: int) -> str:
    """Return the `modellab fake-server` command that serves the same dataset."""
    options = [
        f"--{name} {value}"
        for name, value, default in (
            ("runs", runs, DEFAULT_RUNS),
            ("projects", projects, DEFAULT_PROJECTS),
            ("seed", seed, DEFAULT_SEED),
        )
        if value != default
    ]
    return " ".join(["modellab fake-server", *options])


def _shell_word(word: str) -> str:
    """Quote a word for a shell; SQL's single quotes read better inside double quotes."""
    if "'" in word and not any(c in word for c in '"$`\\!'):
        return f'"{word}"'
    return shlex.quote(word)


class _Demo:
    """The demo's steps: each prints a title, the command, then that command's output."""

    def __init__(
        self, fake: FakeModelLab, client: ModelLabClient, console: Console, folder: Path
    ) -> None:
        self.fake = fake
        self.client = client
        self.console = console
        self.folder = folder

    def step(self, title: str, *command: str) -> None:
        self.console.print(f"\n{title}", style="bold", markup=False)
        if command:
            self.console.print(
                f"$ {' '.join(map(_shell_word, ['modellab', *command]))}",
                style="cyan",
                markup=False,
            )

    def note(self, text: str) -> None:
        """Say something that is not a command's output, as a shell comment."""
        self.console.print(f"# {text}", style="dim", markup=False)

    async def projects(self) -> int:
        self.step("The projects", "projects", "list", "--format", "table")
        listing = await self.client.projects.list().collect()
        await emit(listing, PROJECT_LIST, TABLE)
        return int(listing[0].id)

    async def stream_runs(self, project_id: int) -> Path:
        target = self.folder / RUNS_FILE
        self.step(
            f"Every run of project {project_id}, streamed page by page into a file",
            *("runs", "list", "--project", str(project_id), "--format", "jsonl", "-o", RUNS_FILE),
        )
        listing = self.client.runs.list(project_id=project_id)
        await emit_listing(listing, RUN_LIST, Output(Format.JSONL, str(target)), description="runs")
        with target.open("rb") as lines:
            count = sum(1 for _ in lines)
        self.note(f"{RUNS_FILE}: {count:,} runs, one JSON object per line")
        return target

    async def rank(self, runs_file: Path, project_id: int, metric: str) -> list[Run]:
        self.step(f"The {TOP} completed runs with the best final {metric}, ranked from {RUNS_FILE}")
        decoder = msgspec.json.Decoder(Run)
        with runs_file.open("rb") as lines:
            top = _best((decoder.decode(line) for line in lines), metric)
        if not top:
            raise CommandError(f"no completed run of project {project_id} logged {metric!r}")
        rows = [RUNS.row(item) for item in top]
        params = sorted({name for row in rows for name in row if name.startswith("param.")})
        columns = ("id", "name", f"metric.{metric}.latest", *params)

        def shown(row: Row) -> tuple[Row]:
            return ({name: row.get(name) for name in columns},)

        await emit(rows, View(shown, columns=columns), TABLE)
        self.note(
            "ranked by the demo in Python; to load every run into pandas or polars instead: "
            f"modellab runs list --project {project_id} --format parquet -o runs.parquet "
            '(needs pip install "modellab-async[arrow]")'
        )
        return top

    async def best(self, run_id: int) -> None:
        self.step(
            f"The best of them, run {run_id}", "runs", "get", str(run_id), "--format", "table"
        )
        await emit([await self.client.runs.get(run_id)], RUN, TABLE)

    async def facets(self, project_id: int, metric: str) -> None:
        project = str(project_id)
        self.step(
            "What the project's runs can be filtered on",
            "runs",
            "facets",
            project,
            "--format",
            "table",
        )
        await emit([await self.client.runs.facet_keys(project_id)], FACET_KEYS, TABLE)
        self.step(
            f"How {metric} ranges across them",
            *("runs", "facets", project, "--type", "metric", "--name", metric, "--format", "table"),
        )
        values = await self.client.runs.facet_values(project_id, "metric", metric)
        await emit([values], FACET_VALUES, TABLE)

    async def sync(self, title: str, *, reconcile: bool = False) -> None:
        command = ["sync", "--reconcile"] if reconcile else ["sync"]
        self.step(title, *command)
        fake = self.fake
        order = SyncOrder(output=str(self.folder / DATABASE), reconcile=reconcile)
        summary = await anyio.to_thread.run_sync(
            partial(
                synchronize,
                order,
                base_url=str(fake.url),
                api_key=fake.api_key,
                app_key=fake.app_key,
            )
        )
        self.console.print(summary, markup=False)

    async def leaderboard(self, project_id: int, metric: str) -> None:
        query = LEADERBOARD.format(project_id=project_id, metric=metric, top=TOP)
        self.step(f"The leaderboard, in SQL over {DATABASE}", "sql", query, "--format", "table")
        columns, rows = await anyio.to_thread.run_sync(query_rows, self.folder / DATABASE, query)
        await emit(rows, View(lambda row: (row,), columns=columns), TABLE)

    def change_runs(self) -> None:
        churn = self.fake.start_churn(0, seed=CHURN_SEED)
        churn.make(CHANGES)
        churn.stop()
        self.note(
            f"the demo changed {CHANGES} runs on its fake: {churn.inserted} new, "
            f"{churn.updated} updated, {churn.deleted} deleted (each with a fresh updated_at)"
        )

    async def download(self, run_id: int) -> None:
        dest = f"run-{run_id}"
        self.step(f"The artifacts of run {run_id}", "artifacts", "download", str(run_id), dest)
        with byte_bars(enabled=show_progress()) as bars:
            task = bars.add_task(f"run {run_id}", total=None)

            def advance(total: int, done: int) -> None:
                bars.update(task, total=total, completed=done)

            tree = await download_run_artifacts(
                self.client, run_id, self.folder / dest, on_progress=advance
            )
        for path in tree.paths:
            self.console.print(str(path.relative_to(self.folder)), markup=False)


async def _main(runs: int, projects: int, seed: int, metric: str, dest: Path | None) -> None:
    console = Console(highlight=False, soft_wrap=True)
    started = time.perf_counter()
    async with (
        generate_fake(runs, projects, seed) as fake,
        ModelLabClient(base_url=fake.url, api_key=fake.api_key, app_key=fake.app_key) as client,
    ):
        with _folder(dest) as folder:
            where = (
                f"in {folder}"
                if dest is not None
                else f"in a temporary folder, {folder}, removed at the end (--dest DIR keeps it)"
            )
            console.print(
                f"A fake Model Lab API is serving {runs:,} runs in {projects} projects at "
                f"{fake.url}.\nEach step shows a command and its output. To run them yourself, "
                f"start the same fake in another shell with "
                f"`{fake_server_command(runs, projects, seed)}`,\npaste the export lines it "
                f"prints, and run them in a folder of your own. The demo writes its files {where}.",
                markup=False,
            )
            steps = _Demo(fake, client, console, folder)
            project_id = await steps.projects()
            runs_file = await steps.stream_runs(project_id)
            top = await steps.rank(runs_file, project_id, metric)
            await steps.best(int(top[0].id))
            await steps.facets(project_id, metric)
            await steps.download(int(top[0].id))
            await steps.sync(f"A local copy of every run and project, in DuckDB ({DATABASE})")
            await steps.leaderboard(project_id, metric)
            steps.change_runs()
            await steps.sync("The same sync again: only what changed moves")
            await steps.sync(
                "Deleted runs leave listings: a reconciliation lists every id to find them",
                reconcile=True,
            )
    console.print(
        f"\nDone in {time.perf_counter() - started:.1f} s. The same commands work on the real API:\n"
        "  unset MODELLAB_BASE_URL\n"
        "  export DD_API_KEY=<api key> DD_APP_KEY=<application key> DD_SITE=<e.g. datadoghq.eu>\n"
        "  modellab projects list\n"
        "  modellab runs list --project <id> --status completed --limit 20 --format table",
        markup=False,
    )


@click.command(context_settings={"show_default": True})
@click.option("--runs", default=DEFAULT_RUNS, type=click.IntRange(min=100))
@click.option("--projects", default=DEFAULT_PROJECTS, type=click.IntRange(1, 50))
@click.option("--seed", default=DEFAULT_SEED, help="Seed of the generated dataset.")
@click.option("--metric", default="accuracy", help="Rank runs by its final value.")
@click.option(
    "--dest",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the demo's files here (default: a temporary folder, removed after).",
)
def demo(runs: int, projects: int, seed: int, metric: str, dest: Path | None) -> None:
    """Try modellab offline: a fake server with a seeded dataset, and a typical session."""
    run(_main(runs, projects, seed, metric, dest))
