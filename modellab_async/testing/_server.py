"""FakeModelLab: serve a dataset over HTTP on the loopback interface."""

from __future__ import annotations

from collections.abc import Iterable

from ._app import RecordedRequest, Settings, build_app
from ._dataset import Dataset
from ._faults import FaultPlan
from ._generate import generate_dataset
from ._ratelimit import RateLimit
from ._serve import LoopbackServer
from ._store import Store


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

    Args:
        runs, projects, seed: the size and seed of the generated dataset.
        dataset: serve this dataset instead of generating one.
        page_base: the number of the first page: 0 as the service answers in
            May 2026, or 1 as its documentation says.
        link_host: the origin written in pagination links (e.g.
            "https://api.datadoghq.com", as behind a proxy); by default the
            origin the request was sent to.
        api_key, app_keys: the accepted keys; pins and stars belong to the
            application key that made them.
        rate_limit: limit requests per API key (off by default).
        faults: the fault plan; it stays mutable through `fake.faults`.
        host, port: where to listen; port 0 picks a free port.
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
        faults: FaultPlan | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
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
        self.faults = faults if faults is not None else FaultPlan(seed=seed)
        settings = Settings(
            page_base=page_base,
            link_host=link_host,
            api_key=api_key,
            app_keys=frozenset(app_keys),
        )
        app = build_app(
            Store(self.dataset),
            settings,
            requests=self.requests,
            faults=self.faults,
            rate_limit=rate_limit,
            seed=seed,
        )
        super().__init__(app, host, port)

    @property
    def app_key(self) -> str:
        """The first accepted application key."""
        return self.app_keys[0]
