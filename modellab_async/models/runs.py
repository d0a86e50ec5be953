"""Model Lab runs as sent on the wire: attributes, metric summaries, params and tags."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from .jsonapi import Model

__all__ = ["MetricSummary", "Run", "RunAttributes", "RunParam", "Tag", "by_key"]


class Tag(Model):
    """A key-value tag on a run or a project."""

    key: str
    value: str


class RunParam(Model):
    """A key-value parameter of a run; values are strings on the wire."""

    key: str
    value: str


def by_key(pairs: Iterable[Tag | RunParam]) -> dict[str, str]:
    """Return tags or params as a dict of key to value; a repeated key keeps its last value."""
    return {pair.key: pair.value for pair in pairs}


class MetricSummary(Model):
    """Summary statistics of one metric of a run; any statistic may be absent or null."""

    key: str
    count: int
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    latest: float | None = None
    stddev: float | None = None
    first_step: int | None = None
    last_step: int | None = None


class RunAttributes(Model):
    """Attributes of a run.

    `status` is a plain string (see `RunStatus` for the known values); `params`
    may be null; optional fields absent on the wire read as `None`.
    """

    project_id: int
    name: str
    description: str
    status: str
    mlflow_artifact_location: str
    started_at: datetime
    created_at: datetime
    updated_at: datetime
    tags: list[Tag]
    params: list[RunParam] | None
    metric_summaries: list[MetricSummary]
    is_pinned: bool
    has_children: bool
    descendant_match: bool
    completed_at: datetime | None = None
    deleted_at: datetime | None = None
    duration: float | None = None
    external_url: str | None = None
    owner_id: str | None = None


class Run(Model):
    """A run resource: `id` is a string on the wire (`"42"`), `type` is `"runs"`.

    `metric`, `params` and `tags` read the attributes by key, as mlflow's runs do.

    Example:
        >>> run.metric("accuracy")  # its MetricSummary, or None if the run has none
        >>> run.params.get("learning_rate")  # "0.001": param values are strings
    """

    id: str
    type: str
    attributes: RunAttributes

    def metric(self, key: str) -> MetricSummary | None:
        """Return the summary of the metric `key`, or `None` if the run logged no such metric."""
        return next((s for s in self.attributes.metric_summaries if s.key == key), None)

    @property
    def params(self) -> dict[str, str]:
        """The params as a new dict of key to value (empty when the service sends none).

        Values are the wire's strings; a repeated key keeps its last value.
        """
        return by_key(self.attributes.params or ())

    @property
    def tags(self) -> dict[str, str]:
        """The tags as a new dict of key to value; a repeated key keeps its last value."""
        return by_key(self.attributes.tags)
