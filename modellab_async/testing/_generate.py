"""Generate realistic, reproducible datasets from a seed."""

from __future__ import annotations

import random
import uuid
from bisect import bisect
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import accumulate
from typing import TypeVar

import msgspec

from ._artifacts import with_derived_sizes
from ._dataset import (
    FINISHED_STATUSES,
    UTC,
    ArtifactFile,
    Dataset,
    MetricSummary,
    Number,
    Param,
    Project,
    Run,
    RunStatus,
    Tag,
)

# The recordings the fake imitates were made in May 2026; generated history ends there.
NOW = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)
HISTORY = timedelta(days=180)

_PROJECT_NAMES = (
    "fraud-detection",
    "churn-prediction",
    "llm-finetune",
    "image-classifier",
    "recsys-ranking",
    "speech-to-text",
    "demand-forecast",
    "anomaly-detection",
    "search-relevance",
    "document-ocr",
)
_TEAMS = ("ml-platform", "risk", "growth", "vision", "nlp", "search")
_DOMAINS = ("finance", "retail", "ads", "support", "health")
_MODELS = ("bert-base", "resnet50", "xgboost", "gpt2", "llama-3-8b", "t5-small", "vit-b16")
_STAGES = ("dev", "staging", "prod")
_DATASETS = ("imagenet-1k", "squad-v2", "clickstream-2026q1", "transactions", "librispeech")
_OPTIMIZERS = ("adam", "adamw", "sgd", "lion")
_ADJECTIVES = ("gentle", "brave", "calm", "eager", "fancy", "jolly", "lucky", "silent", "witty")
_ANIMALS = ("lark", "otter", "panda", "lynx", "heron", "koala", "moose", "gecko", "finch")
_BOUNDED_METRICS = ("accuracy", "f1", "precision", "recall")
_STATUS_WEIGHTS: dict[RunStatus, int] = {
    "completed": 55,
    "failed": 10,
    "running": 10,
    "killed": 5,
    "pending": 5,
    "unresponsive": 5,
    "paused": 10,
}
# Tags and params are frozen, so runs share these instances instead of allocating their own.
_MODEL_TAGS = {model: Tag("model", model) for model in _MODELS}
_DATASET_TAGS = {name: Tag("dataset", name) for name in _DATASETS}
_STAGE_TAGS = tuple(Tag("stage", stage) for stage in _STAGES)
_TEAM_TAGS = tuple(Tag("team", team) for team in _TEAMS)
_LEARNING_RATE_PARAMS = tuple(
    Param("learning_rate", repr(rate)) for rate in (1e-5, 3e-5, 1e-4, 3e-4, 0.001, 0.01)
)
_BATCH_SIZE_PARAMS = tuple(Param("batch_size", str(size)) for size in (16, 32, 64, 128, 256))
_MODEL_NAME_PARAMS = {model: Param("model_name", model) for model in _MODELS}
_OPTIMIZER_PARAMS = {name: Param("optimizer", name) for name in _OPTIMIZERS}
_USE_AMP_PARAMS = (Param("use_amp", "true"), Param("use_amp", "false"))
_EPOCHS_PARAMS = tuple(Param("epochs", str(epochs)) for epochs in range(1, 50))
_STATUSES = tuple(_STATUS_WEIGHTS)
_STATUS_THRESHOLDS = tuple(accumulate(_STATUS_WEIGHTS.values()))
_CHILD_SHARE = 0.2
_DELETED_SHARE = 0.01
_NO_PARAMS_SHARE = 0.05

_T = TypeVar("_T")


