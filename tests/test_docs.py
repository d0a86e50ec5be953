"""Every ```python block of the README and the docs runs, in order per file, against the fakes.

The blocks of one file share a namespace, so a later block may use what an earlier
one defined. They run as top-level-await code on one event loop, which also serves
a `FakeModelLab` and a `FakePAI`; the environment points every client an example
builds at them (`MODELLAB_BASE_URL`, `ALIBABA_CLOUD_PAI_ENDPOINT` and the keys). A
block without `await` runs in a worker thread, as a script would, so that it may
start its own loop with `asyncio.run`. What the examples leave to the reader
(`client`, `process(run)`, `upsert(run)`, ...) the namespace provides, recording
each call.
"""

from __future__ import annotations

import ast
import asyncio
import dataclasses
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pytest
import trustme

from modellab_async import ModelLabClient
from modellab_async.testing import Dataset, FakeModelLab, generate_dataset
from modellab_async.testing._pai import FakePAI, PAIDataset, generate_pai_dataset

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
#: Fences an example may use; a block that is not Python says what it is instead.
LANGUAGES = {"python", "console", "text", "bash", "sh"}
#: Per file: the examples talk to loopback servers, so seconds are plenty.
TIME_LIMIT = 40.0

_FENCE = re.compile(r"(?P<indent>[ \t]*)```(?P<language>\S*)")

# The ids the examples name: project 101 with its completed runs 42 and 43; PAI's
# workspace 145883 and its run run-1kbeh4duh6s.
PROJECT_ID = 101
RUN_IDS = (42, 43)
PAI_WORKSPACE = "145883"
PAI_RUN_ID = "run-1kbeh4duh6s"


@dataclass(frozen=True)
class Block:
    """One fenced block: its language, its first line's number in the file, its code."""

    language: str
    line: int
    source: str


def fenced_blocks(path: Path) -> list[Block]:
    """Return the fenced blocks of a Markdown file, indented ones (in lists) included."""
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    number = 0
    while number < len(lines):
        opening = _FENCE.fullmatch(lines[number])
        number += 1
        if opening is None:
            continue
        indent = len(opening["indent"])
        start = number
        while lines[number].strip() != "```":
            number += 1
        body = "\n".join(line[indent:] for line in lines[start:number])
        blocks.append(Block(opening["language"], start + 1, body + "\n"))
        number += 1
    return blocks


def python_blocks(path: Path) -> list[Block]:
    """Return the ```python blocks of a file, in order."""
    return [block for block in fenced_blocks(path) if block.language == "python"]


WITH_EXAMPLES = [path for path in DOCUMENTS if python_blocks(path)]


def docs_dataset() -> Dataset:
    """A small generated dataset holding what the examples name."""
    dataset = generate_dataset(runs=300, projects=PROJECT_ID, seed=0)
    donor = next(
        run
        for run in dataset.runs
        if run.status == "completed" and run.deleted_at is None and run.id not in RUN_IDS
    )
    for index, run in enumerate(dataset.runs):
        if run.id in RUN_IDS:
            dataset.runs[index] = msgspec.structs.replace(
                donor, id=run.id, project_id=PROJECT_ID, parent_run_id=None
            )
    return dataset


def pai_dataset() -> PAIDataset:
    """A small generated PAI dataset whose first workspace and run have the examples' ids."""
    dataset = generate_pai_dataset(runs=40, experiments=3, seed=0)
    first = dataset.workspaces[0]

    def moved(workspace_id: str) -> str:
        return PAI_WORKSPACE if workspace_id == first else workspace_id

    dataset.workspaces = tuple(map(moved, dataset.workspaces))
    dataset.experiments = [
        dataclasses.replace(item, workspace_id=moved(item.workspace_id))
        for item in dataset.experiments
    ]
    dataset.runs = [
        dataclasses.replace(item, workspace_id=moved(item.workspace_id)) for item in dataset.runs
    ]
    dataset.runs[0] = dataclasses.replace(dataset.runs[0], run_id=PAI_RUN_ID)
    return dataset


