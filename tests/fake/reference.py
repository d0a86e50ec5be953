"""A brute-force evaluation of run and project listings, to check the fake against."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modellab_async.testing import Dataset, Project, Run


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _param_matches(run: Run, condition: str) -> bool:
    key, _, wanted = condition.partition(":")
    for param in run.params or []:
        if param.key != key:
            continue
        for operator in (">=", "<=", ">", "<"):
            if wanted.startswith(operator):
                value, operand = _number(param.value), float(wanted[len(operator) :])
                if (
                    value is not None
                    and {
                        ">=": value >= operand,
                        "<=": value <= operand,
                        ">": value > operand,
                        "<": value < operand,
                    }[operator]
                ):
                    return True
                break
        else:
            value, operand_or_none = _number(param.value), _number(wanted)
            if value is not None and operand_or_none is not None:
                if value == operand_or_none:
                    return True
            elif param.value.lower() == wanted.lower():
                return True
    return False


def _tags_match(tags: list[Any], spec: str) -> bool:
    pairs = [part.split(":", 1) for part in spec.split(",")]
    return all(any(t.key == k and t.value == v for t in tags) for k, v in pairs)


def _describes(run: Run, query: Mapping[str, str]) -> bool:
    if "filter[id]" in query and str(run.id) not in query["filter[id]"].split(","):
        return False
    text = query.get("filter", "").lower()
    if text and text not in run.name.lower() and text not in run.description.lower():
        return False
    if "filter[owner_id]" in query and run.owner_id != query["filter[owner_id]"]:
        return False
    if "filter[status]" in query and run.status != query["filter[status]"]:
        return False
    if "filter[tags]" in query and not _tags_match(run.tags, query["filter[tags]"]):
        return False
    conditions = query.get("filter[params]")
    return not conditions or all(_param_matches(run, c) for c in conditions.split(","))


def _places(run: Run, query: Mapping[str, str]) -> bool:
    if "filter[project_id]" in query and str(run.project_id) != query["filter[project_id]"]:
        return False
    parent = query.get("filter[parent_run_id]")
    if parent == "null":
        return run.parent_run_id is None
    return parent is None or str(run.parent_run_id) == parent


def _run_sort_key(run: Run, field: str) -> tuple[Any, ...]:
    if field == "duration":
        return (run.duration is None, run.duration or 0, run.id)
    return (getattr(run, field), run.id)


def expected_runs(
    dataset: Dataset, query: Mapping[str, str], app_key: str
) -> list[tuple[int, bool]]:
    """Return (run id, descendant_match) for every run of the listing, in order."""
    runs = {run.id: run for run in dataset.runs}
    live = {run_id: run for run_id, run in runs.items() if run.deleted_at is None}
    matched = [run for run in live.values() if _describes(run, query)]
    result = {run.id: False for run in matched if _places(run, query)}
    if query.get("include_descendant_matches") == "true":
        for run in matched:
            parent_id = run.parent_run_id
            while parent_id is not None:
                parent = runs[parent_id]
                if parent.deleted_at is None and _places(parent, query):
                    result.setdefault(parent_id, True)
                parent_id = parent.parent_run_id
    pins = dataset.pins.get(app_key, {})
    if query.get("include_pinned") == "true":
        result.update({run_id: False for run_id in pins if run_id in live})
    sort = query.get("sort", "-updated_at")
    field = sort.lstrip("-")
    ordered = sorted(
        result, key=lambda i: _run_sort_key(live[i], field), reverse=sort.startswith("-")
    )
    if query.get("pinned_first") == "true":
        pinned = sorted((i for i in ordered if i in pins), key=lambda i: (pins[i], i))
        ordered = pinned[::-1] + [i for i in ordered if i not in pins]
    return [(run_id, result[run_id]) for run_id in ordered]


def expected_projects(dataset: Dataset, query: Mapping[str, str]) -> list[int]:
    """Return the project ids of the listing, in order."""

    def describes(project: Project) -> bool:
        text = query.get("filter", "").lower()
        if text and text not in project.name.lower() and text not in project.description.lower():
            return False
        if "filter[owner_id]" in query and project.owner_id != query["filter[owner_id]"]:
            return False
        return "filter[tags]" not in query or _tags_match(project.tags, query["filter[tags]"])

    sort = query.get("sort", "-updated_at")
    field = sort.lstrip("-")
    selected = [p for p in dataset.projects if p.deleted_at is None and describes(p)]
    selected.sort(key=lambda p: (getattr(p, field), p.id), reverse=sort.startswith("-"))
    return [project.id for project in selected]
