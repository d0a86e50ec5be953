"""Every endpoint: the request it sends and the value it returns, over loopback."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from modellab_async import (
    FacetKeys,
    FacetValues,
    ModelLabClient,
    Project,
    ProjectArtifacts,
    Run,
    RunArtifacts,
)
from tests.scripted import API, ScriptedServer, json_response, run_resource

pytestmark = pytest.mark.anyio

PROJECT = {
    "id": "5",
    "type": "projects",
    "attributes": {
        "name": "p",
        "description": "d",
        "artifact_storage_location": "s3://b/p",
        "created_at": "2026-05-01T10:00:00Z",
        "updated_at": "2026-05-01T10:00:00Z",
        "tags": [],
        "is_starred": True,
        "owner_id": "9d1a9c1e-0000-4000-8000-000000000001",
    },
}
FACET_KEYS = {
    "id": "1",
    "type": "facet_keys",
    "attributes": {"parameters": ["lr"], "tags": ["model"], "metrics": None},
}
FACET_VALUES = {
    "id": "tag:model:2387",
    "type": "facet_values",
    "attributes": {"facet_name": "model", "facet_type": "tag", "values": ["opus"]},
}
PROJECT_FILES = {
    "id": "5",
    "type": "project_files",
    "attributes": {
        "files": [
            {
                "filename": "m.pkl",
                "artifact_path": "projects/5/artifacts/m.pkl",
                "created_at": "2026-05-01T10:00:00Z",
                "file_size": 3,
            }
        ]
    },
}
RUN_FILES = {
    "id": "42",
    "type": "artifacts",
    "attributes": {
        "path_in_project": "runs/42",
        "files": [{"path": "model/w.pt", "is_dir": False, "file_size": 10}],
    },
}

Call = Callable[[ModelLabClient], Awaitable[Any]]

CASES: list[tuple[str, Call, str, str, dict[str, str], Any, Any]] = [
    # name, call, method, path, query, response data (None: 204), expected type
    ("get project", lambda c: c.projects.get(5), "GET", "projects/5", {}, PROJECT, Project),
    (
        "get project by digit string",
        lambda c: c.projects.get("5"),
        "GET",
        "projects/5",
        {},
        PROJECT,
        Project,
    ),
    ("star", lambda c: c.projects.star(5), "POST", "projects/5/star", {}, None, type(None)),
    ("unstar", lambda c: c.projects.unstar(5), "DELETE", "projects/5/star", {}, None, type(None)),
    (
        "project facet keys",
        lambda c: c.projects.facet_keys(),
        "GET",
        "project-facet-keys",
        {},
        FACET_KEYS,
        FacetKeys,
    ),
    (
        "project facet values",
        lambda c: c.projects.facet_values("model"),
        "GET",
        "project-facet-values",
        {"facet_type": "tag", "facet_name": "model"},
        FACET_VALUES,
        FacetValues,
    ),
    (
        "project artifacts",
        lambda c: c.projects.artifacts(5),
        "GET",
        "projects/5/artifacts",
        {},
        PROJECT_FILES,
        ProjectArtifacts,
    ),
    ("get run", lambda c: c.runs.get(42), "GET", "runs/42", {}, run_resource(42), Run),
    ("delete run", lambda c: c.runs.delete(42), "DELETE", "runs/42", {}, None, type(None)),
    ("pin", lambda c: c.runs.pin(42), "POST", "runs/42/pin", {}, None, type(None)),
    ("unpin", lambda c: c.runs.unpin("42"), "DELETE", "runs/42/pin", {}, None, type(None)),
    (
        "run facet keys",
        lambda c: c.runs.facet_keys(101),
        "GET",
        "facet-keys",
        {"filter[project_id]": "101"},
        FACET_KEYS,
        FacetKeys,
    ),
    (
        "run facet values",
        lambda c: c.runs.facet_values(101, "parameter", "lr"),
        "GET",
        "facet-values",
        {"filter[project_id]": "101", "facet_type": "parameter", "facet_name": "lr"},
        FACET_VALUES,
        FacetValues,
    ),
    (
        "run artifacts",
        lambda c: c.runs.artifacts(42),
        "GET",
        "runs/42/artifacts",
        {},
        RUN_FILES,
        RunArtifacts,
    ),
    (
        "run artifacts under a path",
        lambda c: c.runs.artifacts(42, path="model"),
        "GET",
        "runs/42/artifacts",
        {"path": "model"},
        RUN_FILES,
        RunArtifacts,
    ),
]


@pytest.mark.parametrize(
    ("name", "call", "method", "path", "query", "data", "expected"),
    CASES,
    ids=[c[0] for c in CASES],
)
async def test_endpoint(
    scripted: ScriptedServer,
    client: ModelLabClient,
    name: str,
    call: Call,
    method: str,
    path: str,
    query: dict[str, str],
    data: Any,
    expected: type,
) -> None:
    async def handler(request: web.Request) -> web.Response:
        if data is None:
            return web.Response(status=204)
        return json_response({"data": data})

    scripted.handler = handler
    result = await call(client)
    assert isinstance(result, expected)
    [seen] = scripted.seen
    assert (seen.method, seen.path, seen.query) == (method, f"{API}/{path}", query)
    assert seen.headers["Accept"] == "application/json"


def empty_listing(request: web.Request) -> Awaitable[web.Response]:
    async def respond() -> web.Response:
        size = int(request.query["page[size]"])
        return json_response(
            {"data": [], "meta": {"page": {"number": 0, "size": size, "total": 0}}}
        )

    return respond()


async def test_every_runs_list_parameter_is_encoded(
    scripted: ScriptedServer, client: ModelLabClient
) -> None:
    scripted.handler = empty_listing
    await client.runs.list(
        ids=[1, "2"],
        query="bert base",
        owner_id="9d1a9c1e-0000-4000-8000-000000000001",
        status="completed",
        project_id="101",
        tags={"model": "opus", "stage": "prod"},
        params={"learning_rate": ">0.5", "use_amp": True},
        parent_run_id=7,
        pinned_first=True,
        include_pinned=False,
        include_descendant_matches=True,
        sort="-duration",
        page_size=50,
        start_page=3,
    ).collect()
    assert scripted.seen[0].path == f"{API}/runs"
    assert scripted.seen[0].query == {
        "filter[id]": "1,2",
        "filter": "bert base",
        "filter[owner_id]": "9d1a9c1e-0000-4000-8000-000000000001",
        "filter[status]": "completed",
        "filter[project_id]": "101",
        "filter[tags]": "model:opus,stage:prod",
        "filter[params]": "learning_rate:>0.5,use_amp:true",
        "filter[parent_run_id]": "7",
        "pinned_first": "true",
        "include_pinned": "false",
        "include_descendant_matches": "true",
        "sort": "-duration",
        "page[size]": "50",
        "page[number]": "3",
    }


async def test_root_only_asks_for_runs_without_parent(
    scripted: ScriptedServer, client: ModelLabClient
) -> None:
    scripted.handler = empty_listing
    await client.runs.list(root_only=True, params="lr:<=0.1,amp:false").collect()
    assert scripted.seen[0].query == {
        "filter[parent_run_id]": "null",
        "filter[params]": "lr:<=0.1,amp:false",
        "page[size]": "100",
    }


async def test_every_projects_list_parameter_is_encoded(
    scripted: ScriptedServer, client: ModelLabClient
) -> None:
    scripted.handler = empty_listing
    await client.projects.list(
        query="nlp", owner_id="u-1", tags="team:nlp", sort="name", page_size=1
    ).collect()
    assert scripted.seen[0].path == f"{API}/projects"
    assert scripted.seen[0].query == {
        "filter": "nlp",
        "filter[owner_id]": "u-1",
        "filter[tags]": "team:nlp",
        "sort": "name",
        "page[size]": "1",
    }


INVALID: list[tuple[str, Callable[[ModelLabClient], object], type[Exception], str]] = [
    ("page size", lambda c: c.runs.list(page_size=101), ValueError, "page_size"),
    ("status", lambda c: c.runs.list(status="done"), ValueError, "status must be one of"),
    ("sort", lambda c: c.runs.list(sort="-size"), ValueError, "sort must be one of"),
    ("project sort", lambda c: c.projects.list(sort="duration"), ValueError, "sort must be one of"),
    (
        "both parent filters",
        lambda c: c.runs.list(parent_run_id=1, root_only=True),
        ValueError,
        "not both",
    ),
    ("negative limit", lambda c: c.runs.list(limit=-1), ValueError, "limit"),
    ("negative start", lambda c: c.projects.list(start_page=-1), ValueError, "start_page"),
    ("bad id list", lambda c: c.runs.list(ids=[1, -2]), ValueError, "ids"),
    ("bad flag", lambda c: c.runs.list(pinned_first="yes"), TypeError, "pinned_first"),  # type: ignore[arg-type]
    ("bad query", lambda c: c.projects.list(query=5), TypeError, "query"),  # type: ignore[arg-type]
    ("run id", lambda c: c.runs.get(0), ValueError, "run_id"),
    ("run id string", lambda c: c.runs.pin("abc"), ValueError, "run_id"),
    ("project id", lambda c: c.projects.star(-1), ValueError, "project_id"),
    ("facet type", lambda c: c.runs.facet_values(1, "label", "x"), ValueError, "facet_type"),
    (
        "project facet type",
        lambda c: c.projects.facet_values("x", "metric"),
        ValueError,
        "facet_type",
    ),
    ("facet name", lambda c: c.runs.facet_values(1, "tag", ""), ValueError, "facet_name"),
    ("facet project", lambda c: c.runs.facet_keys("x"), ValueError, "project_id"),
    ("artifact project", lambda c: c.artifacts.read("p1", "a.txt"), ValueError, "project_id"),
    ("artifact path", lambda c: c.artifacts.stream(1, ""), ValueError, "artifact_path"),
    ("artifacts path type", lambda c: c.runs.artifacts(1, path=3), TypeError, "path"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("name", "call", "error", "match"), INVALID, ids=[c[0] for c in INVALID])
async def test_invalid_arguments_fail_before_any_request(
    scripted: ScriptedServer,
    client: ModelLabClient,
    name: str,
    call: Callable[[ModelLabClient], object],
    error: type[Exception],
    match: str,
) -> None:
    with pytest.raises(error, match=match):  # noqa: PT012  # some calls fail when made, some when awaited
        result = call(client)
        if inspect.isawaitable(result):
            await result
    assert scripted.seen == []
