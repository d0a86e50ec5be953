"""Decoding documented and recorded bodies into the typed models, without a server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from modellab_async.models import (
    Document,
    FacetValues,
    Page,
    Project,
    Run,
    RunArtifacts,
    RunStatus,
    Tag,
)
from modellab_async.pai.models import Run as PAIRun

SAMPLES = Path(__file__).parent.parent / "samples"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def test_a_recorded_page_decodes() -> None:
    page = msgspec.json.decode(sample("runs_page_recorded.json"), type=Page[Run])
    first, _ = page.items
    assert first.id == "2387"
    assert first.type == "runs"
    assert first.attributes.status == RunStatus.COMPLETED
    assert first.attributes.status == "completed"
    assert first.attributes.duration == 4478.0
    assert isinstance(first.attributes.duration, float)
    assert first.attributes.created_at == datetime(2026, 5, 12, 8, 1, 0, 123000, tzinfo=UTC)
    summary = first.attributes.metric_summaries[0]
    assert (summary.min, summary.max, summary.stddev) == (0.0, 1.0, None)
    assert first.attributes.owner_id is None
    assert first.attributes.external_url is None
    assert page.meta.page.type == "number_size"
    assert page.links is not None
    assert page.links.prev is None


def test_an_unknown_status_comes_through_as_a_plain_string() -> None:
    page = msgspec.json.decode(sample("runs_page_recorded.json"), type=Page[Run])
    status = page.items[1].attributes.status
    assert status == "archived"
    assert type(status) is str
    assert page.items[1].attributes.params is None
    assert page.items[1].attributes.completed_at is None


def test_the_spec_examples_decode() -> None:
    page = msgspec.json.decode(sample("runs_page_spec_example.json"), type=Page[Run])
    assert page.links is None
    assert page.meta.page.first_number is None
    assert page.items[0].attributes.params is not None
    project = msgspec.json.decode(sample("project_spec_example.json"), type=Document[Project]).data
    assert project.attributes.tags[0].value == "opus"
    artifacts = msgspec.json.decode(
        sample("run_artifacts_spec_example.json"), type=Document[RunArtifacts]
    ).data
    assert [artifacts.artifact_path(f) for f in artifacts.attributes.files] == [
        "runs/42/model/weights.pt",
        "runs/42/model",
    ]
    assert artifacts.attributes.files[1].file_size is None


def test_facet_values_with_ranges() -> None:
    facet = msgspec.json.decode(sample("facet_values_metric.json"), type=Document[FacetValues]).data
    assert facet.id == "metric:accuracy:101"
    assert facet.attributes.numeric_range is not None
    assert facet.attributes.numeric_range.max == 1.0
    assert facet.attributes.metric_stat_ranges is not None
    assert facet.attributes.metric_stat_ranges[0].stat == "mean"


def test_a_missing_required_field_is_a_decode_error() -> None:
    with pytest.raises(msgspec.ValidationError, match="attributes"):
        msgspec.json.decode(b'{"data": {"id": "1", "type": "runs"}}', type=Document[Run])


def test_with_items_and_total() -> None:
    page = msgspec.json.decode(sample("runs_page_recorded.json"), type=Page[Run])
    short = page.with_items(page.items[:1])
    assert [run.id for run in short.items] == ["2387"]
    assert short.meta == page.meta
    assert len(page.items) == 2
    assert page.total == 9


def test_a_metric_is_read_by_its_key() -> None:
    completed, archived = msgspec.json.decode(
        sample("runs_page_recorded.json"), type=Page[Run]
    ).items
    accuracy = completed.metric("accuracy")
    assert accuracy is not None
    assert (accuracy.key, accuracy.max) == ("accuracy", 1.0)
    assert completed.metric("loss") is None
    assert archived.metric("accuracy") is None
    pending = msgspec.structs.replace(
        completed,
        attributes=msgspec.structs.replace(completed.attributes, metric_summaries=[]),
    )
    assert pending.metric("accuracy") is None


def test_params_and_tags_read_as_mappings() -> None:
    completed, archived = msgspec.json.decode(
        sample("runs_page_recorded.json"), type=Page[Run]
    ).items
    assert completed.params == {"learning_rate": "0.0003", "use_amp": "true"}
    assert completed.tags == {"model": "opus"}
    assert archived.attributes.params is None
    assert archived.params == {}
    assert archived.tags == {}
    project = msgspec.json.decode(sample("project_spec_example.json"), type=Document[Project]).data
    assert project.tags == {"model": "opus"}


def test_a_repeated_key_keeps_its_last_value() -> None:
    run = msgspec.json.decode(sample("runs_page_recorded.json"), type=Page[Run]).items[0]
    tags = [Tag(key="stage", value="dev"), Tag(key="stage", value="prod")]
    twice = msgspec.structs.replace(
        run, attributes=msgspec.structs.replace(run.attributes, tags=tags)
    )
    assert twice.tags == {"stage": "prod"}


def test_a_model_converts_to_builtins_and_json_and_back() -> None:
    run = msgspec.json.decode(sample("runs_page_recorded.json"), type=Page[Run]).items[0]
    as_dict = run.to_dict()
    assert as_dict["id"] == "2387"
    assert as_dict["attributes"]["created_at"] == "2026-05-12T08:01:00.123000Z"
    assert as_dict["attributes"]["params"][0] == {"key": "learning_rate", "value": "0.0003"}
    assert as_dict["attributes"]["owner_id"] is None
    assert json.loads(run.to_json()) == as_dict
    assert msgspec.json.decode(run.to_json(), type=Run) == run
    assert msgspec.convert(as_dict, Run) == run


def test_pai_models_convert_with_the_wire_names() -> None:
    run = PAIRun(run_id="run-1", name="first", workspace_id="145883")
    assert run.to_dict()["RunId"] == "run-1"
    assert msgspec.json.decode(run.to_json(), type=PAIRun) == run
