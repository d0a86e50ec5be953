"""Alibaba Cloud PAI runs and experiments, on the same engine as the Model Lab client.

Example:
    >>> from modellab_async.pai import PAIClient
    >>> async with PAIClient(region="cn-hangzhou") as pai:
    ...     async for run in pai.runs.list(workspace_id="145883", verbose=True):
    ...         print(run.run_id, run.name)
"""

from ._blocking import BlockingPAIClient
from ._client import PAIClient
from ._signing import Credentials, Signer
from .models import Experiment, Label, Metric, Param, Run, TokenPage

__all__ = [
    "BlockingPAIClient",
    "Credentials",
    "Experiment",
    "Label",
    "Metric",
    "PAIClient",
    "Param",
    "Run",
    "Signer",
    "TokenPage",
]
