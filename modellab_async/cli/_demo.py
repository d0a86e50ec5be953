"""`modellab demo`: a realistic session against the bundled fake server, offline.

It serves a seeded dataset of tens of thousands of runs on 127.0.0.1, then,
through the public client only, streams every run of a project, ranks them by
a metric, compares the best runs' params, reads the project's facets and
downloads the best run's artifacts, printing the `modellab` command for each step.
"""

from __future__ import annotations

import heapq
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console

from .. import ModelLabClient, Run, RunStatus
from ..frames import RUNS, Row
from ._artifacts import download_run_artifacts
from ._emit import emit
from ._output import Format, Output, View
from ._progress import byte_bars, item_bars, show_progress, track_pages
from ._run import run
from ._views import FACET_KEYS, FACET_VALUES, PROJECT_LIST

__all__ = ["demo"]

TOP = 5
TABLE = Output(Format.TABLE)


@contextmanager
def _folder(dest: Path | None) -> Iterator[Path]:
    """Yield `dest`, or a temporary folder removed on exit."""
    if dest is not None:
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


class _Demo:
    """The demo's steps, each printing the command a user would type for it."""

    def __init__(self, client: ModelLabClient, console: Console) -> None:
        self.client = client
        self.console = console

    def step(self, title: str, command: str) -> None:
        self.console.print(f"\n[bold]{title}[/bold]\n[dim]$ {command}[/dim]")

    async def projects(self) -> int:
        self.step("Projects", "modellab projects list")
        listing = await self.client.projects.list().collect()
        await emit(listing, PROJECT_LIST, TABLE)
        return int(listing[0].id)

    async def top_runs(self, project_id: int, metric: str) -> list[Run]:
        self.step(
            f"Every run of project {project_id}, streamed page by page; "
            f"the {TOP} completed runs with the best final {metric}",
            f"modellab runs list --project {project_id} --format jsonl > runs.jsonl",
        )
        best: list[tuple[float, int, Run]] = []
        seen = 0
        with item_bars(enabled=show_progress()) as bars:
            pages = self.client.runs.list(project_id=project_id).pages()
            async for page in track_pages(pages, bars, "runs"):
                seen += len(page.items)
                for item in page.items:
                    value = _latest(item, metric)
                    if value is not None:
                        entry = (value, -int(item.id), item)
                        (heapq.heappushpop if len(best) >= TOP else heapq.heappush)(best, entry)
        self.console.print(f"Streamed {seen:,} runs.")
        return [item for _, _, item in sorted(best, key=lambda entry: entry[:2], reverse=True)]

    async def compare(self, project_id: int, top: list[Run], metric: str) -> None:
        self.step(
            "Their params side by side (or load every run into pandas or polars via Parquet)",
            f"modellab runs list --project {project_id} --status completed "
            "--format parquet -o runs.parquet",
        )
        rows = [RUNS.row(item) for item in top]
        params = sorted({name for row in rows for name in row if name.startswith("param.")})
        columns = ("id", "name", f"metric.{metric}.latest", *params)

        def shown(row: Row) -> tuple[Row]:
            return ({name: row.get(name) for name in columns},)

        await emit(rows, View(shown, columns=columns), TABLE)

    async def facets(self, project_id: int, metric: str) -> None:
        self.step("Facets of the project's runs", f"modellab runs facets {project_id}")
        await emit([await self.client.runs.facet_keys(project_id)], FACET_KEYS, TABLE)
        self.step(
            f"How {metric} ranges across the runs",
            f"modellab runs facets {project_id} --type metric --name {metric}",
        )
        values = await self.client.runs.facet_values(project_id, "metric", metric)
        await emit([values], FACET_VALUES, TABLE)

    async def download(self, run_id: int, dest: Path) -> None:
        self.step(f"The artifacts of run {run_id}", f"modellab artifacts download {run_id} {dest}")
        with byte_bars(enabled=show_progress()) as bars:
            task = bars.add_task(f"run {run_id}", total=None)

            def advance(total: int, done: int) -> None:
                bars.update(task, total=total, completed=done)

            tree = await download_run_artifacts(self.client, run_id, dest, on_progress=advance)
        for path in tree.paths:
            self.console.print(f"  {path.relative_to(dest)}  ({path.stat().st_size:,} bytes)")


async def _main(runs: int, projects: int, seed: int, metric: str, dest: Path | None) -> None:
    from ..testing import FakeModelLab  # noqa: PLC0415  # aiohttp.web, only for the demo

    console = Console(highlight=False, soft_wrap=True)
    started = time.perf_counter()
    async with FakeModelLab(runs=runs, projects=projects, seed=seed) as fake:
        console.print(
            f"A fake Model Lab API is serving {runs:,} runs in {projects} projects at {fake.url}."
        )
        async with ModelLabClient(
            base_url=fake.url, api_key=fake.api_key, app_key=fake.app_key
        ) as client:
            steps = _Demo(client, console)
            project_id = await steps.projects()
            top = await steps.top_runs(project_id, metric)
            await steps.compare(project_id, top, metric)
            await steps.facets(project_id, metric)
            with _folder(dest) as folder:
                await steps.download(int(top[0].id), folder)
    console.print(
        f"\nDone in {time.perf_counter() - started:.1f} s. The same commands work on the real API:\n"
        "  export DD_API_KEY=<api key> DD_APP_KEY=<application key> DD_SITE=<e.g. datadoghq.eu>\n"
        "  modellab projects list\n"
        "  modellab runs list --project <id> --status completed --limit 20 --format table\n"
        "Or keep a fake running with `modellab fake-server --port 8126` and add "
        "`--base-url http://127.0.0.1:8126` (keys: fake-api-key, fake-app-key)."
    )


@click.command()
@click.option("--runs", default=30_000, show_default=True, type=click.IntRange(min=100))
@click.option("--projects", default=5, show_default=True, type=click.IntRange(1, 50))
@click.option("--seed", default=0, show_default=True, help="Seed of the generated dataset.")
@click.option(
    "--metric", default="accuracy", show_default=True, help="Rank runs by its final value."
)
@click.option(
    "--dest",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the downloaded artifacts here (default: a temporary folder, removed after).",
)
def demo(runs: int, projects: int, seed: int, metric: str, dest: Path | None) -> None:
    """Try modellab offline: a fake server with a seeded dataset, and a typical session."""
    run(_main(runs, projects, seed, metric, dest))
