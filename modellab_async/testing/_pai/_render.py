"""Render runs, experiments and metric records as the JSON PAI sends, with its own names.

Written independently of `modellab_async.pai.models`, so the client's models are
checked against the documented wire names rather than against themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ._dataset import KeyValue, MetricPoint, PAIExperiment, PAIRun

Body = dict[str, Any]


def gmt(moment: datetime) -> str:
    """Format a time as PAI does: UTC with milliseconds, e.g. "2021-01-30T12:51:33.028Z"."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def metric_record(point: MetricPoint) -> Body:
    """Render one metric record."""
    return {
        "Key": point.key,
        "Value": point.value,
        "Step": point.step,
        "Timestamp": point.timestamp,
    }


def run_body(run: PAIRun, *, verbose: bool) -> Body:
    """Render a run; `Labels`, `Params` and `Metrics` (latest per key) only when verbose."""
    body: Body = {
        "RunId": run.run_id,
        "Name": run.name,
        "ExperimentId": run.experiment_id,
        "WorkspaceId": run.workspace_id,
        "SourceType": run.source_type,
        "SourceId": run.source_id,
        "OwnerId": run.owner_id,
        "UserId": run.owner_id,
        "Accessibility": run.accessibility,
        "GmtCreateTime": gmt(run.created),
        "GmtModifiedTime": gmt(run.modified),
    }
    if verbose:
        extra = {"RunId": run.run_id, "GmtCreateTime": gmt(run.created)}
        body["Labels"] = _labels(run.labels, extra)
        body["Params"] = [{"Key": key, "Value": value} for key, value in run.params]
        latest = {point.key: point for point in sorted(run.metrics, key=lambda p: p.step)}
        body["Metrics"] = [metric_record(point) for point in latest.values()]
    return body


def experiment_body(experiment: PAIExperiment, *, verbose: bool) -> Body:
    """Render an experiment; its `Labels` only when verbose."""
    body: Body = {
        "ExperimentId": experiment.experiment_id,
        "Name": experiment.name,
        "WorkspaceId": experiment.workspace_id,
        "OwnerId": experiment.owner_id,
        "UserId": experiment.owner_id,
        "Accessibility": "PRIVATE",
        "ArtifactUri": f"oss://pai-fake/{experiment.experiment_id}/",
        "GmtCreateTime": gmt(experiment.created),
        "GmtModifiedTime": gmt(experiment.modified),
    }
    if verbose:
        extra = {"ExperimentId": experiment.experiment_id, "GmtCreateTime": gmt(experiment.created)}
        body["Labels"] = _labels(experiment.labels, extra)
    return body


def list_body(
    field: str, items: list[Body], next_token: int, request_id: str, total: int | None
) -> Body:
    """Render a list answer; its request id is spelt `requestId`, as documented."""
    body: Body = {"requestId": request_id, field: items, "NextPageToken": next_token}
    if total is not None:
        body["TotalCount"] = total
    return body


def _labels(labels: Iterable[KeyValue], extra: Body) -> list[Body]:
    return [{"Key": key, "Value": value, **extra} for key, value in labels]
