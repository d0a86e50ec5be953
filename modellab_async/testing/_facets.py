"""Compute facet keys and facet values over runs and projects; perform no I/O."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ._dataset import Number, Project, Run
from ._query import BadParameter

_INTEGER = re.compile(r"-?[0-9]+")
_METRIC_STATS = ("min", "max", "mean", "latest")
_RUN_ATTRIBUTES: dict[str, Callable[[Run], str | None]] = {
    "status": lambda run: run.status,
    "owner_id": lambda run: run.owner_id,
}


@dataclass(frozen=True)
class FacetKeys:
    """The facet names one can filter on, by kind."""

    metrics: list[str]
    parameters: list[str]
    tags: list[str]


@dataclass(frozen=True)
class FacetValues:
    """The values of one facet, with numeric ranges where they apply."""

    values: list[str]
    numeric_range: tuple[Number, Number] | None = None
    metric_stat_ranges: dict[str, tuple[Number, Number]] | None = None


def run_facet_keys(runs: Iterable[Run]) -> FacetKeys:
    """Collect the metric, parameter and tag names used by `runs`."""
    metrics: set[str] = set()
    parameters: set[str] = set()
    tags: set[str] = set()
    for run in runs:
        metrics.update(summary.key for summary in run.metric_summaries)
        parameters.update(param.key for param in run.params or ())
        tags.update(tag.key for tag in run.tags)
    return FacetKeys(sorted(metrics), sorted(parameters), sorted(tags))


def project_facet_keys(projects: Iterable[Project]) -> FacetKeys:
    """Collect the tag names used by `projects` (projects have no params or metrics)."""
    return FacetKeys([], [], sorted({tag.key for project in projects for tag in project.tags}))


def run_facet_values(runs: Sequence[Run], facet_type: str, facet_name: str) -> FacetValues:
    """Collect the values of one run facet; `facet_type` must be a `RunFacetType`."""
    collect = _RUN_FACET_VALUES.get(facet_type)
    if collect is None:
        allowed = ", ".join(_RUN_FACET_VALUES)
        raise BadParameter("facet_type", f"facet_type must be one of {allowed}")
    return collect(runs, facet_name)


def _tag_values(runs: Sequence[Run], name: str) -> FacetValues:
    return FacetValues(_distinct(tag.value for r in runs for tag in r.tags if tag.key == name))


def _parameter_values(runs: Sequence[Run], name: str) -> FacetValues:
    values = [param.value for run in runs for param in run.params or () if param.key == name]
    numbers = [number for value in values if (number := _number(value)) is not None]
    all_numeric = bool(numbers) and len(numbers) == len(values)
    numeric_range = (min(numbers), max(numbers)) if all_numeric else None
    return FacetValues(_distinct(values), numeric_range=numeric_range)


def _metric_values(runs: Sequence[Run], name: str) -> FacetValues:
    summaries = [s for run in runs for s in run.metric_summaries if s.key == name]
    if not summaries:
        return FacetValues([])
    ranges: dict[str, tuple[Number, Number]] = {}
    for stat in _METRIC_STATS:
        stat_values: list[Number] = [getattr(summary, stat) for summary in summaries]
        ranges[stat] = (min(stat_values), max(stat_values))
    return FacetValues([], metric_stat_ranges=ranges)


def _attribute_values(runs: Sequence[Run], name: str) -> FacetValues:
    attribute = _RUN_ATTRIBUTES.get(name)
    if attribute is None:
        known = ", ".join(_RUN_ATTRIBUTES)
        raise BadParameter("facet_name", f"attribute facets are {known}")
    return FacetValues(_distinct(value for run in runs if (value := attribute(run))))


_RUN_FACET_VALUES: dict[str, Callable[[Sequence[Run], str], FacetValues]] = {
    "parameter": _parameter_values,
    "attribute": _attribute_values,
    "tag": _tag_values,
    "metric": _metric_values,
}


def project_facet_values(
    projects: Iterable[Project], facet_type: str, facet_name: str
) -> FacetValues:
    """Collect the values of one project tag."""
    if facet_type != "tag":
        raise BadParameter("facet_type", "facet_type must be tag")
    return FacetValues(_distinct(t.value for p in projects for t in p.tags if t.key == facet_name))


def _distinct(values: Iterable[str]) -> list[str]:
    return sorted(set(values))


def _number(text: str) -> Number | None:
    if _INTEGER.fullmatch(text):
        return int(text)
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
