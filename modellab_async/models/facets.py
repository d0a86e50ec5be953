"""Facet keys and facet values, for runs and for projects."""

from __future__ import annotations

from .jsonapi import Model

__all__ = [
    "FacetKeys",
    "FacetKeysAttributes",
    "FacetValues",
    "FacetValuesAttributes",
    "MetricStatRange",
    "NumericRange",
]


class FacetKeysAttributes(Model):
    """The facet keys available for filtering; `metrics` may be null."""

    parameters: list[str]
    tags: list[str]
    metrics: list[str] | None


class FacetKeys(Model):
    """A facet keys resource (`type` `"facet_keys"`)."""

    id: str
    type: str
    attributes: FacetKeysAttributes


class NumericRange(Model):
    """The numeric range of a facet's values."""

    min: float
    max: float


class MetricStatRange(Model):
    """The range of one statistic (`min`, `mean`, ...) of a metric across runs."""

    stat: str
    min: float
    max: float


class FacetValuesAttributes(Model):
    """The values of one facet; `facet_type` is a plain string (see `FacetType`)."""

    facet_name: str
    facet_type: str
    values: list[str]
    numeric_range: NumericRange | None = None
    metric_stat_ranges: list[MetricStatRange] | None = None


class FacetValues(Model):
    """A facet values resource (`type` `"facet_values"`); ids look like `"tag:model:2387"`."""

    id: str
    type: str
    attributes: FacetValuesAttributes
