"""Artifact trees: list a directory level, and produce a file's bytes."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

from ._dataset import ArtifactFile


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


def artifact_bytes(file: ArtifactFile, project_id: int, artifact_path: str) -> bytes:
    """Return the file's bytes: its stored content, or bytes derived from where it lives."""
    if file.content is not None:
        return file.content
    # A str seed is hashed with SHA-512, so the bytes are the same in every process.
    return random.Random(f"{project_id}/{artifact_path}").randbytes(file.size)
