"""FakePAI: serve a PAI dataset over HTTP on the loopback interface."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from ...pai._signing import Credentials
from .._faults import FaultPlan
from .._serve import LoopbackServer
from ._app import PAIRequest, PAIService, build_app
from ._dataset import PAIDataset, generate_pai_dataset
from ._paging import TokenQuirks


def _utc_now() -> datetime:
    return datetime.now(UTC)


class FakePAI(LoopbackServer):
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
        runs: the number of runs of the generated dataset.
        experiments: the number of experiments of the generated dataset.
        seed: seeds the generated dataset and everything random the fake does.
        dataset: serve this dataset instead of generating one.
        access_key_id: the AccessKey id of the one accepted account.
        access_key_secret: its AccessKey secret.
        security_token: its STS token, required in requests when set.
        faults: the fault plan (shared with `FakeModelLab`); mutable through `fake.faults`,
            which a new plan may also replace.
        quirks: how page tokens misbehave; mutable through `fake.quirks`.
        clock: the server's time, against which `x-acs-date` is checked.
        host: the address to listen on.
        port: the port to listen on; 0 picks a free port.
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
        app = build_app(
            self._service,
            accounts={access_key_id: self.credentials},
            clock=clock,
            faults=lambda: self.faults,
            requests=self.requests,
            seed=seed,
        )
        super().__init__(app, host, port)

    @property
    def quirks(self) -> TokenQuirks:
        """How page tokens misbehave from the next request on."""
        return self._service.quirks

    @quirks.setter
    def quirks(self, quirks: TokenQuirks) -> None:
        self._service.quirks = quirks

    @property
    def host(self) -> str:
        """The `Host` header requests carry (and sign): "127.0.0.1:8126"."""
        return self.url.removeprefix("http://")
