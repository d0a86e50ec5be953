"""How each kind of record shows as rows and table columns (see `View`)."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from .. import FacetKeys, FacetValues, Project, Run
from ..frames import PROJECTS, RUNS, Row
from ._output import View

__all__ = [
    "ARTIFACTS",
    "FACET_KEYS",
    "FACET_VALUES",
    "PROJECT",
    "PROJECT_LIST",
    "RUN",
    "RUN_LIST",
    "RunFile",
]


class RunFile(msgspec.Struct, frozen=True, kw_only=True):
    """A file or folder of a run, with the `project_id` and `artifact_path` to fetch it."""

    run_id: int
    project_id: int
    path: str
    artifact_path: str
    is_dir: bool
    file_size: int | None = None


def _run_rows(run: Run) -> Iterable[Row]:
    return (RUNS.row(run),)


def _project_rows(project: Project) -> Iterable[Row]:
    return (PROJECTS.row(project),)


def _facet_key_rows(keys: FacetKeys) -> Iterable[Row]:
    a = keys.attributes
    groups = (("parameter", a.parameters), ("tag", a.tags), ("metric", a.metrics or ()))
    return ({"facet_type": kind, "facet_name": name} for kind, names in groups for name in names)


def _facet_value_rows(values: FacetValues) -> Iterable[Row]:
    a = values.attributes
    if a.metric_stat_ranges is not None:
        return ({"stat": r.stat, "min": r.min, "max": r.max} for r in a.metric_stat_ranges)
    return ({"value": value} for value in a.values)


def _struct_rows(record: msgspec.Struct) -> Iterable[Row]:
    return (msgspec.structs.asdict(record),)


RUN_LIST = View(
    _run_rows,
    columns=("id", "project_id", "name", "status", "created_at", "duration"),
    order=RUNS.order,
)
RUN = View(_run_rows, vertical=True)
PROJECT_LIST = View(
    _project_rows,
    columns=("id", "name", "description", "is_starred", "updated_at"),
    order=PROJECTS.order,
)
PROJECT = View(_project_rows, vertical=True)
FACET_KEYS = View(_facet_key_rows)
FACET_VALUES = View(_facet_value_rows)
ARTIFACTS: View[msgspec.Struct] = View(_struct_rows)
