"""`BlockingPAIClient`: `PAIClient` for synchronous code, one line per operation."""

from __future__ import annotations

from typing import Any

from .._blocking._surface import (
    BlockingBasePaginator,
    BlockingClient,
    BlockingResource,
    blocking,
    same_arguments,
    wrapped,
)
from ._client import PAIClient
from ._resources import PAIExperiments, PAIRuns

__all__ = ["BlockingPAIClient", "BlockingPAIExperiments", "BlockingPAIRuns"]


class BlockingPAIRuns(BlockingResource[PAIRuns]):
    """PAI runs for synchronous code: the same methods, arguments and results."""

    list = wrapped(PAIRuns.list, BlockingBasePaginator)
    get = blocking(PAIRuns.get)
    metrics = wrapped(PAIRuns.metrics, BlockingBasePaginator)


class BlockingPAIExperiments(BlockingResource[PAIExperiments]):
    """PAI experiments for synchronous code: the same methods, arguments and results."""

    list = wrapped(PAIExperiments.list, BlockingBasePaginator)


class BlockingPAIClient(BlockingClient[PAIClient]):
    """`PAIClient` for synchronous code: scripts, threads, notebooks.

    It takes `PAIClient`'s arguments and works as `BlockingModelLabClient` does.

    Example:
        >>> with BlockingPAIClient(region="cn-hangzhou") as pai:  # keys from the environment
        ...     for run in pai.runs.list(workspace_id="145883", verbose=True):
        ...         print(run.run_id, run.name)
    """

    @same_arguments(PAIClient.__init__)
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(PAIClient(*args, **kwargs))
        self.runs = BlockingPAIRuns(self._client.runs, self._runner)
        """Runs: list (token pages), get, and their metrics."""
        self.experiments = BlockingPAIExperiments(self._client.experiments, self._runner)
        """Experiments: list (token pages)."""
