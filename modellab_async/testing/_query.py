"""Parse and validate listing query parameters into typed queries; perform no I/O."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from ._dataset import RUN_STATUSES, Param, Project, Run, Tag

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
_MAX_ID = 2**63 - 1
# At most 19 digits, as many as 2**63 has: int() refuses strings of over 4,300 digits.
_DIGITS = re.compile(r"[0-9]{1,19}")
_SIGNED_DIGITS = re.compile(r"-?[0-9]{1,19}")

RUN_SORT_FIELDS = ("name", "created_at", "updated_at", "duration")
PROJECT_SORT_FIELDS = ("name", "created_at", "updated_at")
ParamOperator = Literal["=", ">", "<", ">=", "<="]
_COMPARISONS: tuple[ParamOperator, ...] = (">=", "<=", ">", "<")
_T = TypeVar("_T")


class BadParameter(Exception):
    """A request parameter is invalid; the server answers 400 naming `parameter`."""

    def __init__(self, parameter: str, detail: str) -> None:
        super().__init__(f"{parameter}: {detail}")
        self.parameter = parameter
        self.detail = detail


@dataclass(frozen=True)
class Sort:
    """A sort field and direction; ties are broken by id in the same direction."""

    field: str
    descending: bool


DEFAULT_SORT = Sort("updated_at", descending=True)


@dataclass(frozen=True)
class PageRequest:
    """The page asked for: `index` counts from 0 whatever the server's page base."""

    number: int
    index: int
    size: int


@dataclass(frozen=True)
class TagCondition:
    """`key:value` in filter[tags]: the resource carries exactly this tag."""

    key: str
    value: str

    def matches(self, tags: Sequence[Tag]) -> bool:
        """Return whether one of `tags` is this key and value."""
        return any(tag.key == self.key and tag.value == self.value for tag in tags)


@dataclass(frozen=True)
class ParamCondition:
    """One condition of filter[params]: `key:value`, `key:>0.5`, `key:<=3` ..."""

    key: str
    operator: ParamOperator
    operand: str

    def matches(self, params: Sequence[Param] | None) -> bool:
        """Return whether a param named `key` satisfies the condition."""
        return any(p.key == self.key and self._accepts(p.value) for p in params or ())

    def _accepts(self, value: str) -> bool:
        number, operand = _as_number(value), _as_number(self.operand)
        if self.operator == "=":
            if number is not None and operand is not None:
                return number == operand
            # Case-insensitive so that `use_amp:true` matches a param logged as "True".
            return value.casefold() == self.operand.casefold()
        if number is None or operand is None:
            return False
        if self.operator == ">":
            return number > operand
        if self.operator == "<":
            return number < operand
        if self.operator == ">=":
            return number >= operand
        return number <= operand


ROOT_RUNS: Literal["null"] = "null"


@dataclass(frozen=True)
class RunFilters:
    """The filters of a run listing.

    `parent_run_id` and `project_id` restrict where results may sit in the run
    forest; the others say what a run must look like to match. With
    include_descendant_matches a run is also listed when one of its descendants
    matches, so only the latter are applied to descendants.
    """

    ids: frozenset[int] | None = None
    text: str | None = None
    owner_id: str | None = None
    status: str | None = None
    tags: tuple[TagCondition, ...] = ()
    params: tuple[ParamCondition, ...] = ()
    project_id: int | None = None
    parent_run_id: int | Literal["null"] | None = None

    def is_empty(self) -> bool:
        """Return whether no filter is set, so every live run matches."""
        return self == _NO_RUN_FILTERS

    def describes(self, run: Run) -> bool:
        """Return whether `run` itself matches the attribute filters."""
        return (
            (self.ids is None or run.id in self.ids)
            and (self.text is None or _contains_text(self.text, run.name, run.description))
            and (self.owner_id is None or run.owner_id == self.owner_id)
            and (self.status is None or run.status == self.status)
            and all(condition.matches(run.tags) for condition in self.tags)
            and all(condition.matches(run.params) for condition in self.params)
        )

    def equalities(self) -> dict[str, object] | None:
        """Map each filter set to the `Run` attribute it requires a value of.

        None when a filter set is not such an equality (ids, text, tags, params):
        only the project, parent, owner and status filters are indexed.
        """
        if self.ids is not None or self.text is not None or self.tags or self.params:
            return None
        required: dict[str, object] = {
            name: value
            for name, value in (
                ("project_id", self.project_id),
                ("parent_run_id", self.parent_run_id),
                ("owner_id", self.owner_id),
                ("status", self.status),
            )
            if value is not None
        }
        if self.parent_run_id == ROOT_RUNS:
            required["parent_run_id"] = None
        return required

    def places(self, run: Run) -> bool:
        """Return whether `run` sits where the project and parent filters allow."""
        if self.project_id is not None and run.project_id != self.project_id:
            return False
        if self.parent_run_id == ROOT_RUNS:
            return run.parent_run_id is None
        return self.parent_run_id is None or run.parent_run_id == self.parent_run_id


