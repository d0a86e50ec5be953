"""The generated data: reproducible, realistic, internally consistent; and its JSON form."""

from __future__ import annotations

from collections import Counter

import pytest

from modellab_async.testing import RUN_STATUSES, Dataset, generate_dataset

_DATASET = generate_dataset(runs=2000, projects=6, seed=11)
_FINISHED = {"completed", "failed", "killed"}


def test_same_seed_same_data_other_seed_other_data() -> None:
    again = generate_dataset(runs=2000, projects=6, seed=11)
    assert again.to_json() == _DATASET.to_json()
    assert generate_dataset(runs=2000, projects=6, seed=12).to_json() != _DATASET.to_json()


def test_every_status_occurs() -> None:
    assert set(Counter(run.status for run in _DATASET.runs)) == set(RUN_STATUSES)


def test_timestamps_agree_with_status() -> None:
    for run in _DATASET.runs:
        assert run.created_at <= run.started_at <= run.updated_at
        assert (run.completed_at is not None) is (run.status in _FINISHED)
        assert (run.duration is not None) is (run.status in _FINISHED)
        if run.completed_at is not None:
            assert run.started_at < run.completed_at <= run.updated_at
        if run.deleted_at is not None:
            assert run.deleted_at >= run.updated_at


def test_metric_summaries_are_consistent() -> None:
    summaries = [s for run in _DATASET.runs for s in run.metric_summaries]
    assert {s.key for s in summaries} >= {"accuracy", "loss", "f1"}
    for s in summaries:
        assert s.count >= 1
        assert s.min <= s.mean <= s.max
        assert s.min <= s.latest <= s.max
        assert s.first_step <= s.last_step
    assert any(isinstance(s.max, int) for s in summaries)


def test_runs_have_realistic_attributes() -> None:
    runs = _DATASET.runs
    assert any(run.params is None for run in runs)
    assert any(isinstance(run.duration, int) for run in runs)
    assert any(isinstance(run.duration, float) for run in runs)
    assert any(run.owner_id is None for run in runs)
    assert {"model", "stage"} <= {tag.key for run in runs for tag in run.tags}
    keys = {param.key for run in runs for param in run.params or ()}
    assert {"learning_rate", "batch_size", "optimizer", "use_amp"} <= keys
    assert 0 < sum(run.deleted_at is not None for run in runs) < len(runs) // 20


def test_children_belong_to_earlier_runs_of_the_same_project() -> None:
    runs = {run.id: run for run in _DATASET.runs}
    children = [run for run in _DATASET.runs if run.parent_run_id is not None]
    assert children
    for child in children:
        parent = runs[child.parent_run_id]  # type: ignore[index]
        assert parent.id < child.id
        assert parent.project_id == child.project_id


def test_artifact_trees_have_nested_directories() -> None:
    paths = {f.path for run in _DATASET.runs for f in run.artifacts}
    assert {"metrics.json", "model/weights.pt", "logs/train/events.log"} <= paths
    assert all(project.artifacts for project in _DATASET.projects)


def test_json_round_trip_keeps_everything() -> None:
    dataset = generate_dataset(runs=200, projects=2, seed=1)
    dataset.pins["key"] = {3: dataset.runs[0].created_at}
    decoded = Dataset.from_json(dataset.to_json())
    assert decoded == dataset
    assert decoded.to_json() == dataset.to_json()


def test_from_json_validates_types() -> None:
    with pytest.raises(ValueError, match="status"):
        Dataset.from_json(
            b'{"projects": [], "runs": [{"id": 1, "project_id": 1, "name": "n",'
            b' "description": "", "status": "sleeping"}]}'
        )


def test_zero_projects_cannot_hold_runs() -> None:
    with pytest.raises(ValueError, match="project"):
        generate_dataset(runs=1, projects=0)
