"""A fake Alibaba Cloud PAI (AIWorkspace) server, to test code that lists PAI runs.

`FakePAI` serves ListRuns, GetRun, ListRunMetrics and ListExperiment over real
HTTP from a seeded dataset, verifies ACS3-HMAC-SHA256 signatures with the
client's own signing functions, injects the Model Lab fake's `FaultPlan`
faults, and can misbehave with its page tokens (`TokenQuirks`).
"""

from ._app import PAIRequest
from ._auth import MAX_CLOCK_SKEW
from ._dataset import MetricPoint, PAIDataset, PAIExperiment, PAIRun, generate_pai_dataset
from ._paging import TokenQuirks
from ._server import FakePAI

__all__ = [
    "MAX_CLOCK_SKEW",
    "FakePAI",
    "MetricPoint",
    "PAIDataset",
    "PAIExperiment",
    "PAIRequest",
    "PAIRun",
    "TokenQuirks",
    "generate_pai_dataset",
]