def generate_dataset(*, runs: int = 1000, projects: int = 10, seed: int = 0) -> Dataset:
    """Generate `projects` projects holding `runs` runs, identically for the same seed.

    Runs get MLflow-style names, tags, params, consistent metric summaries,
    parent/child trees, timestamps consistent with their status, artifact trees,
    and about 1% of them are soft-deleted.
    """
    if projects < 1 and runs > 0:
        raise ValueError("runs need at least one project")
    factory = RunFactory(random.Random(seed))
    project_list = [factory.project(project_id) for project_id in range(1, projects + 1)]
    run_list: list[Run] = []
    recent_by_project: dict[int, list[int]] = {p.id: [] for p in project_list}
    step = HISTORY / max(runs, 1)
    start = NOW - HISTORY
    for run_id in range(1, runs + 1):
        project = factory.pick(project_list)
        recent = recent_by_project[project.id]
        parent = factory.pick(recent) if recent and factory.rng.random() < _CHILD_SHARE else None
        run_list.append(factory.run(run_id, project, start + step * (run_id - 1), parent))
        recent.append(run_id)
        del recent[:-50]
    for run in factory.rng.sample(run_list, int(len(run_list) * _DELETED_SHARE)):
        gap = timedelta(hours=factory.rng.uniform(1, 240))
        run.deleted_at = min(NOW, run.updated_at + gap)
    return Dataset(projects=project_list, runs=run_list)


