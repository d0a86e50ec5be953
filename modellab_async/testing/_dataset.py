"""The fake's data model: projects, runs, artifacts, pins and stars, with a JSON form."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal, TypedDict

import msgspec

# datetime.UTC needs Python 3.11; the package supports 3.10.
UTC = timezone.utc  # noqa: UP017

RunStatus = Literal["pending", "running", "completed", "failed", "killed", "unresponsive", "paused"]
RUN_STATUSES: tuple[RunStatus, ...] = (
    "pending",
    "running",
    "completed",
    "failed",
    "killed",
    "unresponsive",
    "paused",
)
FINISHED_STATUSES: frozenset[RunStatus] = frozenset({"completed", "failed", "killed"})

# Every Struct below but Dataset sets gc=False: none can take part in a reference cycle,
# and keeping 100,000s of runs away from the cyclic collector makes generation ~40% faster.

# Numbers documented as doubles: the real service sometimes sends whole values as JSON integers.
Number = int | float


class Tag(msgspec.Struct, frozen=True, gc=False):
    """A key-value tag on a project or run."""

    key: str
    value: str


class Param(msgspec.Struct, frozen=True, gc=False):
    """A run parameter; values are strings on the wire, as MLflow logs them."""

    key: str
    value: str


class MetricSummary(msgspec.Struct, frozen=True, gc=False):
    """Summary statistics of one metric of a run (the service never sends `stddev`)."""

    key: str
    count: int
    first_step: int
    last_step: int
    latest: Number
    max: Number
    mean: Number
    min: Number


class ArtifactFile(msgspec.Struct, frozen=True, gc=False):
    """One stored file.

    `path` is relative to the run's artifact root for run files, and is the full
    `artifact_path` (relative to the project) for project files. When `content` is
    None the bytes are synthesised as the name suggests: a run's `metrics.json`
    and `config.json` hold JSON made from the run (their `size` follows the
    run), `.log` files text lines, others random bytes derived from the path.
    That keeps large generated datasets small in memory.
    """

    path: str
    size: int
    created_at: datetime
    content: bytes | None = None


class Project(msgspec.Struct, kw_only=True, gc=False):
    """A Model Lab project."""

    id: int
    name: str
    description: str
    artifact_storage_location: str
    created_at: datetime
    updated_at: datetime
    tags: list[Tag]
    owner_id: str | None = None
    external_url: str | None = None
    deleted_at: datetime | None = None
    artifacts: list[ArtifactFile] = []


class Run(msgspec.Struct, kw_only=True, gc=False):
    """A Model Lab run; `parent_run_id` links the run into its project's run tree."""

    id: int
    project_id: int
    name: str
    description: str
    status: RunStatus
    mlflow_artifact_location: str
    started_at: datetime
    created_at: datetime
    updated_at: datetime
    tags: list[Tag]
    params: list[Param] | None
    metric_summaries: list[MetricSummary]
    parent_run_id: int | None = None
    completed_at: datetime | None = None
    duration: Number | None = None
    external_url: str | None = None
    owner_id: str | None = None
    deleted_at: datetime | None = None
    artifacts: list[ArtifactFile] = []


class RunFields(TypedDict, total=False):
    """Fields of a run that `FakeModelLab.add_run` and `FakeModelLab.update_run` set.

    Any subset may be given; the ids, the links (project and parent) and the
    timestamps the fake keeps itself (`created_at`, `started_at`,
    `updated_at`, `deleted_at`) are not among them.
    """

    name: str
    description: str
    status: RunStatus
    tags: list[Tag]
    params: list[Param] | None
    metric_summaries: list[MetricSummary]
    completed_at: datetime | None
    duration: Number | None
    external_url: str | None
    owner_id: str | None
    artifacts: list[ArtifactFile]


class Dataset(msgspec.Struct, kw_only=True):
    """Everything the fake serves.

    `pins` maps an application key to {run id: pin time}; `stars` maps an
    application key to {project id: star time}. Once handed to a
    `FakeModelLab`, treat it as read-only: the server keeps indexes over it and
    mutates it only through its HTTP API and its methods (`add_run`,
    `update_run`, ...).
    """

    projects: list[Project]
    runs: list[Run]
    pins: dict[str, dict[int, datetime]] = {}
    stars: dict[str, dict[int, datetime]] = {}

    def to_json(self) -> bytes:
        """Encode the dataset as JSON (synthesised artifact bytes are not stored)."""
        return msgspec.json.encode(self)

    @classmethod
    def from_json(cls, data: bytes | str) -> Dataset:
        """Decode a dataset written by `to_json`, validating every field's type."""
        return msgspec.json.decode(data, type=cls)
