"""A fake Model Lab API server to test code that talks to Model Lab, as moto does for boto.

`FakeModelLab` serves all 16 endpoints of the Model Lab API (v2, preview) over
real HTTP on the loopback interface, from a seeded, generated `Dataset`. It
implements the wire independently of `modellab_async`'s client, so it can
catch the client's mistakes. `FaultPlan` injects latency, 429 bursts, 5xx
answers, broken bodies and page drift; `RateLimit` imitates the service's
rate limiting. Its runs can change while it serves (`FakeModelLab.add_run`,
`update_run`, `delete_run`, `restore_run`, and a seeded `Churn` from
`start_churn`), and `FakeModelLab.runs()` reads back what it serves.
`FakePAI` does the same for Alibaba Cloud PAI's runs, checking every
request's V3 signature. `MockTransport` drives a real client from a function
instead of a socket. With the package installed, pytest gets a
`modellab_fake` fixture (configured by a `modellab_fake` marker), and
`python -m modellab_async.testing` serves a fake from a shell.
"""

from ._app import RecordedRequest
from ._churn import Churn
from ._dataset import (
    RUN_STATUSES,
    ArtifactFile,
    Dataset,
    MetricSummary,
    Param,
    Project,
    Run,
    RunFields,
    RunStatus,
    Tag,
)
from ._faults import (
    ConnectionReset,
    Fault,
    FaultEffect,
    FaultPlan,
    Latency,
    PageDrift,
    ProxyErrorPage,
    ServerError,
    SlowBody,
    TooManyRequests,
    TruncatedBody,
)
from ._generate import generate_dataset
from ._mock import MockRequest, MockTransport
from ._pai import FakePAI, TokenQuirks
from ._ratelimit import RateLimit
from ._server import FakeModelLab

__all__ = [
    "RUN_STATUSES",
    "ArtifactFile",
    "Churn",
    "ConnectionReset",
    "Dataset",
    "FakeModelLab",
    "FakePAI",
    "Fault",
    "FaultEffect",
    "FaultPlan",
    "Latency",
    "MetricSummary",
    "MockRequest",
    "MockTransport",
    "PageDrift",
    "Param",
    "Project",
    "ProxyErrorPage",
    "RateLimit",
    "RecordedRequest",
    "Run",
    "RunFields",
    "RunStatus",
    "ServerError",
    "SlowBody",
    "Tag",
    "TokenQuirks",
    "TooManyRequests",
    "TruncatedBody",
    "generate_dataset",
]
