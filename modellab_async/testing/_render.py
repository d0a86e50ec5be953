"""Render resources, pages and errors as the JSON:API documents the service sends."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from ._artifacts import DirectoryEntry
from ._dataset import ArtifactFile, Project, Run
from ._facets import FacetKeys, FacetValues
from ._query import BadParameter, PageRequest

Document = dict[str, Any]

PAGE_PARAMETERS = ("page[number]", "page[size]")
TOO_MANY_REQUESTS: Document = {"errors": ["Too many requests"]}


def run_resource(
    run: Run, *, is_pinned: bool, has_children: bool, descendant_match: bool
) -> Document:
    """Render a run; optional attributes are left out when unset, `params` may be null."""
    attributes: Document = {
        "project_id": run.project_id,
        "name": run.name,
        "description": run.description,
        "status": run.status,
        "mlflow_artifact_location": run.mlflow_artifact_location,
        "started_at": run.started_at,
        "created_at": run.created_at,
        "updated_at": run.updated_at,
        "tags": run.tags,
        "params": run.params,
        "metric_summaries": run.metric_summaries,
        "is_pinned": is_pinned,
        "has_children": has_children,
        "descendant_match": descendant_match,
    }
    _add_present(
        attributes,
        completed_at=run.completed_at,
        duration=run.duration,
        external_url=run.external_url,
        owner_id=run.owner_id,
        deleted_at=run.deleted_at,
    )
    return {"id": str(run.id), "type": "runs", "attributes": attributes}


def project_resource(project: Project, *, is_starred: bool) -> Document:
    """Render a project; optional attributes are left out when unset."""
    attributes: Document = {
        "name": project.name,
        "description": project.description,
        "artifact_storage_location": project.artifact_storage_location,
        "created_at": project.created_at,
        "updated_at": project.updated_at,
        "tags": project.tags,
        "is_starred": is_starred,
    }
    _add_present(
        attributes,
        owner_id=project.owner_id,
        external_url=project.external_url,
        deleted_at=project.deleted_at,
    )
    return {"id": str(project.id), "type": "projects", "attributes": attributes}


def _add_present(attributes: Document, **optional: object) -> None:
    attributes.update((name, value) for name, value in optional.items() if value is not None)


def list_document(
    data: list[Document],
    *,
    page: PageRequest,
    total: int,
    page_base: int,
    origin: str,
    path: str,
    query: Iterable[tuple[str, str]],
) -> Document:
    """Render one page of a listing with its `meta.page` and absolute `links`."""
    meta = page_meta(page, total, page_base)
    return {"data": data, "links": page_links(meta, origin, path, query), "meta": {"page": meta}}


def page_meta(page: PageRequest, total: int, page_base: int) -> Document:
    """Compute every field of `meta.page`; a page past the last is valid and empty."""
    last = page_base + max(0, math.ceil(total / page.size) - 1)
    return {
        "number": page.number,
        "size": page.size,
        "total": total,
        "first_number": page_base,
        "last_number": last,
        "next_number": page.number + 1 if page.number < last else None,
        "prev_number": page.number - 1 if page.number > page_base else None,
        "type": "number_size",
    }


def page_links(
    meta: Document, origin: str, path: str, query: Iterable[tuple[str, str]]
) -> dict[str, str]:
    """Link to the first, last, next and previous pages, keeping the caller's parameters.

    The service writes brackets literally and puts the page parameters last;
    `self` carries no query, `next` is absent on the last page and `prev` on the first.
    """
    kept = [(key, value) for key, value in query if key not in PAGE_PARAMETERS]

    def link(number: int) -> str:
        pairs = [*kept, ("page[number]", str(number)), ("page[size]", str(meta["size"]))]
        encoded = "&".join(f"{quote(k, safe='[]')}={quote(v, safe=':,[]')}" for k, v in pairs)
        return f"{origin}{path}?{encoded}"

    links = {
        "self": f"{origin}{path}",
        "first": link(meta["first_number"]),
        "last": link(meta["last_number"]),
    }
    if meta["next_number"] is not None:
        links["next"] = link(meta["next_number"])
    if meta["prev_number"] is not None:
        links["prev"] = link(meta["prev_number"])
    return links


def facet_keys_document(keys: FacetKeys, resource_id: str) -> Document:
    """Render available facet keys."""
    attributes = {"metrics": keys.metrics, "parameters": keys.parameters, "tags": keys.tags}
    return {"data": {"id": resource_id, "type": "facet_keys", "attributes": attributes}}


def facet_values_document(
    values: FacetValues, facet_type: str, facet_name: str, scope: int
) -> Document:
    """Render the values of one facet; its id reads like `tag:model:2387`."""
    attributes: Document = {
        "facet_type": facet_type,
        "facet_name": facet_name,
        "values": values.values,
    }
    if values.numeric_range is not None:
        low, high = values.numeric_range
        attributes["numeric_range"] = {"min": low, "max": high}
    if values.metric_stat_ranges is not None:
        attributes["metric_stat_ranges"] = [
            {"stat": stat, "min": low, "max": high}
            for stat, (low, high) in values.metric_stat_ranges.items()
        ]
    resource_id = f"{facet_type}:{facet_name}:{scope}"
    return {"data": {"id": resource_id, "type": "facet_values", "attributes": attributes}}


def run_artifacts_document(run: Run, entries: Sequence[DirectoryEntry]) -> Document:
    """Render one directory level of a run's artifacts."""
    files = [
        {"path": e.path, "is_dir": e.is_dir} | ({} if e.size is None else {"file_size": e.size})
        for e in entries
    ]
    attributes = {"path_in_project": f"runs/{run.id}", "files": files}
    return {"data": {"id": str(run.id), "type": "artifacts", "attributes": attributes}}


def project_artifacts_document(project: Project, files: Sequence[ArtifactFile]) -> Document:
    """Render the files of a project."""
    rendered = [
        {
            "filename": file.path.rpartition("/")[2],
            "artifact_path": file.path,
            "created_at": file.created_at,
            "file_size": file.size,
        }
        for file in files
    ]
    attributes = {"files": rendered}
    return {"data": {"id": str(project.id), "type": "project_files", "attributes": attributes}}


def bad_request_document(error: BadParameter) -> Document:
    """Render a 400 naming the offending parameter."""
    item = {
        "status": "400",
        "title": "Bad Request",
        "detail": error.detail,
        "source": {"parameter": error.parameter},
    }
    return {"errors": [item]}


def not_found_document(kind: str) -> Document:
    """Render a 404 exactly as the service words it, e.g. for kind "run"."""
    return {"errors": [{"title": "Generic Error", "detail": f"{kind} not found"}]}


def forbidden_document(header: str) -> Document:
    """Render a 403 for a missing or wrong key header."""
    item = {
        "status": "403",
        "title": "Forbidden",
        "detail": f"missing or invalid {header}",
        "source": {"header": header},
    }
    return {"errors": [item]}


def server_error_document(status: int, detail: str) -> Document:
    """Render a 5xx with a JSON:API error object."""
    item = {"status": str(status), "title": HTTPStatus(status).phrase, "detail": detail}
    return {"errors": [item]}
