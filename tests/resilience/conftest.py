"""Fixtures of the resilience suite, and the table of fault runs printed at the end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import astuple, dataclass, field, fields

import msgspec
import pytest

from modellab_async.testing import Dataset, FakeModelLab, generate_dataset
from tests.resilience.support import API_KEY, APP_KEY
from tests.scripted import ScriptedServer

RUNS = 10_000
SEED = 2026


@dataclass(frozen=True)
class FaultRun:
    """One row of the fault table: how a listing fared against one fault."""

    fault: str
    mode: str
    requests: int
    retries: int
    items: int
    result: str


@dataclass
class FaultTable:
    """The rows the fault suite collects during a session."""

    rows: list[FaultRun] = field(default_factory=list)

    def add(self, row: FaultRun) -> None:
        self.rows.append(row)

    def lines(self) -> list[str]:
        header = tuple(f.name for f in fields(FaultRun))
        cells = [header, *(tuple(map(str, astuple(row))) for row in self.rows)]
        widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
        text = [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
        return [text[0], "-+-".join("-" * w for w in widths), *text[1:]]


TABLE = pytest.StashKey[FaultTable]()


@pytest.fixture
def fault_table(request: pytest.FixtureRequest) -> FaultTable:
    return request.config.stash.setdefault(TABLE, FaultTable())


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    table = config.stash.get(TABLE, None)
    if table is None or not table.rows:
        return
    terminalreporter.write_sep("=", f"fault suite: listing {RUNS:,} runs in pages of 100")
    for line in table.lines():
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def dataset_10k() -> Dataset:
    """Generate the 10,000 runs once; each test serves its own copy, since drift adds runs."""
    return generate_dataset(runs=RUNS, projects=10, seed=SEED)


@pytest.fixture
async def fake(dataset_10k: Dataset) -> AsyncIterator[FakeModelLab]:
    copy = msgspec.structs.replace(
        dataset_10k,
        runs=list(dataset_10k.runs),
        pins={key: dict(pins) for key, pins in dataset_10k.pins.items()},
        stars={key: dict(stars) for key, stars in dataset_10k.stars.items()},
    )
    async with FakeModelLab(dataset=copy, seed=SEED, api_key=API_KEY, app_keys=[APP_KEY]) as fake:
        yield fake


@pytest.fixture
async def scripted() -> AsyncIterator[ScriptedServer]:
    """A scripted server on 127.0.0.1: each test installs its handler."""
    async with ScriptedServer() as server:
        yield server
