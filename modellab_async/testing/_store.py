"""The fake's in-memory state: lookups, listings and mutations, with no HTTP in sight."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from ._artifacts import normalize_path, with_derived_sizes
from ._dataset import UTC, ArtifactFile, Dataset, Project, Run
from ._index import PartitionedIndex, SortedIndex
from ._query import PageRequest, ProjectListQuery, RunListQuery, as_id

_T = TypeVar("_T")

_RUN_SORT_KEYS: dict[str, Callable[[Run], tuple[Any, ...]]] = {
    "name": lambda run: (run.name,),
    "created_at": lambda run: (run.created_at,),
    "updated_at": lambda run: (run.updated_at,),
    # Runs without a duration sort as if longer than any, as PostgreSQL orders NULLs.
    "duration": lambda run: (run.duration is None, run.duration or 0),
}
_PROJECT_SORT_KEYS: dict[str, Callable[[Project], tuple[Any, ...]]] = {
    "name": lambda project: (project.name,),
    "created_at": lambda project: (project.created_at,),
    "updated_at": lambda project: (project.updated_at,),
}


@dataclass(frozen=True)
class ListedRun:
    """A run in a listing; `descendant_match` is true when only a descendant matched."""

    run: Run
    descendant_match: bool


@dataclass(frozen=True)
class Page(Generic[_T]):
    """One page of a listing and the number of items in the whole listing."""

    items: list[_T]
    total: int


@dataclass(frozen=True)
class StoredArtifact:
    """An artifact file found by its project and path; `run` is None for a project file."""

    file: ArtifactFile
    project_id: int
    artifact_path: str
    run: Run | None


# With include_descendant_matches these filters still apply to the listed run itself.
_PLACEMENT_FILTERS = frozenset({"project_id", "parent_run_id"})


def _system_clock() -> datetime:
    return datetime.now(UTC)


class Store:
    """Serve and mutate a `Dataset`, keeping sorted indexes of the live resources.

    Run indexes are built on first use, one per sort field and set of filtered
    attributes (project, parent, owner, status), split by the values of those
    attributes. A page of a listing whose filters are all such equalities is a
    slice of one part, so it costs O(page size) however many runs there are;
    any other listing walks an index once, which yields its matches already in
    order. Every mutation keeps every index in order.
    """

    def __init__(self, dataset: Dataset, clock: Callable[[], datetime] = _system_clock) -> None:
        self.dataset = dataset
        self._clock = clock
        self._last_stamp = _latest_stamp(dataset)
        self._projects = {project.id: project for project in dataset.projects}
        self._runs: dict[int, Run] = {}
        self._children: defaultdict[int, list[int]] = defaultdict(list)
        for run in dataset.runs:
            self._register(run)
        for run in dataset.runs:
            self._check_links(run)
        self._last_run_id = max(self._runs, default=0)
        self._run_indexes: dict[tuple[str, tuple[str, ...]], PartitionedIndex[Run]] = {}
        self._project_indexes: dict[str, SortedIndex[Project]] = {}
        self._live_runs_index()

    # Runs

    def run(self, run_id: int) -> Run | None:
        """Return the live run `run_id`, or None if it is unknown or deleted."""
        run = self._runs.get(run_id)
        return run if run is not None and run.deleted_at is None else None

    def runs(self) -> Iterable[Run]:
        """Iterate over every run, live or deleted, in the order they were added."""
        return self._runs.values()

    def has_children(self, run_id: int) -> bool:
        """Return whether the run has a live child."""
        return any(self.run(child) is not None for child in self._children.get(run_id, ()))

    def is_pinned(self, app_key: str, run_id: int) -> bool:
        """Return whether `app_key` pinned the run."""
        return run_id in self.dataset.pins.get(app_key, {})

    def project_runs(self, project_id: int) -> list[Run]:
        """Return the live runs of a project."""
        part = self._run_part("updated_at", {"project_id": project_id})
        return [self._runs[run_id] for run_id in part.ids(descending=False)]

    def list_runs(self, query: RunListQuery, app_key: str) -> Page[ListedRun]:
        """Evaluate a run listing as seen by `app_key`."""
        descending = query.sort.descending
        pins = self.dataset.pins.get(app_key, {})
        part = self._listing_part(query, pins)
        if part is not None:
            ids = part.slice(*_bounds(query.page), descending=descending)
            return Page([ListedRun(self._runs[i], False) for i in ids], total=len(part))
        included = self._included_runs(query, pins)
        index = self._run_part(query.sort.field, {})
        ordered = [run_id for run_id in index.ids(descending=descending) if run_id in included]
        if query.pinned_first:
            ordered = _pinned_first(ordered, pins)
        start, stop = _bounds(query.page)
        items = [ListedRun(self._runs[i], included[i]) for i in ordered[start:stop]]
        return Page(items, total=len(ordered))

    def _listing_part(
        self, query: RunListQuery, pins: dict[int, datetime]
    ) -> SortedIndex[Run] | None:
        """Return the index part holding exactly the listing's runs in order, if one does.

        One does when every filter is an indexed equality, no pin joins or
        reorders the listing, and no descendant can match in a run's place.
        """
        required = query.filters.equalities()
        if required is None or (
            pins and (query.pinned_first or (query.include_pinned and required))
        ):
            return None
        if query.include_descendant_matches and required.keys() - _PLACEMENT_FILTERS:
            return None
        return self._run_part(query.sort.field, required)

    def _included_runs(self, query: RunListQuery, pins: dict[int, datetime]) -> dict[int, bool]:
        """Map each run id of the listing to whether only a descendant matched."""
        filters = query.filters
        matched = [run for run in self._live_runs() if filters.describes(run)]
        included = {run.id: False for run in matched if filters.places(run)}
        if query.include_descendant_matches:
            visited: set[int] = set()
            for run in matched:
                for ancestor in self._ancestors(run, visited):
                    if ancestor.deleted_at is None and filters.places(ancestor):
                        included.setdefault(ancestor.id, True)
        if query.include_pinned:
            included.update((run_id, False) for run_id in pins if self.run(run_id))
        return included

    def _ancestors(self, run: Run, visited: set[int]) -> Iterator[Run]:
        """Walk up from `run`, stopping at ancestors another walk already visited."""
        parent_id = run.parent_run_id
        while parent_id is not None and parent_id not in visited:
            visited.add(parent_id)
            parent = self._runs[parent_id]
            yield parent
            parent_id = parent.parent_run_id

    def pick_run(self, rng: random.Random) -> Run | None:
        """Return a live run drawn at random by `rng`, or None if there is none."""
        index = self._live_runs_index()
        if not index:
            return None
        position = int(rng.random() * len(index))
        [run_id] = index.slice(position, position + 1, descending=False)
        return self._runs[run_id]

    def create_run(self, build: Callable[[int, datetime], Run]) -> Run:
        """Add the run `build(new id, timestamp)` makes: the timestamp is later than any other."""
        run = build(self._last_run_id + 1, self.stamp())
        if run.id in self._runs:
            raise ValueError(f"run {run.id} already exists")
        self._check_links(run)
        run.artifacts = with_derived_sizes(run)
        self._register(run)
        self._last_run_id = max(self._last_run_id, run.id)
        self._last_stamp = max(self._last_stamp, run.updated_at)
        self.dataset.runs.append(run)
        if run.deleted_at is None:
            self._index(run)
        return run

    def update_run(self, run_id: int, changes: Mapping[str, object]) -> Run | None:
        """Set the fields `changes` names on a live run and move its `updated_at` to now."""
        run = self.run(run_id)
        if run is None:
            return None
        self._unindex(run)
        for name, value in changes.items():
            setattr(run, name, value)
        run.artifacts = with_derived_sizes(run)
        run.updated_at = self.stamp()
        self._index(run)
        return run

    def delete_run(self, run_id: int) -> Run | None:
        """Soft-delete a live run; return None if there is none."""
        run = self.run(run_id)
        if run is None:
            return None
        self._unindex(run)
        run.deleted_at = self.stamp()
        return run

    def restore_run(self, run_id: int) -> Run | None:
        """Bring back a soft-deleted run, updated now; return None if there is none."""
        run = self._runs.get(run_id)
        if run is None or run.deleted_at is None:
            return None
        run.deleted_at = None
        run.updated_at = self.stamp()
        self._index(run)
        return run

    def pin_run(self, app_key: str, run_id: int) -> bool:
        """Pin a live run for `app_key` (pinning twice keeps the first pin time)."""
        if self.run(run_id) is None:
            return False
        self.dataset.pins.setdefault(app_key, {}).setdefault(run_id, self.stamp())
        return True

    def unpin_run(self, app_key: str, run_id: int) -> bool:
        """Remove the pin of `app_key` from a live run, pinned or not."""
        if self.run(run_id) is None:
            return False
        self.dataset.pins.get(app_key, {}).pop(run_id, None)
        return True

    # Projects

    def project(self, project_id: int) -> Project | None:
        """Return the live project `project_id`, or None."""
        project = self._projects.get(project_id)
        return project if project is not None and project.deleted_at is None else None

    def live_projects(self) -> list[Project]:
        """Return every live project."""
        return [project for project in self._projects.values() if project.deleted_at is None]

    def is_starred(self, app_key: str, project_id: int) -> bool:
        """Return whether `app_key` starred the project."""
        return project_id in self.dataset.stars.get(app_key, {})

    def list_projects(self, query: ProjectListQuery) -> Page[Project]:
        """Evaluate a project listing."""
        index = self._project_index(query.sort.field)
        ordered = [
            project
            for project_id in index.ids(descending=query.sort.descending)
            if query.filters.describes(project := self._projects[project_id])
        ]
        start, stop = _bounds(query.page)
        return Page(ordered[start:stop], total=len(ordered))

    def star_project(self, app_key: str, project_id: int) -> bool:
        """Star a live project for `app_key`; return False if there is none."""
        if self.project(project_id) is None:
            return False
        self.dataset.stars.setdefault(app_key, {}).setdefault(project_id, self.stamp())
        return True

    def unstar_project(self, app_key: str, project_id: int) -> bool:
        """Remove the star of `app_key` from a live project, starred or not."""
        if self.project(project_id) is None:
            return False
        self.dataset.stars.get(app_key, {}).pop(project_id, None)
        return True

    # Artifacts

    def artifact(self, project_id: int, artifact_path: str) -> StoredArtifact | None:
        """Find a file by project and path: `runs/<run id>/<path>` or a project file."""
        path = normalize_path(artifact_path)
        project = self.project(project_id)
        if project is None:
            return None
        root, run_id, run_path = path.split("/", 2) if path.count("/") >= 2 else ("", "", "")
        if root != "runs":
            found = next((file for file in project.artifacts if file.path == path), None)
            return StoredArtifact(found, project_id, path, None) if found is not None else None
        run = self.run(parsed_id) if (parsed_id := as_id(run_id)) is not None else None
        if run is None or run.project_id != project_id:
            return None
        found = next((file for file in run.artifacts if file.path == run_path), None)
        return StoredArtifact(found, project_id, path, run) if found is not None else None

    # Internals

    def _check_links(self, run: Run) -> None:
        if run.project_id not in self._projects:
            raise ValueError(f"run {run.id} belongs to unknown project {run.project_id}")
        if run.parent_run_id is not None and run.parent_run_id not in self._runs:
            raise ValueError(f"run {run.id} has unknown parent {run.parent_run_id}")

    def _register(self, run: Run) -> None:
        self._runs[run.id] = run
        if run.parent_run_id is not None:
            self._children[run.parent_run_id].append(run.id)

    def _live_runs(self) -> Iterable[Run]:
        return (run for run in self._runs.values() if run.deleted_at is None)

    def _run_part(self, field: str, required: Mapping[str, object]) -> SortedIndex[Run]:
        """Return the live runs whose attributes have the `required` values, sorted by `field`."""
        names = tuple(sorted(required))
        index = self._run_indexes.get((field, names))
        if index is None:
            index = PartitionedIndex(_RUN_SORT_KEYS[field], _attributes(names), self._live_runs())
            self._run_indexes[field, names] = index
        return index.part(tuple(required[name] for name in names))

    def _live_runs_index(self) -> SortedIndex[Run]:
        return self._run_part("updated_at", {})

    def _index(self, run: Run) -> None:
        for index in self._run_indexes.values():
            index.add(run)

    def _unindex(self, run: Run) -> None:
        for index in self._run_indexes.values():
            index.remove(run)

    def _project_index(self, field: str) -> SortedIndex[Project]:
        index = self._project_indexes.get(field)
        if index is None:
            index = SortedIndex(_PROJECT_SORT_KEYS[field], self.live_projects())
            self._project_indexes[field] = index
        return index

    def stamp(self) -> datetime:
        """Return the clock's time, made later than any time the store holds or returned.

        So pin order is exact, and a change always moves a run to the top of
        the `-updated_at` order, where an incremental reader looks for it.
        """
        self._last_stamp = max(self._clock(), self._last_stamp + timedelta(microseconds=1))
        return self._last_stamp


def _attributes(names: tuple[str, ...]) -> Callable[[Run], tuple[object, ...]]:
    return lambda run: tuple(getattr(run, name) for name in names)


def _latest_stamp(dataset: Dataset) -> datetime:
    """Return the latest time the dataset records a run or project changing."""
    stamps = [run.updated_at for run in dataset.runs]
    stamps += [run.deleted_at for run in dataset.runs if run.deleted_at is not None]
    stamps += [project.updated_at for project in dataset.projects]
    return max(stamps, default=datetime.min.replace(tzinfo=UTC))


def _bounds(page: PageRequest) -> tuple[int, int]:
    start = page.index * page.size
    return start, start + page.size


def _pinned_first(ordered: list[int], pins: dict[int, datetime]) -> list[int]:
    pinned = sorted((i for i in ordered if i in pins), key=lambda i: (pins[i], i), reverse=True)
    return pinned + [run_id for run_id in ordered if run_id not in pins]
