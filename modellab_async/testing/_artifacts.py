"""Artifact trees: list a directory level, and produce a file's bytes."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

import msgspec

from ._dataset import ArtifactFile, Run


@dataclass(frozen=True)
class DirectoryEntry:
    """A file or directory directly inside a listed directory."""

    path: str
    is_dir: bool
    size: int | None


def normalize_path(path: str) -> str:
    """Return `path` without leading, trailing or doubled slashes."""
    return "/".join(part for part in path.split("/") if part)


def list_directory(files: Iterable[ArtifactFile], directory: str) -> list[DirectoryEntry]:
    """List the entries directly inside `directory`, as MLflow does, sorted by path.

    Paths stay relative to the tree's root; an unknown directory lists nothing.
    """
    prefix = f"{normalize_path(directory)}/" if normalize_path(directory) else ""
    entries: dict[str, DirectoryEntry] = {}
    for file in files:
        if not file.path.startswith(prefix):
            continue
        name, slash, _ = file.path[len(prefix) :].partition("/")
        path = prefix + name
        entries[path] = (
            DirectoryEntry(path, is_dir=True, size=None)
            if slash
            else (DirectoryEntry(path, is_dir=False, size=file.size))
        )
    return [entries[path] for path in sorted(entries)]


def artifact_bytes(
    file: ArtifactFile, project_id: int, artifact_path: str, run: Run | None = None
) -> bytes:
    """Return the file's bytes: its stored content, or bytes that look like what its name says.

    A run's `metrics.json` is a JSON object of each metric's latest value and its
    `config.json` a JSON object of its params (numbers and booleans typed, as
    the script that logged them had them); a `.log` file holds text lines; any
    other file holds random bytes. Bytes not derived from the run are derived
    from where the file lives, so they are the same on every request.
    """
    if file.content is not None:
        return file.content
    derived = derived_json(run, file) if run is not None else None
    if derived is not None:
        return derived
    # A str seed is hashed with SHA-512, so the bytes are the same in every process.
    rng = random.Random(f"{project_id}/{artifact_path}")
    if file.path.endswith(".log"):
        return _log_lines(rng, file.size)
    return rng.randbytes(file.size)


def derived_json(run: Run, file: ArtifactFile) -> bytes | None:
    """Return the JSON a run file without content holds when its name is one the run fills."""
    if file.content is not None:
        return None
    name = file.path.rpartition("/")[2]
    if name == "metrics.json":
        return msgspec.json.encode(
            {summary.key: summary.latest for summary in run.metric_summaries}
        )
    if name == "config.json":
        return msgspec.json.encode({param.key: _typed(param.value) for param in run.params or ()})
    return None


def with_derived_sizes(run: Run) -> list[ArtifactFile]:
    """Return the run's files, those whose JSON derives from the run sized as that JSON."""
    return [
        file if (content := derived_json(run, file)) is None else _resized(file, len(content))
        for file in run.artifacts
    ]


def _resized(file: ArtifactFile, size: int) -> ArtifactFile:
    return file if file.size == size else msgspec.structs.replace(file, size=size)


def _typed(value: str) -> str | int | float | bool:
    """Return a param's value as the JSON number or boolean it spells, or as it is."""
    try:
        return msgspec.json.decode(value, type=int | float | bool)
    except msgspec.DecodeError:
        return value


def _log_lines(rng: random.Random, size: int) -> bytes:
    """Return `size` bytes of training log lines, the last one cut short and ended."""
    lines: list[str] = []
    length = 0
    step = 0
    while length < size:
        step += 10
        loss = rng.uniform(0.01, 3.0)
        line = f"INFO step={step} loss={loss:.4f} grad_norm={rng.uniform(0.1, 5.0):.3f}\n"
        lines.append(line)
        length += len(line)
    text = "".join(lines).encode()[:size]
    return text[:-1] + b"\n" if text else text