class Placeholders:
    """The functions and data the examples leave to the reader; every call is recorded."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def recorder(self, name: str, result: object = None) -> Callable[..., Any]:
        """Return a function that records its calls under `name` and returns `result`."""

        def placeholder(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args, kwargs))
            return result

        placeholder.__name__ = name
        return placeholder

    def namespace(self) -> dict[str, Any]:
        """Return the placeholders, by the names the examples use."""
        return {
            "process": self.recorder("process"),
            "upsert": self.recorder("upsert"),
            "store_and_commit": self.recorder("store_and_commit"),
            "save_to_disk": self.recorder("save_to_disk"),
            "load_state": self.recorder("load_state"),  # nothing saved: the first time
            # Ids some of which the fake has, and one it has never had.
            "run_ids": [*RUN_IDS, 7, 99_999],
        }

    def called(self) -> set[str]:
        """Return the names of the placeholders called."""
        return {name for name, _, _ in self.calls}

    def named_in(self, blocks: list[Block]) -> set[str]:
        """Return the names of the placeholder functions the blocks call."""
        functions = [name for name, value in self.namespace().items() if callable(value)]
        code = "".join(block.source for block in blocks)
        return {name for name in functions if re.search(rf"\b{name}\(", code)}


async def run_blocks(path: Path, blocks: list[Block], namespace: dict[str, Any]) -> None:
    """Run `blocks` in order in `namespace`: awaited on this loop, or in a thread if sync."""
    for block in blocks:
        # Blank lines in front, so that a traceback names the line of the Markdown file.
        code = compile(
            "\n" * (block.line - 1) + block.source,
            str(path.relative_to(ROOT)),
            "exec",
            flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
            dont_inherit=True,  # not this module's `from __future__ import annotations`
        )
        if code.co_flags & inspect.CO_COROUTINE:
            await eval(code, namespace)
        else:
            await asyncio.to_thread(exec, code, namespace)


async def run_examples(
    path: Path, monkeypatch: pytest.MonkeyPatch, placeholders: Placeholders
) -> None:
    async with (
        FakeModelLab(dataset=docs_dataset(), seed=0) as fake,
        FakePAI(dataset=pai_dataset(), seed=0) as pai,
    ):
        environment = {
            "MODELLAB_BASE_URL": fake.url,
            "DD_API_KEY": fake.api_key,
            "DD_APP_KEY": fake.app_key,
            "ALIBABA_CLOUD_PAI_ENDPOINT": pai.url,
            "ALIBABA_CLOUD_ACCESS_KEY_ID": pai.credentials.access_key_id,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": pai.credentials.access_key_secret,
        }
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        # dlt pipelines of the examples keep their working files here, and report nothing.
        monkeypatch.setenv("DLT_DATA_DIR", str(Path.cwd() / ".dlt"))
        monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
        for name in ("DD_SITE", "ALIBABA_CLOUD_SECURITY_TOKEN"):
            monkeypatch.delenv(name, raising=False)
        async with ModelLabClient() as client:
            namespace = {"__name__": "__docs__", "client": client, "fake": fake}
            namespace.update(placeholders.namespace())
            await run_blocks(path, python_blocks(path), namespace)


@pytest.mark.parametrize("path", WITH_EXAMPLES, ids=lambda path: str(path.relative_to(ROOT)))
def test_the_examples_of_a_file_run_against_the_fakes(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # examples write runs.jsonl, downloads/, ...
    trustme.CA().cert_pem.write_to_path(tmp_path / "corp-ca.pem")  # a private CA's certificate
    placeholders = Placeholders()
    asyncio.run(asyncio.wait_for(run_examples(path, monkeypatch, placeholders), TIME_LIMIT))
    # The fakes hold what the examples name, so their loops do reach the placeholders.
    assert placeholders.named_in(python_blocks(path)) <= placeholders.called()


def test_every_fence_names_a_known_language() -> None:
    unnamed = [
        f"{path.relative_to(ROOT)}:{block.line}"
        for path in DOCUMENTS
        for block in fenced_blocks(path)
        if block.language not in LANGUAGES
    ]
    assert unnamed == [], "a fence without a language (or `py`) would escape the examples' test"


def test_the_readme_and_the_guides_have_examples() -> None:
    assert ROOT / "README.md" in WITH_EXAMPLES
    assert sum(len(python_blocks(path)) for path in WITH_EXAMPLES) > 10


def test_the_fence_reader_finds_indented_blocks_and_their_lines(tmp_path: Path) -> None:
    document = tmp_path / "page.md"
    document.write_text(
        "Text\n\n```python\nx = 1\n```\n\n- item:\n\n  ```python\n  y = x\n  ```\n\n```text\nout\n```\n"
    )
    assert fenced_blocks(document) == [
        Block("python", 4, "x = 1\n"),
        Block("python", 10, "y = x\n"),
        Block("text", 14, "out\n"),
    ]


def test_the_readmes_links_reach_files_of_the_repository() -> None:
    # mkdocs checks the links of docs/; the README lives outside it, as the front door.
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", (ROOT / "README.md").read_text())
    relative = [target for target in targets if "://" not in target]
    assert relative, "the README links into the docs"
    assert [target for target in relative if not (ROOT / target).is_file()] == []
