"""What the fake serves: documented filters and orders, details, single runs, metric records."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import msgspec
import pytest

from modellab_async.errors import BadRequestError, NotFoundError
from modellab_async.pai.models import ExperimentsPage, MetricsPage, Run, RunsPage, api_error
from modellab_async.testing._pai import FakePAI, generate_pai_dataset

from .conftest import SignedSession

pytestmark = pytest.mark.anyio

LIST_RUNS = "/api/v1/runs"


async def list_runs(pai: SignedSession, **query: str) -> RunsPage:
    answer = await pai.get("ListRuns", LIST_RUNS, {"MaxResults": "100", **query})
    assert answer.status == 200, answer.body
    return msgspec.json.decode(answer.body, type=RunsPage)


def created(run: Run) -> datetime:
    assert run.gmt_create_time is not None
    return run.gmt_create_time


def test_the_dataset_is_reproducible() -> None:
    assert generate_pai_dataset(runs=20, seed=3) == generate_pai_dataset(runs=20, seed=3)
    assert generate_pai_dataset(runs=20, seed=3) != generate_pai_dataset(runs=20, seed=4)


async def test_without_a_workspace_the_default_one_is_listed(
    fake: FakePAI, pai: SignedSession
) -> None:
    page = await list_runs(pai)
    default = fake.dataset.default_workspace
    expected = [run.run_id for run in fake.dataset.runs if run.workspace_id == default]
    assert sorted(run.run_id for run in page.items) == sorted(expected)
    assert page.total == len(expected)
    other = fake.dataset.workspaces[1]
    assert {run.workspace_id for run in (await list_runs(pai, WorkspaceId=other)).items} == {other}


async def test_runs_are_newest_first_by_default_and_sortable(pai: SignedSession) -> None:
    newest_first = [created(run) for run in (await list_runs(pai)).items]
    assert newest_first == sorted(newest_first, reverse=True)
    oldest_first = await list_runs(pai, SortBy="GmtCreateTime", Order="ASC")
    assert [created(run) for run in oldest_first.items] == sorted(newest_first)
    by_name = await list_runs(pai, SortBy="Name", Order="ASC")
    assert [run.name for run in by_name.items] == sorted(run.name or "" for run in by_name.items)


async def test_order_by_sorts_by_several_fields(pai: SignedSession) -> None:
    page = await list_runs(pai, OrderBy="Name DESC,GmtCreateTime ASC")
    keys = [(run.name or "", created(run)) for run in page.items]
    for (name, at), (next_name, next_at) in itertools.pairwise(keys):
        assert name > next_name or (name == next_name and at <= next_at)


@pytest.mark.parametrize(
    "query",
    [
        {"SortBy": "Owner"},
        {"Order": "UP"},
        {"OrderBy": "Name DESC ASC"},
        {"Labels": "novalue"},
        {"MaxResults": "9" * 5_000},
        {"PageNumber": "1", "PageSize": "²"},
    ],
)
async def test_bad_parameters_are_refused(pai: SignedSession, query: dict[str, str]) -> None:
    answer = await pai.get("ListRuns", LIST_RUNS, query)
    assert answer.status == 400
    assert answer.json()["Code"].startswith("InvalidParameter.")
    assert type(api_error(answer.status, answer.body)) is BadRequestError


@pytest.mark.parametrize("field", ["ExperimentId", "SourceType", "SourceId"])
async def test_runs_filter_by_exact_field(fake: FakePAI, pai: SignedSession, field: str) -> None:
    first = (await list_runs(pai)).items[0]
    value = msgspec.to_builtins(first)[field]
    page = await list_runs(pai, **{field: value})
    assert page.items
    assert {msgspec.to_builtins(run)[field] for run in page.items} == {value}


async def test_runs_filter_by_labels_and_name(pai: SignedSession) -> None:
    everything = await list_runs(pai, Verbose="true")
    evaluations = await list_runs(pai, Labels="is_evaluation:true", Verbose="true")
    assert 0 < len(evaluations.items) < len(everything.items)
    for run in evaluations.items:
        assert run.labels is not None
        assert ("is_evaluation", "true") in {(label.key, label.value) for label in run.labels}
    both = await list_runs(pai, Labels="is_evaluation:true,model:resnet50")
    assert {run.run_id for run in both.items} < {run.run_id for run in evaluations.items}
    name = everything.items[0].name or ""
    assert name in {run.name for run in (await list_runs(pai, Name=name[:5])).items}


async def test_details_only_when_verbose(pai: SignedSession) -> None:
    [plain] = (await list_runs(pai, MaxResults="1")).items
    assert (plain.labels, plain.params, plain.metrics) == (None, None, None)
    [verbose] = (await list_runs(pai, MaxResults="1", Verbose="true")).items
    assert verbose.labels
    assert verbose.params
    assert verbose.metrics
    assert {metric.key for metric in verbose.metrics} == {"loss", "accuracy", "learning_rate"}


async def test_get_run_answers_one_run_or_not_found(pai: SignedSession) -> None:
    [listed] = (await list_runs(pai, MaxResults="1")).items
    answer = await pai.get("GetRun", f"/api/v1/runs/{listed.run_id}", {"Verbose": "true"})
    run = msgspec.json.decode(answer.body, type=Run)
    assert run.run_id == listed.run_id
    assert run.request_id == answer.headers["x-acs-request-id"]
    assert run.params
    missing = await pai.get("GetRun", "/api/v1/runs/run-nope")
    assert missing.status == 404
    assert type(api_error(missing.status, missing.body)) is NotFoundError


async def test_run_metrics_are_token_paged_by_step(fake: FakePAI, pai: SignedSession) -> None:
    run = max(fake.dataset.runs, key=lambda run: len(run.metrics))
    path = f"/api/v1/runs/{run.run_id}/metrics"
    steps: list[int | None] = []
    query: dict[str, Any] = {"Key": "loss", "MaxResults": "4"}
    while True:
        page = msgspec.json.decode(
            (await pai.get("ListRunMetrics", path, query)).body, type=MetricsPage
        )
        assert page.total is None
        assert {metric.key for metric in page.items} <= {"loss"}
        steps += [metric.step for metric in page.items]
        if page.next_token == "0":
            break
        query["PageToken"] = page.next_token
    assert steps == [point.step for point in run.metrics if point.key == "loss"]


async def test_run_metrics_need_a_key(fake: FakePAI, pai: SignedSession) -> None:
    answer = await pai.get("ListRunMetrics", f"/api/v1/runs/{fake.dataset.runs[0].run_id}/metrics")
    assert answer.status == 400
    assert answer.json()["Code"] == "MissingKey"


async def test_experiments_are_listed_with_a_total(fake: FakePAI, pai: SignedSession) -> None:
    answer = await pai.get("ListExperiment", "/api/v1/experiments", {"Verbose": "true"})
    page = msgspec.json.decode(answer.body, type=ExperimentsPage)
    default = fake.dataset.default_workspace
    expected = [e for e in fake.dataset.experiments if e.workspace_id == default]
    assert page.total == len(expected)
    assert {experiment.id for experiment in page.items} == {e.experiment_id for e in expected}
    assert all(experiment.labels for experiment in page.items)
    assert page.next_token == "0"


async def test_an_unknown_token_is_a_bad_request(pai: SignedSession) -> None:
    answer = await pai.get("ListRuns", LIST_RUNS, {"PageToken": "123"})
    assert answer.status == 400
    assert answer.json()["Code"] == "InvalidParameter.PageToken"


async def test_page_numbers_are_served_too(pai: SignedSession) -> None:
    everything = (await list_runs(pai)).items
    answer = await pai.get("ListRuns", LIST_RUNS, {"PageNumber": "2", "PageSize": "3"})
    page = msgspec.json.decode(answer.body, type=RunsPage)
    assert [run.run_id for run in page.items] == [run.run_id for run in everything[3:6]]
