"""Artifact listings of projects and runs."""

from __future__ import annotations

from datetime import datetime

from .jsonapi import Model

__all__ = [
    "ArtifactInfo",
    "ArtifactObjectInfo",
    "ProjectArtifacts",
    "ProjectArtifactsAttributes",
    "RunArtifacts",
    "RunArtifactsAttributes",
]


class ArtifactInfo(Model):
    """A project-level artifact file; `artifact_path` is what `artifacts.read` takes."""

    filename: str
    artifact_path: str
    created_at: datetime
    file_size: int | None = None


class ProjectArtifactsAttributes(Model):
    """The files of a project."""

    files: list[ArtifactInfo]


class ProjectArtifacts(Model):
    """A project artifacts resource (`type` `"project_files"`)."""

    id: str
    type: str
    attributes: ProjectArtifactsAttributes


class ArtifactObjectInfo(Model):
    """A file or folder of a run, its `path` relative to the run's artifact root."""

    path: str
    is_dir: bool
    file_size: int | None = None


class RunArtifactsAttributes(Model):
    """The files of a run and where they live in the project (`path_in_project`)."""

    path_in_project: str
    files: list[ArtifactObjectInfo]


class RunArtifacts(Model):
    """A run artifacts resource (`type` `"artifacts"`).

    The content path of a file is `f"{path_in_project}/{file.path}"`; see
    `RunArtifacts.artifact_path`.
    """

    id: str
    type: str
    attributes: RunArtifactsAttributes

    def artifact_path(self, file: ArtifactObjectInfo) -> str:
        """Return the project-relative path of `file`, as `artifacts.read` takes it."""
        return f"{self.attributes.path_in_project.rstrip('/')}/{file.path.lstrip('/')}"