_NO_RUN_FILTERS = RunFilters()


@dataclass(frozen=True)
class RunListQuery:
    """A validated GET /runs request."""

    filters: RunFilters
    include_pinned: bool
    pinned_first: bool
    include_descendant_matches: bool
    sort: Sort
    page: PageRequest


@dataclass(frozen=True)
class ProjectFilters:
    """The filters of a project listing."""

    text: str | None = None
    owner_id: str | None = None
    tags: tuple[TagCondition, ...] = ()

    def is_empty(self) -> bool:
        """Return whether no filter is set."""
        return self == _NO_PROJECT_FILTERS

    def describes(self, project: Project) -> bool:
        """Return whether `project` matches every filter."""
        return (
            (self.text is None or _contains_text(self.text, project.name, project.description))
            and (self.owner_id is None or project.owner_id == self.owner_id)
            and all(condition.matches(project.tags) for condition in self.tags)
        )


_NO_PROJECT_FILTERS = ProjectFilters()


@dataclass(frozen=True)
class ProjectListQuery:
    """A validated GET /projects request."""

    filters: ProjectFilters
    sort: Sort
    page: PageRequest


def parse_run_list_query(query: Mapping[str, str], page_base: int) -> RunListQuery:
    """Validate the query of GET /runs, raising `BadParameter` for the first bad one."""
    filters = RunFilters(
        ids=_optional(query, "filter[id]", _parse_id_list),
        text=_text(query, "filter"),
        owner_id=query.get("filter[owner_id]") or None,
        status=_optional(query, "filter[status]", _parse_status),
        tags=_optional(query, "filter[tags]", _parse_tags) or (),
        params=_optional(query, "filter[params]", _parse_params) or (),
        project_id=_optional(query, "filter[project_id]", parse_id),
        parent_run_id=_optional(query, "filter[parent_run_id]", _parse_parent),
    )
    return RunListQuery(
        filters=filters,
        include_pinned=_flag(query, "include_pinned"),
        pinned_first=_flag(query, "pinned_first"),
        include_descendant_matches=_flag(query, "include_descendant_matches"),
        sort=_sort(query, RUN_SORT_FIELDS),
        page=_page(query, page_base),
    )


def parse_project_list_query(query: Mapping[str, str], page_base: int) -> ProjectListQuery:
    """Validate the query of GET /projects, raising `BadParameter` for the first bad one."""
    filters = ProjectFilters(
        text=_text(query, "filter"),
        owner_id=query.get("filter[owner_id]") or None,
        tags=_optional(query, "filter[tags]", _parse_tags) or (),
    )
    return ProjectListQuery(
        filters=filters, sort=_sort(query, PROJECT_SORT_FIELDS), page=_page(query, page_base)
    )


def parse_id(raw: str, parameter: str) -> int:
    """Parse a resource id: a positive 64-bit integer."""
    resource_id = as_id(raw)
    if resource_id is None:
        raise BadParameter(
            parameter, f"{parameter} must be a positive integer, got {_excerpt(raw)}"
        )
    return resource_id


def as_id(raw: str) -> int | None:
    """Return `raw` as a resource id, or None if it is not a positive 64-bit integer."""
    return int(raw) if _DIGITS.fullmatch(raw) and 0 < int(raw) <= _MAX_ID else None


