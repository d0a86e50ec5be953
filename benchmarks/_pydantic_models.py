"""Pydantic v2 models of the runs listing, field for field as `modellab_async.models` has them.

They exist only to compare decoding costs: same fields, same optionality,
unknown fields ignored (pydantic's default, as in msgspec).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

__all__ = ["RunsPage"]


class Tag(BaseModel):
    """A key-value tag."""

    key: str
    value: str


class RunParam(BaseModel):
    """A key-value parameter."""

    key: str
    value: str


class MetricSummary(BaseModel):
    """Summary statistics of one metric."""

    key: str
    count: int
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    latest: float | None = None
    stddev: float | None = None
    first_step: int | None = None
    last_step: int | None = None


class RunAttributes(BaseModel):
    """Attributes of a run."""

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


class Run(BaseModel):
    """A run resource."""

    id: str
    type: str
    attributes: RunAttributes


class PageInfo(BaseModel):
    """`meta.page`."""

    number: int
    size: int
    total: int
    first_number: int | None = None
    last_number: int | None = None
    next_number: int | None = None
    prev_number: int | None = None
    type: str | None = None


class PageMeta(BaseModel):
    """`meta`."""

    page: PageInfo


class Links(BaseModel):
    """Pagination links; `self` is a field name pydantic accepts."""

    self: str | None = None
    first: str | None = None
    prev: str | None = None
    next: str | None = None
    last: str | None = None


class RunsPage(BaseModel):
    """One page of the runs listing."""

    data: list[Run]
    meta: PageMeta
    links: Links | None = None
