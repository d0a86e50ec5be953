"""Known values of the service's string enums, for comparison and validation."""

from __future__ import annotations

import enum

__all__ = ["FacetType", "ProjectFacetType", "RunStatus"]


class RunStatus(enum.StrEnum):
    """The documented run statuses.

    Decoded runs carry `status` as a plain `str`, so a status the service adds
    later still decodes; compare with these members or with strings alike:
    `run.attributes.status == RunStatus.COMPLETED == "completed"`.
    """

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    KILLED = "killed"
    UNRESPONSIVE = "unresponsive"
    PAUSED = "paused"


class FacetType(enum.StrEnum):
    """Facet types of run facets."""

    PARAMETER = "parameter"
    ATTRIBUTE = "attribute"
    TAG = "tag"
    METRIC = "metric"


class ProjectFacetType(enum.StrEnum):
    """Facet types of project facets (only tags, so far)."""

    TAG = "tag"
