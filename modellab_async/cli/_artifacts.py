"""`modellab artifacts ...`: list a run's or a project's files, fetch one, download a run's tree."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import anyio
import click

from .. import ModelLabClient
from ._emit import emit
from ._options import output_options
from ._output import Output
from ._progress import STDERR, byte_bars, show_progress
from ._run import ClientGroup, CommandError, client_command
from ._text import first_names, printable
from ._views import ARTIFACTS, RunFile

__all__ = ["MAX_DEPTH", "DownloadedTree", "artifacts", "download_run_artifacts", "run_files"]

DEFAULT_CONCURRENCY = 8
#: How many folders deep `run_files` descends: a service whose folders list
#: ever deeper ones cannot keep a walk going forever.
MAX_DEPTH = 32


@click.group(cls=ClientGroup)
def artifacts() -> None:
    """Artifact files: list them, fetch one, or download a run's whole tree."""


def _say_skipped(kind: str, folders: list[str]) -> None:
    if folders:
        named = first_names([repr(folder) for folder in folders])
        STDERR.console.print(f"modellab: skipped {len(folders)} {kind}: {named}", markup=False)


async def run_files(
    client: ModelLabClient, run_id: int, path: str | None = None, *, recursive: bool = False
) -> list[RunFile]:
    """List a run's files and folders under `path`; `recursive` descends into every folder.

    Each folder is listed once and at most `MAX_DEPTH` levels down, so a tree
    that lists itself ends; one line on stderr names the folders skipped.
    Each path is returned once.
    """
    project_id = (await client.runs.get(run_id)).attributes.project_id
    found: dict[str, RunFile] = {}
    seen = {(path or "").strip("/")}
    repeated: list[str] = []
    too_deep: list[str] = []
    folders: list[tuple[str | None, int]] = [(path, 0)]
    while folders:
        folder, depth = folders.pop()
        listing = await client.runs.artifacts(run_id, folder)
        for entry in listing.attributes.files:
            found.setdefault(
                entry.path,
                RunFile(
                    run_id=run_id,
                    project_id=project_id,
                    path=entry.path,
                    artifact_path=listing.artifact_path(entry),
                    is_dir=entry.is_dir,
                    file_size=entry.file_size,
                ),
            )
            if not (recursive and entry.is_dir):
                continue
            key = entry.path.strip("/")
            if key in seen:
                repeated.append(entry.path)
            elif depth >= MAX_DEPTH:
                too_deep.append(entry.path)
            else:
                seen.add(key)
                folders.append((entry.path, depth + 1))
    _say_skipped("folders listed already (the tree has a cycle)", repeated)
    _say_skipped(f"folders more than {MAX_DEPTH} levels deep", too_deep)
    return sorted(found.values(), key=lambda file: file.path)


def _inside(dest: Path, relative: str) -> Path:
    """Return `dest / relative`, refusing a path the service sent that would leave `dest`."""
    parts = PurePosixPath(relative.replace("\\", "/")).parts
    if not parts or PurePosixPath(relative).is_absolute() or ".." in parts:
        raise CommandError(f"refusing to write artifact {relative!r} outside {dest}")
    return dest.joinpath(*parts)


@dataclass(frozen=True)
class DownloadedTree:
    """What `download_run_artifacts` wrote."""

    paths: list[Path]
    size: int


async def download_run_artifacts(
    client: ModelLabClient,
    run_id: int,
    dest: Path,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_progress: Callable[[int, int], None] | None = None,
) -> DownloadedTree:
    """Download every file of a run into `dest`, keeping its folders, `concurrency` at a time.

    Each file is written atomically by `client.artifacts.download`. `on_progress`
    gets `(total_bytes, done_bytes)` before the first and after each file.
    """
    files = [file for file in await run_files(client, run_id, recursive=True) if not file.is_dir]
    targets = [(file, _inside(dest, file.path)) for file in files]
    total = sum(file.file_size or 0 for file in files)
    done = 0
    limiter = anyio.CapacityLimiter(concurrency)

    async def fetch(file: RunFile, target: Path) -> None:
        nonlocal done
        async with limiter:
            await client.artifacts.download(file.project_id, file.artifact_path, target)
        done += file.file_size or 0
        if on_progress is not None:
            on_progress(total, done)

    if on_progress is not None:
        on_progress(total, 0)
    async with anyio.create_task_group() as group:
        for file, target in targets:
            group.start_soon(fetch, file, target)
    return DownloadedTree([target for _, target in targets], total)


@artifacts.command("ls")
@click.option("--run", "run_id", type=click.IntRange(min=1), help="List this run's files.")
@click.option("--project", "project_id", type=click.IntRange(min=1), help="List a project's.")
@click.option("--path", help="With --run: list this folder.")
@click.option("--recursive", "-r", is_flag=True, help="With --run: descend into folders.")
@output_options()
@client_command
async def list_artifacts(
    client: ModelLabClient,
    /,
    *,
    run_id: int | None,
    project_id: int | None,
    path: str | None,
    recursive: bool,
    fmt: str | None,
    output: str,
) -> None:
    """List the files of a run (--run) or of a project (--project)."""
    out = Output.resolve(fmt, output)
    if run_id is not None and project_id is not None:
        raise click.UsageError("give --run or --project, not both")
    if run_id is not None:
        await emit(await run_files(client, run_id, path, recursive=recursive), ARTIFACTS, out)
    elif project_id is not None:
        files = (await client.projects.artifacts(project_id)).attributes.files
        await emit(files, ARTIFACTS, out)
    else:
        raise click.UsageError("give --run RUN_ID or --project PROJECT_ID")


@artifacts.command("get")
@click.argument("project_id", type=click.IntRange(min=1))
@click.argument("artifact_path")
@click.option(
    "--output",
    "-o",
    type=click.Path(allow_dash=True),
    help="File or existing folder to write; - is stdout, the default when it is not a terminal.",
)
@client_command
async def get_artifact(
    client: ModelLabClient, /, *, project_id: int, artifact_path: str, output: str | None
) -> None:
    """Fetch one file (an `artifact_path` as `artifacts ls` shows it) to stdout or a path."""
    if output is None and sys.stdout.isatty():
        raise click.UsageError(
            "an artifact may be binary: write it to a file with -o PATH, "
            "or give -o - to print it on the terminal anyway"
        )
    if output is not None and output != "-":
        written = await client.artifacts.download(project_id, artifact_path, output)
        click.echo(str(written))
        return
    stdout = sys.stdout.buffer
    async with aclosing(client.artifacts.stream(project_id, artifact_path)) as chunks:
        async for chunk in chunks:
            stdout.write(chunk)
    stdout.flush()


@artifacts.command("download")
@click.argument("run_id", type=click.IntRange(min=1))
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="Files downloaded at once.",
)
@client_command
async def download(client: ModelLabClient, /, *, run_id: int, dest: Path, concurrency: int) -> None:
    """Download a run's whole artifact tree into DEST; prints each file written."""
    with byte_bars(enabled=show_progress()) as bars:
        task = bars.add_task(f"run {run_id}", total=None)

        def advance(total: int, done: int) -> None:
            bars.update(task, total=total, completed=done)

        tree = await download_run_artifacts(
            client, run_id, dest, concurrency=concurrency, on_progress=advance
        )
    for path in tree.paths:
        click.echo(printable(str(path)) if sys.stdout.isatty() else str(path))
    if show_progress():
        click.echo(f"Downloaded {len(tree.paths)} files ({tree.size:,} bytes) to {dest}", err=True)
