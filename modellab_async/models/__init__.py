"""Typed models of every Model Lab response body (msgspec Structs).

Users annotate with these: `Run`, `Project`, `Page[Run]`, `FacetKeys`, ...
"""

from ._enums import FacetType, ProjectFacetType, RunStatus
from .artifacts import (
    ArtifactInfo,
    ArtifactObjectInfo,
    ProjectArtifacts,
    ProjectArtifactsAttributes,
    RunArtifacts,
    RunArtifactsAttributes,
)
from .facets import (
    FacetKeys,
    FacetKeysAttributes,
    FacetValues,
    FacetValuesAttributes,
    MetricStatRange,
    NumericRange,
)
from .jsonapi import (
    Document,
    ErrorDocument,
    ErrorObject,
    ErrorSource,
    Links,
    Page,
    PageInfo,
    PageMeta,
)
from .projects import Project, ProjectAttributes
from .runs import MetricSummary, Run, RunAttributes, RunParam, Tag

__all__ = [
    "ArtifactInfo",
    "ArtifactObjectInfo",
    "Document",
    "ErrorDocument",
    "ErrorObject",
    "ErrorSource",
    "FacetKeys",
    "FacetKeysAttributes",
    "FacetType",
    "FacetValues",
    "FacetValuesAttributes",
    "Links",
    "MetricStatRange",
    "MetricSummary",
    "NumericRange",
    "Page",
    "PageInfo",
    "PageMeta",
    "Project",
    "ProjectArtifacts",
    "ProjectArtifactsAttributes",
    "ProjectAttributes",
    "ProjectFacetType",
    "Run",
    "RunArtifacts",
    "RunArtifactsAttributes",
    "RunAttributes",
    "RunParam",
    "RunStatus",
    "Tag",
]
