"""The fake PAI's data: workspaces, experiments, runs and metric histories, from a seed."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from string import ascii_lowercase, digits

# Generated history ends where the Model Lab fake's does, so both fakes read alike.
NOW = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)
_HISTORY = timedelta(days=180)
_ID_ALPHABET = ascii_lowercase + digits

SOURCE_TYPES = ("TrainingService", "DLC", "DSW")
_MODELS = ("qwen-7b", "resnet50", "bert-base", "xgboost")
_OPTIMIZERS = ("adam", "adamw", "sgd")

KeyValue = tuple[str, str]


@dataclass(frozen=True, slots=True)
class MetricPoint:
    """One recorded value of a metric at a step; `timestamp` is in epoch milliseconds."""

    key: str
    value: float
    step: int
    timestamp: int


@dataclass(frozen=True, slots=True)
class PAIExperiment:
    """An experiment in a workspace."""

    experiment_id: str
    name: str
    workspace_id: str
    owner_id: str
    created: datetime
    modified: datetime
    labels: tuple[KeyValue, ...] = ()


@dataclass(frozen=True, slots=True)
class PAIRun:
    """A run of an experiment, with its full metric history."""

    run_id: str
    name: str
    experiment_id: str
    workspace_id: str
    source_type: str
    source_id: str
    owner_id: str
    created: datetime
    modified: datetime
    accessibility: str = "PRIVATE"
    labels: tuple[KeyValue, ...] = ()
    params: tuple[KeyValue, ...] = ()
    metrics: tuple[MetricPoint, ...] = ()


@dataclass
class PAIDataset:
    """Everything the fake serves; the first workspace is the account's default one."""

    workspaces: tuple[str, ...]
    experiments: list[PAIExperiment] = field(default_factory=list)
    runs: list[PAIRun] = field(default_factory=list)

    @property
    def default_workspace(self) -> str:
        """The workspace ListRuns and ListExperiment read when none is given."""
        return self.workspaces[0]


class RunMaker:
    """Make runs from one seeded generator: the dataset's, and those page drift adds later."""

    def __init__(self, rng: random.Random, owner_id: str) -> None:
        self._rng = rng
        self._owner_id = owner_id

    def run(self, experiments: Sequence[PAIExperiment], created: datetime) -> PAIRun:
        """Make a run of one of `experiments`, created at `created`."""
        rng = self._rng
        experiment = rng.choice(experiments)
        model = rng.choice(_MODELS)
        steps = rng.randint(1, 30)
        modified = created + timedelta(minutes=rng.randint(1, 600))
        return PAIRun(
            run_id=f"run-{_random_id(rng)}",
            name=f"{model}-{rng.randint(1, 9999)}",
            experiment_id=experiment.experiment_id,
            workspace_id=experiment.workspace_id,
            source_type=rng.choice(SOURCE_TYPES),
            source_id=f"job-{_random_id(rng)}",
            owner_id=self._owner_id,
            created=created,
            modified=modified,
            accessibility=rng.choice(("PRIVATE", "PUBLIC")),
            labels=(("model", model), ("is_evaluation", rng.choice(("true", "false")))),
            params=(
                ("learning_rate", f"{rng.choice((1e-5, 3e-4, 1e-3)):g}"),
                ("optimizer", rng.choice(_OPTIMIZERS)),
            ),
            metrics=_history(rng, steps, created),
        )


def generate_pai_dataset(
    *, runs: int = 200, experiments: int = 5, workspaces: int = 2, seed: int = 0
) -> PAIDataset:
    """Generate a reproducible dataset: the same arguments give the same data."""
    if experiments < 1 or workspaces < 1:
        raise ValueError("need at least one experiment and one workspace")
    rng = random.Random(seed)
    owner_id = str(rng.randrange(10**15, 10**16))
    workspace_ids = tuple(str(rng.randrange(100_000, 999_999)) for _ in range(workspaces))
    start = NOW - _HISTORY
    dataset = PAIDataset(workspaces=workspace_ids)
    for index in range(experiments):
        created = start + timedelta(hours=index)
        dataset.experiments.append(
            PAIExperiment(
                experiment_id=f"exp-{_random_id(rng)}",
                name=f"experiment-{index}",
                workspace_id=workspace_ids[index % workspaces],
                owner_id=owner_id,
                created=created,
                modified=created,
                labels=(("team", rng.choice(("nlp", "vision", "ranking"))),),
            )
        )
    maker = RunMaker(rng, owner_id)
    for index in range(runs):
        created = start + _HISTORY * (index + 1) / (runs + 1)
        dataset.runs.append(maker.run(dataset.experiments, created))
    return dataset


def _random_id(rng: random.Random) -> str:
    return "".join(rng.choices(_ID_ALPHABET, k=14))


def _history(rng: random.Random, steps: int, created: datetime) -> tuple[MetricPoint, ...]:
    start_ms = int(created.timestamp() * 1000)
    loss = rng.uniform(1.5, 3.0)
    points = []
    for step in range(steps):
        at = start_ms + 60_000 * step
        loss *= rng.uniform(0.85, 0.99)
        points.append(MetricPoint("loss", round(loss, 4), step, at))
        points.append(MetricPoint("accuracy", round(min(0.99, 1 - loss / 3), 4), step, at))
    points.append(MetricPoint("learning_rate", 0.001, 0, start_ms))
    return tuple(points)