class RunFactory:
    """Make projects and runs from one seeded random number generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._owners = [self._uuid() for _ in range(8)]

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # random.choice and randrange cost microseconds each; these keep generation fast.
    def pick(self, options: Sequence[_T]) -> _T:
        """Return one of `options` at random."""
        return options[int(self.rng.random() * len(options))]

    def between(self, low: int, high: int) -> int:
        """Return an integer in [low, high)."""
        return low + int(self.rng.random() * (high - low))

    def project(self, project_id: int) -> Project:
        """Make project `project_id` with a few project-level artifact files."""
        rng = self.rng
        base = _PROJECT_NAMES[(project_id - 1) % len(_PROJECT_NAMES)]
        lap = (project_id - 1) // len(_PROJECT_NAMES)
        name = base if lap == 0 else f"{base}-{lap + 1}"
        created = NOW - HISTORY - timedelta(days=rng.uniform(1, 60))
        updated = NOW - timedelta(hours=rng.uniform(0, 24 * 30))
        prefix = f"projects/{project_id}/artifacts"
        files = [("README.md", 1_200), ("data/train.csv", 48_000), ("model.pkl", 200_000)]
        return Project(
            id=project_id,
            name=name,
            description=f"{base.replace('-', ' ').capitalize()} experiments.",
            artifact_storage_location=f"s3://ml-artifacts/{name}",
            created_at=created,
            updated_at=updated,
            tags=[Tag("team", self.pick(_TEAMS)), Tag("domain", self.pick(_DOMAINS))],
            owner_id=self.pick(self._owners),
            external_url=f"https://github.com/acme/{name}" if rng.random() < 0.5 else None,
            artifacts=[
                ArtifactFile(f"{prefix}/{path}", size + self.between(0, size), created)
                for path, size in files
            ],
        )

    def run(
        self,
        run_id: int,
        project: Project,
        created_at: datetime,
        parent_run_id: int | None,
        status: RunStatus | None = None,
    ) -> Run:
        """Make run `run_id` of `project`, its timestamps consistent with its status."""
        rng = self.rng
        created_at = created_at.replace(microsecond=0)
        if status is None:
            status = _STATUSES[bisect(_STATUS_THRESHOLDS, rng.random() * _STATUS_THRESHOLDS[-1])]
        model = self.pick(_MODELS)
        dataset = self.pick(_DATASETS)
        optimizer = self.pick(_OPTIMIZERS)
        started_at = max(created_at, min(NOW, created_at + timedelta(seconds=self.between(0, 120))))
        completed_at: datetime | None = None
        duration: Number | None = None
        if status in FINISHED_STATUSES:
            duration = self._duration()
            completed_at = started_at + timedelta(seconds=duration)
            if completed_at >= NOW:
                # A run that would finish after the recordings is still running.
                status, duration, completed_at = "running", None, None
        if completed_at is not None:
            updated_at = completed_at.replace(microsecond=0) + timedelta(seconds=1)
        elif status == "pending":
            started_at = created_at
            updated_at = created_at
        else:
            updated_at = max(
                started_at, min(NOW, started_at + timedelta(seconds=self.between(1, 7200)))
            )
        tags = [_MODEL_TAGS[model], self.pick(_STAGE_TAGS)]
        if rng.random() < 0.7:
            tags.append(self.pick(_TEAM_TAGS))
        if rng.random() < 0.4:
            tags.append(_DATASET_TAGS[dataset])
        params = None if rng.random() < _NO_PARAMS_SHARE else self._params(model, optimizer)
        metrics = [] if status == "pending" else self.metrics()
        run = Run(
            id=run_id,
            project_id=project.id,
            name=f"{self.pick(_ADJECTIVES)}-{self.pick(_ANIMALS)}-{self.between(0, 1000)}",
            description=f"Fine-tuning {model} on {dataset} with {optimizer}.",
            status=status,
            mlflow_artifact_location=f"{project.artifact_storage_location}/runs/{run_id}/artifacts",
            started_at=started_at,
            created_at=created_at,
            updated_at=updated_at,
            tags=tags,
            params=params,
            metric_summaries=metrics,
            parent_run_id=parent_run_id,
            completed_at=completed_at,
            duration=duration,
            external_url=(
                f"https://ci.acme.dev/jobs/{self.between(0, 10**6)}" if rng.random() < 0.2 else None
            ),
            owner_id=self.pick(self._owners) if rng.random() < 0.95 else None,
            artifacts=[] if status == "pending" else self._run_files(updated_at, status),
        )
        run.artifacts = with_derived_sizes(run)
        return run

    def _duration(self) -> Number:
        if self.rng.random() < 0.3:
            return self.pick((60, 300, 600, 1800, 3600, 7200))
        return round(self.rng.uniform(30, 86_400), 3)

    def _params(self, model: str, optimizer: str) -> list[Param]:
        return [
            self.pick(_LEARNING_RATE_PARAMS),
            self.pick(_BATCH_SIZE_PARAMS),
            _MODEL_NAME_PARAMS[model],
            _OPTIMIZER_PARAMS[optimizer],
            self.pick(_USE_AMP_PARAMS),
            self.pick(_EPOCHS_PARAMS),
        ]

    def metrics(self) -> list[MetricSummary]:
        """Make the summaries of a run's metrics: a loss and one to three bounded scores."""
        count = self.pick((1, self.between(2, 500)))
        stride = self.pick((1, 10, 100))
        first_step = self.between(0, 10)
        first = self.between(0, len(_BOUNDED_METRICS))
        keys = ["loss", *_BOUNDED_METRICS[first : first + self.between(1, 3)]]
        return [
            self._summary(key, count, first_step, first_step + (count - 1) * stride) for key in keys
        ]

    def _summary(self, key: str, count: int, first_step: int, last_step: int) -> MetricSummary:
        rng = self.rng
        if key == "loss":
            low = rng.uniform(0.01, 0.5)
            high: Number = low + rng.uniform(0.1, 3.0)
        else:
            high = rng.uniform(0.6, 1.0)
            low = max(0.0, high - rng.uniform(0.0, 0.5))
        if count == 1:
            return MetricSummary(key, 1, first_step, last_step, high, high, high, high)
        mean, latest = rng.uniform(low, high), rng.uniform(low, high)
        if key != "loss" and rng.random() < 0.05:
            high = 1
        return MetricSummary(key, count, first_step, last_step, latest, high, mean, low)

    def _run_files(self, created_at: datetime, status: RunStatus) -> list[ArtifactFile]:
        files = [
            ArtifactFile("metrics.json", self.between(200, 2_000), created_at),
            ArtifactFile("model/config.json", self.between(300, 1_500), created_at),
            ArtifactFile("logs/train/events.log", self.between(2_000, 64_000), created_at),
        ]
        if status == "completed":
            files.append(
                ArtifactFile("model/weights.pt", self.between(32_000, 512_000), created_at)
            )
        return files


def fresh_run(
    factory: RunFactory,
    run_id: int,
    project: Project,
    at: datetime,
    *,
    parent_run_id: int | None = None,
    status: RunStatus = "running",
) -> Run:
    """Make run `run_id` of `project` as it looks just after it was created, started and updated `at`."""
    run = factory.run(run_id, project, at, parent_run_id, status)
    return msgspec.structs.replace(run, created_at=at, started_at=at, updated_at=at)
