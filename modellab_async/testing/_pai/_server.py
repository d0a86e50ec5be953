"""FakePAI: serve a PAI dataset over HTTP on the loopback interface."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from aiohttp import web

from ...pai._signing import Credentials
from .._faults import FaultPlan
from ._app import PAIRequest, PAIService, build_app
from ._dataset import PAIDataset, generate_pai_dataset
from ._paging import TokenQuirks


def _utc_now() -> datetime:
    return datetime.now(UTC)


class FakePAI:
    """A fake Alibaba Cloud PAI (AIWorkspace 2021-02-04) API server, for tests.

    It serves ListRuns, GetRun, ListRunMetrics and ListExperiment under /api/v1
    over real HTTP, checks every ACS3-HMAC-SHA256 signature (date within 15
    minutes, nonce never reused, security token when configured), answers
    errors with PAI's body (`Code`, `Message`, `RequestId`, `HostId`,
    `Recommend`), and records every request::

        async with FakePAI(runs=300, seed=1) as fake:
            signer = Signer(fake.credentials)
            ...  # send requests to fake.url, with Host fake.host
            assert [r.action for r in fake.requests] == ["ListRuns", ...]

    Args:
        runs, experiments, seed: the size and seed of the generated dataset.
        dataset: serve this dataset instead of generating one.
        access_key_id, access_key_secret, security_token: the one accepted account.
        faults: the fault plan (shared with `FakeModelLab`); mutable through `fake.faults`.
        quirks: how page tokens misbehave; mutable through `fake.quirks`.
        clock: the server's time, against which `x-acs-date` is checked.
        host, port: where to listen; port 0 picks a free port.
    """

    def __init__(
        self,
        *,
        runs: int = 200,
        experiments: int = 5,
        seed: int = 0,
        dataset: PAIDataset | None = None,
        access_key_id: str = "fake-access-key-id",
        access_key_secret: str = "fake-access-key-secret",  # a fake's well-known key
        security_token: str | None = None,
        faults: FaultPlan | None = None,
        quirks: TokenQuirks | None = None,
        clock: Callable[[], datetime] = _utc_now,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.dataset = (
            dataset
            if dataset is not None
            else generate_pai_dataset(runs=runs, experiments=experiments, seed=seed)
        )
        self.credentials = Credentials(access_key_id, access_key_secret, security_token)
        self.faults = faults if faults is not None else FaultPlan(seed=seed)
        self.requests: list[PAIRequest] = []
        self._service = PAIService(self.dataset, seed=seed, quirks=quirks or TokenQuirks())
        self.app = build_app(
            self._service,
            accounts={access_key_id: self.credentials},
            clock=clock,
            faults=self.faults,
            requests=self.requests,
            seed=seed,
        )
        self._bind = (host, port)
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    @property
    def quirks(self) -> TokenQuirks:
        """How page tokens misbehave from the next request on."""
        return self._service.quirks

    @quirks.setter
    def quirks(self, quirks: TokenQuirks) -> None:
        self._service.quirks = quirks

    @property
    def url(self) -> str:
        """The origin to send requests to, e.g. "http://127.0.0.1:8126"."""
        if self._url is None:
            raise RuntimeError("the fake is not started")
        return self._url

    @property
    def host(self) -> str:
        """The `Host` header requests carry (and sign): "127.0.0.1:8126"."""
        return self.url.removeprefix("http://")

    async def start(self) -> None:
        """Start listening."""
        if self._runner is not None:
            raise RuntimeError("the fake is already started")
        runner = web.AppRunner(self.app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, *self._bind).start()
        except BaseException:
            await runner.cleanup()
            raise
        host, port = runner.addresses[0][:2]
        self._runner = runner
        self._url = f"http://{host}:{port}" if ":" not in host else f"http://[{host}]:{port}"

    async def close(self) -> None:
        """Stop listening and close open connections; closing twice is harmless."""
        runner, self._runner, self._url = self._runner, None, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
