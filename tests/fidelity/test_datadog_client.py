"""Drive every endpoint with Datadog's official client and decode each answer with its models.

The official client validates types, required fields and enums as it decodes,
so a field the fake renders wrongly fails here even if our own client accepts it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from datadog_api_client import ApiClient, Configuration
from datadog_api_client.exceptions import NotFoundException
from datadog_api_client.v2.api.model_lab_api_api import ModelLabAPIApi
from datadog_api_client.v2.model.model_lab_facet_type import ModelLabFacetType
from datadog_api_client.v2.model.model_lab_project_facet_type import ModelLabProjectFacetType
from datadog_api_client.v2.model.model_lab_run_status import ModelLabRunStatus

from modellab_async.testing import FakeModelLab

pytestmark = [
    pytest.mark.fidelity,
    # The client warns on every call to an operation we enabled on purpose.
    pytest.mark.filterwarnings("ignore:Using unstable operation:UserWarning"),
]

_OPERATIONS = (
    "delete_model_lab_run",
    "get_model_lab_artifact_content",
    "get_model_lab_project",
    "get_model_lab_run",
    "list_model_lab_project_artifacts",
    "list_model_lab_project_facet_keys",
    "list_model_lab_project_facet_values",
    "list_model_lab_projects",
    "list_model_lab_run_artifacts",
    "list_model_lab_run_facet_keys",
    "list_model_lab_run_facet_values",
    "list_model_lab_runs",
    "pin_model_lab_run",
    "star_model_lab_project",
    "unpin_model_lab_run",
    "unstar_model_lab_project",
)


@pytest.fixture(scope="module")
def api(threaded_fake: FakeModelLab) -> Iterator[ModelLabAPIApi]:
    configuration = Configuration(  # type: ignore[no-untyped-call,unused-ignore]
        host=threaded_fake.url,
        api_key={"apiKeyAuth": threaded_fake.api_key, "appKeyAuth": threaded_fake.app_key},
    )
    for operation in _OPERATIONS:
        configuration.unstable_operations[operation] = True
    with ApiClient(configuration) as client:
        yield ModelLabAPIApi(client)  # type: ignore[no-untyped-call,unused-ignore]


def _completed_run(fake: FakeModelLab) -> tuple[int, int]:
    run = next(r for r in fake.dataset.runs if r.status == "completed" and r.deleted_at is None)
    return run.id, run.project_id


def test_projects(api: ModelLabAPIApi) -> None:
    listing = api.list_model_lab_projects(page_size=2, sort="name")
    assert len(listing.data) == 2
    assert listing.meta.page.total == 4
    project_id = int(listing.data[0].id)
    assert api.get_model_lab_project(project_id).data.id == str(project_id)
    api.star_model_lab_project(project_id)
    assert api.get_model_lab_project(project_id).data.attributes.is_starred is True
    api.unstar_model_lab_project(project_id)
    assert api.get_model_lab_project(project_id).data.attributes.is_starred is False
    files = api.list_model_lab_project_artifacts(project_id).data.attributes.files
    assert files
    assert all(file.artifact_path.endswith(file.filename) for file in files)


def test_project_facets(api: ModelLabAPIApi) -> None:
    keys = api.list_model_lab_project_facet_keys().data.attributes
    assert "team" in keys.tags
    values = api.list_model_lab_project_facet_values(ModelLabProjectFacetType.TAG, "team")
    assert values.data.attributes.values


def test_every_run_of_every_page_decodes(api: ModelLabAPIApi, threaded_fake: FakeModelLab) -> None:
    seen = 0
    number = 0
    while True:
        page = api.list_model_lab_runs(page_size=100, page_number=number)
        seen += len(page.data)
        if page.meta.page.next_number is None:
            break
        number = page.meta.page.next_number
    assert seen == sum(run.deleted_at is None for run in threaded_fake.dataset.runs)


def test_run_filters_decode(api: ModelLabAPIApi) -> None:
    page = api.list_model_lab_runs(
        filter_status=ModelLabRunStatus.COMPLETED,
        filter_project_id=1,
        filter_tags="stage:prod",
        filter_params="learning_rate:>0.0001",
        filter_parent_run_id="null",
        include_descendant_matches=True,
        include_pinned=True,
        pinned_first=True,
        sort="-duration",
    )
    assert all(run.attributes.project_id == 1 for run in page.data)


def test_run_lifecycle(api: ModelLabAPIApi, threaded_fake: FakeModelLab) -> None:
    run_id, _ = _completed_run(threaded_fake)
    run = api.get_model_lab_run(run_id).data
    assert run.attributes.status == ModelLabRunStatus.COMPLETED
    api.pin_model_lab_run(run_id)
    assert api.get_model_lab_run(run_id).data.attributes.is_pinned is True
    api.unpin_model_lab_run(run_id)
    api.delete_model_lab_run(run_id)
    with pytest.raises(NotFoundException) as caught:
        api.get_model_lab_run(run_id)
    assert caught.value.status == 404


def test_run_facets(api: ModelLabAPIApi) -> None:
    keys = api.list_model_lab_run_facet_keys(1).data.attributes
    assert keys.metrics is not None
    assert "loss" in keys.metrics
    for facet_type, name in [
        (ModelLabFacetType.TAG, "model"),
        (ModelLabFacetType.PARAMETER, "batch_size"),
        (ModelLabFacetType.METRIC, "loss"),
        (ModelLabFacetType.ATTRIBUTE, "status"),
    ]:
        values = api.list_model_lab_run_facet_values(1, facet_type, name).data.attributes
        assert values.facet_name == name


def test_run_artifacts_and_content(api: ModelLabAPIApi, threaded_fake: FakeModelLab) -> None:
    run = next(
        r
        for r in threaded_fake.dataset.runs
        if r.status == "completed" and r.deleted_at is None and r.id > 10
    )
    root = api.list_model_lab_run_artifacts(run.id).data.attributes
    assert root.path_in_project == f"runs/{run.id}"
    model = api.list_model_lab_run_artifacts(run.id, path="model").data.attributes.files
    weights = next(file for file in model if file.path == "model/weights.pt")
    content = api.get_model_lab_artifact_content(
        str(run.project_id), f"runs/{run.id}/{weights.path}"
    )
    try:
        assert len(content.read()) == weights.file_size
    finally:
        content.close()