def required(query: Mapping[str, str], parameter: str) -> str:
    """Return a required parameter's value."""
    value = query.get(parameter)
    if not value:
        raise BadParameter(parameter, f"{parameter} is required")
    return value


def _optional(
    query: Mapping[str, str], parameter: str, parse: Callable[[str, str], _T]
) -> _T | None:
    raw = query.get(parameter)
    return None if raw is None or raw == "" else parse(raw, parameter)


def _text(query: Mapping[str, str], parameter: str) -> str | None:
    raw = query.get(parameter)
    return raw.casefold() if raw else None


def _contains_text(needle: str, *haystacks: str) -> bool:
    return any(needle in haystack.casefold() for haystack in haystacks)


def _flag(query: Mapping[str, str], parameter: str) -> bool:
    raw = query.get(parameter)
    if raw is None:
        return False
    if raw.lower() not in ("true", "false"):
        raise BadParameter(parameter, f"{parameter} must be true or false, got {_excerpt(raw)}")
    return raw.lower() == "true"


def _sort(query: Mapping[str, str], fields: Sequence[str]) -> Sort:
    raw = query.get("sort")
    if raw is None:
        return DEFAULT_SORT
    descending = raw.startswith("-")
    field = raw.removeprefix("-")
    if field not in fields:
        allowed = ", ".join(fields)
        raise BadParameter("sort", f"sort must be one of {allowed}, optionally prefixed by '-'")
    return Sort(field, descending)


def _page(query: Mapping[str, str], page_base: int) -> PageRequest:
    size = _integer(query, "page[size]", DEFAULT_PAGE_SIZE)
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise BadParameter("page[size]", f"page[size] must be between 1 and {MAX_PAGE_SIZE}")
    number = _integer(query, "page[number]", page_base)
    if number < page_base:
        raise BadParameter("page[number]", f"page[number] must be at least {page_base}")
    return PageRequest(number=number, index=number - page_base, size=size)


def _integer(query: Mapping[str, str], parameter: str, default: int) -> int:
    raw = query.get(parameter)
    if raw is None:
        return default
    if not _SIGNED_DIGITS.fullmatch(raw) or abs(int(raw)) > _MAX_ID:
        raise BadParameter(parameter, f"{parameter} must be an integer, got {_excerpt(raw)}")
    return int(raw)


def _excerpt(raw: str) -> str:
    """Quote a parameter's value for an error detail, cut short if it is long."""
    return repr(raw) if len(raw) <= 40 else f"{raw[:40]!r}... ({len(raw)} characters)"


def _parse_id_list(raw: str, parameter: str) -> frozenset[int]:
    return frozenset(parse_id(part.strip(), parameter) for part in raw.split(","))


def _parse_status(raw: str, parameter: str) -> str:
    if raw not in RUN_STATUSES:
        allowed = ", ".join(RUN_STATUSES)
        raise BadParameter(parameter, f"{parameter} must be one of {allowed}, got {_excerpt(raw)}")
    return raw


def _parse_parent(raw: str, parameter: str) -> int | Literal["null"]:
    return ROOT_RUNS if raw == ROOT_RUNS else parse_id(raw, parameter)


def _pairs(raw: str, parameter: str) -> list[tuple[str, str]]:
    pairs = []
    for part in raw.split(","):
        key, colon, value = part.partition(":")
        if not colon or not key or not value:
            raise BadParameter(parameter, f"{parameter} expects key:value pairs, got {part!r}")
        pairs.append((key, value))
    return pairs


def _parse_tags(raw: str, parameter: str) -> tuple[TagCondition, ...]:
    return tuple(TagCondition(key, value) for key, value in _pairs(raw, parameter))


def _parse_params(raw: str, parameter: str) -> tuple[ParamCondition, ...]:
    conditions = []
    for key, value in _pairs(raw, parameter):
        operator: ParamOperator = next((op for op in _COMPARISONS if value.startswith(op)), "=")
        operand = value.removeprefix(operator) if operator != "=" else value
        if operator != "=" and _as_number(operand) is None:
            raise BadParameter(parameter, f"{parameter}: {key} compares with a non-number")
        conditions.append(ParamCondition(key, operator, operand))
    return tuple(conditions)


def _as_number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
