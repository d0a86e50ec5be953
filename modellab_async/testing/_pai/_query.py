"""Filter and sort runs and experiments by the documented ListRuns / ListExperiment parameters.

Where the documentation leaves a meaning open, the fake picks one, noted here:
`Name` matches a substring; `Labels` ("k:v,k2:v2") matches runs carrying every
pair; with no `WorkspaceId`, the default workspace is read (as documented).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from ._dataset import KeyValue, PAIRun
from ._errors import PAIError


class Listed(Protocol):
    """What runs and experiments share for filtering and sorting."""

    @property
    def name(self) -> str: ...
    @property
    def workspace_id(self) -> str: ...
    @property
    def created(self) -> datetime: ...
    @property
    def labels(self) -> tuple[KeyValue, ...]: ...


ListedT = TypeVar("ListedT", bound=Listed)

_SORT_KEYS: dict[str, Callable[[Listed], str | datetime]] = {
    "GmtCreateTime": lambda item: item.created,
    "Name": lambda item: item.name,
}
_RUN_FIELDS: dict[str, Callable[[PAIRun], str]] = {
    "ExperimentId": lambda run: run.experiment_id,
    "SourceType": lambda run: run.source_type,
    "SourceId": lambda run: run.source_id,
}


def flag(query: Mapping[str, str], name: str) -> bool:
    """Read a boolean parameter ("true" / "false"); absent is false."""
    text = query.get(name, "false").lower()
    if text not in ("true", "false"):
        raise PAIError(400, f"InvalidParameter.{name}", f"The {name} {text!r} is not a boolean.")
    return text == "true"


def select(
    items: Sequence[ListedT], query: Mapping[str, str], default_workspace: str
) -> list[ListedT]:
    """Keep the items matching `WorkspaceId`, `Name` and `Labels`, in the requested order."""
    workspace = query.get("WorkspaceId") or default_workspace
    name = query.get("Name")
    labels = _labels(query.get("Labels"))
    kept = [
        item
        for item in items
        if item.workspace_id == workspace
        and (not name or name in item.name)
        and labels <= set(item.labels)
    ]
    return _ordered(kept, query)


def select_runs(
    runs: Sequence[PAIRun], query: Mapping[str, str], default_workspace: str
) -> list[PAIRun]:
    """Keep the runs matching every ListRuns filter, in the requested order."""
    wanted = {name: query[name] for name in _RUN_FIELDS if query.get(name)}
    return [
        run
        for run in select(runs, query, default_workspace)
        if all(_RUN_FIELDS[name](run) == value for name, value in wanted.items())
    ]


def _labels(text: str | None) -> set[KeyValue]:
    if not text:
        return set()
    pairs = [part.split(":", 1) for part in text.split(",")]
    if any(len(pair) != 2 or not pair[0] for pair in pairs):
        raise PAIError(400, "InvalidParameter.Labels", f"The Labels {text!r} are not key:value.")
    return {(key, value) for key, value in pairs}


def _ordered(items: list[ListedT], query: Mapping[str, str]) -> list[ListedT]:
    """Sort by `OrderBy` ("GmtCreateTime DESC,Name ASC"), else `SortBy` and `Order`."""
    if query.get("OrderBy"):
        keys = [_sort_key(part.split(), "ASC") for part in query["OrderBy"].split(",")]
    else:
        keys = [_sort_key([query.get("SortBy", "GmtCreateTime"), query.get("Order", "DESC")])]
    # Sorting by the least significant key first keeps ties in the order of the keys before.
    ordered = sorted(items, key=lambda item: item.name)
    for key, descending in reversed(keys):
        ordered.sort(key=key, reverse=descending)
    return ordered


def _sort_key(
    words: Sequence[str], default_order: str = "DESC"
) -> tuple[Callable[[Listed], str | datetime], bool]:
    field, order = (*words, default_order)[:2] if words else ("", "")
    key = _SORT_KEYS.get(field)
    if key is None or order.upper() not in ("ASC", "DESC") or len(words) > 2:
        raise PAIError(400, "InvalidParameter.OrderBy", f"Cannot sort by {' '.join(words)!r}.")
    return key, order.upper() == "DESC"
