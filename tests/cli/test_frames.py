"""DataFrames of listings: typed columns, one schema whatever the pages, built page by page."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

import msgspec
import polars as pl
import pyarrow as pa
import pytest

from modellab_async import ModelLabClient, Page, Project, Run, frames
from modellab_async.models import MetricSummary, PageInfo, PageMeta, RunParam, Tag
from modellab_async.testing import FakeModelLab

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client() -> AsyncIterator[ModelLabClient]:
    async with (
        FakeModelLab(runs=700, projects=3, seed=1) as fake,
        ModelLabClient(base_url=fake.url, api_key=fake.api_key, app_key=fake.app_key) as client,
    ):
        yield client


def page(items: Sequence[Run]) -> Page[Run]:
    info = PageInfo(number=0, size=len(items), total=len(items))
    return Page(data=list(items), meta=PageMeta(page=info))


async def pages_of(*pages: Page[Run]) -> AsyncIterator[Page[Run]]:
    for one in pages:
        yield one


def with_keys(run: Run, *, param: str, tag: str, metric: str) -> Run:
    attributes = msgspec.structs.replace(
        run.attributes,
        params=[RunParam(key=param, value="1")],
        tags=[Tag(key=tag, value="x")],
        metric_summaries=[MetricSummary(key=metric, count=3, min=0.5)],
    )
    return msgspec.structs.replace(run, attributes=attributes)


async def test_a_run_is_one_row_with_typed_columns(client: ModelLabClient) -> None:
    table = await frames.to_arrow(client.runs.list(project_id=1).pages())
    runs = await client.runs.list(project_id=1).collect()
    assert table.num_rows == len(runs)
    assert table.column("id").to_pylist() == [run.id for run in runs]
    assert set(table.column("project_id").to_pylist()) == {"1"}
    schema = table.schema
    assert schema.field("created_at").type == pa.timestamp("us", tz="UTC")
    assert schema.field("duration").type == pa.float64()
    assert schema.field("is_pinned").type == pa.bool_()
    assert schema.field("param.learning_rate").type == pa.float64()  # '1e-05' on the wire
    assert schema.field("param.batch_size").type == pa.int64()
    assert schema.field("param.use_amp").type == pa.bool_()
    assert schema.field("param.optimizer").type == pa.string()
    assert schema.field("tag.model").type == pa.string()
    assert schema.field("metric.loss.min").type == pa.float64()
    assert schema.field("metric.loss.count").type == pa.int64()
    first = runs[0].attributes
    row = table.slice(0, 1).to_pylist()[0]
    assert row["created_at"] == first.created_at
    assert row["name"] == first.name
    loss = next(m for m in first.metric_summaries if m.key == "loss")
    assert row["metric.loss.max"] == loss.max
    assert row[f"tag.{first.tags[0].key}"] == first.tags[0].value
    assert row["param.learning_rate"] == float(runs[0].params["learning_rate"])


async def test_columns_are_attributes_then_params_tags_and_metrics() -> None:
    table_names = frames.RUNS.order(
        ["metric.loss.max", "tag.b", "id", "param.z", "metric.acc.min", "metric.loss.count"]
    )
    assert table_names == [
        "id", "param.z", "tag.b", "metric.acc.min", "metric.loss.count", "metric.loss.max"
    ]  # fmt: skip


async def test_one_schema_whatever_keys_each_page_has(client: ModelLabClient) -> None:
    runs = await client.runs.list(limit=4).collect()
    first = page([with_keys(run, param="a", tag="t1", metric="m1") for run in runs[:2]])
    second = page([with_keys(run, param="b", tag="t2", metric="m2") for run in runs[2:]])
    forward = await frames.to_arrow(pages_of(first, second))
    backward = await frames.to_arrow(pages_of(second, first))
    assert forward.schema == backward.schema
    assert {"param.a", "param.b", "tag.t1", "tag.t2", "metric.m1.min", "metric.m2.min"} <= set(
        forward.column_names
    )
    assert forward.column("param.a").to_pylist() == [1, 1, None, None]
    assert forward.column("metric.m2.count").to_pylist() == [None, None, 3, 3]


async def test_chunking_does_not_change_the_table(
    client: ModelLabClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = await frames.to_arrow(client.runs.list(page_size=50).pages())
    monkeypatch.setattr(frames, "CHUNK_ROWS", 120)
    chunked = await frames.to_arrow(client.runs.list(page_size=50).pages())
    assert chunked.num_rows == whole.num_rows > 600
    assert chunked.column("id").num_chunks > 1
    assert chunked.equals(whole)


async def test_polars_frame(client: ModelLabClient) -> None:
    frame = await frames.to_polars(client.runs.list(project_id=2).pages())
    table = await frames.to_arrow(client.runs.list(project_id=2).pages())
    assert frame.columns == table.column_names
    assert frame.schema["created_at"] == pl.Datetime("us", "UTC")
    assert frame.schema["metric.loss.count"] == pl.Int64
    assert frame.schema["param.optimizer"] == pl.String
    assert frame.schema["param.learning_rate"] == pl.Float64
    assert frame.schema["param.use_amp"] == pl.Boolean
    assert frame.schema["id"] == pl.String
    assert frame["id"].to_list() == table.column("id").to_pylist()
    assert frame["param.epochs"].to_list() == table.column("param.epochs").to_pylist()


async def test_pandas_frame(client: ModelLabClient) -> None:
    frame = await frames.to_pandas(client.runs.list(project_id=2).pages())
    assert isinstance(frame["created_at"].iloc[0], datetime)
    assert str(frame["created_at"].dtype) == "timestamp[us, tz=UTC][pyarrow]"
    assert str(frame["metric.loss.count"].dtype) == "int64[pyarrow]"
    assert frame["metric.loss.count"].isna().any()  # pending runs log no metric
    assert str(frame["param.batch_size"].dtype) == "int64[pyarrow]"
    assert str(frame["id"].dtype) == "string[pyarrow]"
    assert frame["id"].is_unique


async def test_projects_convert_with_their_tags(client: ModelLabClient) -> None:
    table = await frames.to_arrow(client.projects.list().pages())
    projects: list[Project] = await client.projects.list().collect()
    assert table.num_rows == len(projects)
    assert table.column_names[:2] == ["id", "name"]
    assert table.column("id").to_pylist() == [project.id for project in projects]
    assert "tag.team" in table.column_names
    assert table.schema.field("is_starred").type == pa.bool_()


async def test_an_empty_listing_gives_an_empty_frame(client: ModelLabClient) -> None:
    empty = client.runs.list(query="no run is called this")
    assert (await frames.to_arrow(empty.pages())).num_rows == 0
    assert (await frames.to_polars(empty.pages())).is_empty()
    assert (await frames.to_pandas(empty.pages())).empty


async def test_a_missing_extra_names_the_pip_command(
    client: ModelLabClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "polars", None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'modellab-async\[polars\]'"):
        await frames.to_polars(client.runs.list(limit=1).pages())


async def test_other_items_are_refused(client: ModelLabClient) -> None:
    with pytest.raises(TypeError, match="expected Run or Project"):
        frames.kind_of(object())
    runs = await client.runs.list(limit=1).pages().__anext__()
    projects = await client.projects.list(limit=1).pages().__anext__()

    async def mixed() -> AsyncIterator[Page[Run]]:
        yield runs
        yield projects  # type: ignore[misc]  # the mistake under test

    with pytest.raises(TypeError, match="mixes runs and projects"):
        await frames.to_arrow(mixed())


async def test_listings_convert_themselves(client: ModelLabClient) -> None:
    table = await client.runs.list(project_id=2).to_arrow()
    polars_frame = await client.runs.list(project_id=2).to_polars()
    pandas_frame = await client.runs.list(project_id=2).to_pandas()
    projects = await client.projects.list().to_arrow()
    assert table.num_rows == polars_frame.height == len(pandas_frame) > 0
    assert polars_frame.columns == table.column_names == list(pandas_frame.columns)
    assert projects.num_rows == 3


def with_param(run: Run, value: str | None) -> Run:
    params = None if value is None else [RunParam(key="p", value=value)]
    attributes = msgspec.structs.replace(run.attributes, params=params)
    return msgspec.structs.replace(run, attributes=attributes)


@pytest.mark.parametrize(
    ("values", "expected_type", "expected"),
    [
        (["1", "-2", "0", "123456789012345678"], pa.int64(), [1, -2, 0, 123456789012345678]),
        (["1", "0.5", "1e-05", "-2E+3"], pa.float64(), [1.0, 0.5, 1e-05, -2000.0]),
        (["true", "False", "TRUE", "false"], pa.bool_(), [True, False, True, False]),
        (["1", "true", "2", "3"], pa.string(), ["1", "true", "2", "3"]),
        (["0.5", "0.1", "auto", "0.2"], pa.string(), ["0.5", "0.1", "auto", "0.2"]),
    ],
    ids=["integers", "numbers", "booleans", "a-number-and-a-boolean", "numbers-and-a-word"],
)
async def test_a_param_column_takes_the_json_type_all_its_values_share_across_pages(
    client: ModelLabClient, values: list[str], expected_type: pa.DataType, expected: list[object]
) -> None:
    runs = await client.runs.list(limit=5).collect()
    first = page([with_param(run, value) for run, value in zip(runs, values[:2], strict=False)])
    # The second page has a run without params: its cell is null, whatever the type.
    second = page(
        [with_param(runs[2], values[2]), with_param(runs[3], None), with_param(runs[4], values[3])]
    )
    forward = await frames.to_arrow(pages_of(first, second))
    backward = await frames.to_arrow(pages_of(second, first))
    polars_frame = await frames.to_polars(pages_of(first, second))
    assert forward.schema.field("param.p").type == expected_type
    assert backward.schema == forward.schema
    assert forward.column("param.p").to_pylist() == [*expected[:3], None, expected[3]]
    assert polars_frame["param.p"].to_list() == forward.column("param.p").to_pylist()


@pytest.mark.parametrize(
    "value",
    [
        "007",
        "1.",
        ".5",
        "+1",
        " 1",
        "1 ",
        "1_000",
        "0x10",
        "NaN",
        "inf",
        "",
        "yes",
        "12345678901234567890",
    ],
)
async def test_a_param_that_is_not_plainly_json_stays_a_string(
    client: ModelLabClient, value: str
) -> None:
    runs = await client.runs.list(limit=2).collect()
    table = await frames.to_arrow(
        pages_of(page([with_param(runs[0], value), with_param(runs[1], "1")]))
    )
    assert table.column("param.p").to_pylist() == [value, "1"]
