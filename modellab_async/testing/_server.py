"""FakeModelLab: serve a dataset over HTTP on the loopback interface, and change it."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import TYPE_CHECKING, Unpack

import msgspec

from ._app import RecordedRequest, Settings, build_app
from ._churn import Churn
from ._dataset import Dataset, Project, Run, RunFields
from ._faults import Fault, FaultPlan
from ._generate import RunFactory, fresh_run, generate_dataset
from ._ratelimit import RateLimit
from ._serve import LoopbackServer
from ._store import Store

if TYPE_CHECKING:
    from ssl import SSLContext


class FakeModelLab(LoopbackServer):
    """A fake Model Lab API server that behaves like the real one, for tests.

    It serves all 16 endpoints under /api/v2/model-lab-api over real HTTP, from
    a seeded generated dataset (or the `dataset` given), checks the DD-API-KEY
    and DD-APPLICATION-KEY headers, and records every request it serves::

        async with FakeModelLab(runs=500, seed=1) as fake:
            async with ModelLabClient(
                base_url=fake.url, api_key=fake.api_key, app_key=fake.app_key
            ) as client:
                ...
            assert [r.path for r in fake.requests] == [...]

    Its data can change while it serves, as the service's does, to test code
    that keeps a copy current: `add_run`, `update_run`, `delete_run` and
    `restore_run` change one run, `start_churn` changes runs at a steady rate
    in the background, and `runs()` and `projects()` read back what it serves::

        with fake.start_churn(per_second=200, seed=1):
            await sync(client)  # while runs change
        await sync(client)  # once more, quiet
        assert copy == {run.id: run.updated_at for run in fake.runs()}

    Every change moves the run's `updated_at` later than any timestamp the fake
    holds, so it tops the default `-updated_at` order. Call these methods on
    the event loop the fake serves on.

    Args:
        runs: the number of runs of the generated dataset.
        projects: the number of projects of the generated dataset.
        seed: seeds the generated dataset and everything random the fake does.
        dataset: serve this dataset instead of generating one.
        page_base: the number of the first page: 0 as the service answers in
            May 2026, or 1 as its documentation says.
        link_host: the origin written in pagination links (e.g.
            "https://api.datadoghq.com", as behind a proxy); by default the
            origin the request was sent to.
        api_key: the accepted API key.
        app_keys: the accepted application keys; pins and stars belong to the
            application key that made them.
        rate_limit: limit requests per API key (off by default).
        faults: the fault plan, or faults for a plan seeded by `seed`. It stays
            mutable through `fake.faults`, which a new plan may also replace.
        host: the address to listen on.
        port: the port to listen on; 0 picks a free port.
        ssl: serve HTTPS with this server-side context (its certificate and key,
            e.g. from the `trustme` package); `url` then starts with https://, and
            the client needs `ssl=` a context that trusts the certificate's CA.
    """

    def __init__(
        self,
        *,
        runs: int = 1000,
        projects: int = 10,
        seed: int = 0,
        dataset: Dataset | None = None,
        page_base: int = 0,
        link_host: str | None = None,
        api_key: str = "fake-api-key",
        app_keys: Iterable[str] = ("fake-app-key", "fake-app-key-2"),
        rate_limit: RateLimit | None = None,
        faults: FaultPlan | Iterable[Fault] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl: SSLContext | None = None,
    ) -> None:
        app_keys = tuple(app_keys)
        if not app_keys:
            raise ValueError("at least one application key is needed")
        if page_base not in (0, 1):
            raise ValueError("page_base must be 0 or 1")
        self.dataset = (
            dataset
            if dataset is not None
            else generate_dataset(runs=runs, projects=projects, seed=seed)
        )
        self.api_key = api_key
        self.app_keys = app_keys
        self.requests: list[RecordedRequest] = []
        self.faults = (
            faults if isinstance(faults, FaultPlan) else FaultPlan(faults or (), seed=seed)
        )
        self._store = Store(self.dataset)
        self._factory = RunFactory(random.Random(seed))
        self._churns: list[Churn] = []
        settings = Settings(
            page_base=page_base,
            link_host=link_host,
            api_key=api_key,
            app_keys=frozenset(app_keys),
        )
        app = build_app(
            self._store,
            settings,
            requests=self.requests,
            faults=lambda: self.faults,
            rate_limit=rate_limit,
            factory=self._factory,
        )
        super().__init__(app, host, port, ssl)

    @property
    def app_key(self) -> str:
        """The first accepted application key."""
        return self.app_keys[0]

    # Reading back what the fake serves

    def runs(self, *, include_deleted: bool = False) -> list[Run]:
        """Return a copy of every live run (and deleted one, if asked), by id.

        The copies do not change when the fake does: compare a synced copy
        with them::

            served = {run.id: run.updated_at for run in fake.runs()}
        """
        runs = (run for run in self._store.runs() if include_deleted or run.deleted_at is None)
        return sorted(map(_copy_run, runs), key=lambda run: run.id)

    def projects(self) -> list[Project]:
        """Return a copy of every live project, by id."""
        projects = map(_copy_project, self._store.live_projects())
        return sorted(projects, key=lambda project: project.id)

    # Changing it

    def add_run(
        self,
        *,
        project_id: int | None = None,
        parent_run_id: int | None = None,
        **fields: Unpack[RunFields],
    ) -> Run:
        """Add a running run, generated like the others with `fields` set; return a copy.

        It belongs to `project_id` (by default its parent's project, or one
        drawn at random), is a child of `parent_run_id` if given, and was
        created, started and updated now. Raises KeyError for a project or
        parent that is unknown or deleted::

            run = fake.add_run(project_id=2, name="baseline", status="completed")
        """
        changes = _checked(fields)
        if parent_run_id is not None:
            parent = self._live_run(parent_run_id)
            if project_id not in (None, parent.project_id):
                raise ValueError(f"parent run {parent_run_id} is in project {parent.project_id}")
            project_id = parent.project_id
        if project_id is not None:
            project = self._store.project(project_id)
            if project is None:
                raise KeyError(f"no live project {project_id}")
        else:
            project = self._factory.pick(self._store.live_projects())
        run = self._store.create_run(
            lambda run_id, now: msgspec.structs.replace(
                fresh_run(self._factory, run_id, project, now, parent_run_id=parent_run_id),
                **changes,
            )
        )
        return _copy_run(run)

    def update_run(self, run_id: int, **fields: Unpack[RunFields]) -> Run:
        """Set `fields` on a live run and move its `updated_at` to now; return a copy.

        With no fields it only touches the run. Raises KeyError if no live run
        has this id::

            fake.update_run(run.id, status="failed", completed_at=None)
        """
        return _copy_of(self._store.update_run(run_id, _checked(fields)), run_id, "live")

    def delete_run(self, run_id: int) -> Run:
        """Soft-delete a live run, as DELETE does: gone from listings, then 404; return a copy.

        Raises KeyError if no live run has this id.
        """
        return _copy_of(self._store.delete_run(run_id), run_id, "live")

    def restore_run(self, run_id: int) -> Run:
        """Bring back a soft-deleted run, its `updated_at` moved to now; return a copy.

        Raises KeyError if no deleted run has this id.
        """
        return _copy_of(self._store.restore_run(run_id), run_id, "deleted")

    def start_churn(
        self,
        per_second: float,
        *,
        seed: int = 0,
        inserts: float = 1.0,
        updates: float = 2.0,
        deletes: float = 1.0,
    ) -> Churn:
        """Change `per_second` runs a second in the background until stopped or closed.

        Each change is an insert, an update (new status and metrics) or a soft
        delete, drawn with the relative weights given, every choice seeded by
        `seed`. The fake must be started. Stop it with `churn.stop()`, or use
        it as a context manager; `churn.make(n)` makes n changes at once (with
        `per_second=0`, the only ones)::

            with fake.start_churn(per_second=100, seed=7) as churn:
                ...
            print(churn.inserted, churn.updated, churn.deleted)
        """
        if self._runner is None:
            raise RuntimeError("start the fake before its churn")
        churn = Churn(
            self._store,
            per_second=per_second,
            seed=seed,
            inserts=inserts,
            updates=updates,
            deletes=deletes,
        )
        self._churns.append(churn)
        return churn

    async def close(self) -> None:
        """Stop every churn, then stop listening and close open connections."""
        churns, self._churns = self._churns, []
        for churn in churns:
            await churn.aclose()
        await super().close()

    def _live_run(self, run_id: int) -> Run:
        run = self._store.run(run_id)
        if run is None:
            raise KeyError(f"no live run {run_id}")
        return run


def _checked(fields: RunFields) -> dict[str, object]:
    """Refuse names `RunFields` does not have (mypy catches them; a caller without it may not)."""
    unknown = fields.keys() - RunFields.__optional_keys__
    if unknown:
        raise TypeError(f"not a field a test may set: {', '.join(sorted(unknown))}")
    return dict(fields)


def _copy_of(run: Run | None, run_id: int, state: str) -> Run:
    """Return a copy of the run a change touched; `KeyError` if no run in `state` had the id."""
    if run is None:
        raise KeyError(f"no {state} run {run_id}")
    return _copy_run(run)


def _copy_run(run: Run) -> Run:
    # Entries are frozen structs; copying the lists is enough to make the copy independent.
    return msgspec.structs.replace(
        run,
        tags=list(run.tags),
        params=None if run.params is None else list(run.params),
        metric_summaries=list(run.metric_summaries),
        artifacts=list(run.artifacts),
    )


def _copy_project(project: Project) -> Project:
    return msgspec.structs.replace(
        project, tags=list(project.tags), artifacts=list(project.artifacts)
    )
