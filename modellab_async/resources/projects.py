"""Model Lab projects: list, get, star, unstar, facets and artifacts."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable, Mapping

from .._core._params import (
    MAX_PAGE_SIZE,
    build_query,
    choice,
    key_values,
    positive_id,
    required_text,
    sort_order,
    text,
)
from .._engine._bulk import Result
from .._engine._checkpoint import Checkpoint
from .._engine._listing import WalkOptions
from ..models import FacetKeys, FacetValues, Page, Project, ProjectArtifacts, ProjectFacetType
from ..models.jsonapi import Document
from ._base import Collection, decoder
from ._pages import NumberedPages
from ._paginator import Paginator

__all__ = ["Projects"]

SORT_FIELDS = frozenset({"name", "created_at", "updated_at"})
FACET_TYPES = frozenset(ProjectFacetType)

_project = decoder(Document[Project])
_projects = decoder(Page[Project])
_facet_keys = decoder(Document[FacetKeys])
_facet_values = decoder(Document[FacetValues])
_artifacts = decoder(Document[ProjectArtifacts])


class Projects(Collection):
    """The projects of the organisation."""

    def list(
        self,
        *,
        query: str | None = None,
        owner_id: str | None = None,
        tags: Mapping[str, object] | str | None = None,
        sort: str | None = None,
        page_size: int | None = None,
        start_page: int | None = None,
        limit: int | None = None,
        concurrency: int | None = None,
        prefetch: bool = True,
        dedupe: bool = False,
        resume: Checkpoint | None = None,
    ) -> Paginator[Page[Project], Project]:
        """List projects (`GET /projects`), page after page.

        Args:
            query: text searched in names and descriptions (`filter`).
            owner_id: the owner's UUID (`filter[owner_id]`).
            tags: `{"team": "nlp"}` or `"team:nlp"`, all of which must match (`filter[tags]`).
            sort: `name`, `created_at` or `updated_at`, `-` first for descending.
            page_size: items per request, 1 to 100 (default 100).
            start_page: the page number to start from, as the service numbers them.
            limit: stop after this many projects.
            concurrency: pages fetched at once; by default the walk chooses, from 16 (2 for a
                service within 10 ms) up to
                32 as answers come back unthrottled. Items still come in order; 1 walks
                page by page (prefetching one).
            prefetch: fetch the next page while the caller works on this one.
            dedupe: skip items already yielded, should writes shift them across pages.
            resume: a `checkpoint` of an earlier walk of the same listing to carry on from.

        Example:
            >>> async for project in client.projects.list(tags={"team": "nlp"}):
            ...     print(project.attributes.name)
        """
        filters = build_query(
            ("filter", text(query, "query")),
            ("filter[owner_id]", text(owner_id, "owner_id")),
            ("filter[tags]", key_values(tags, "tags")),
            ("sort", sort_order(sort, SORT_FIELDS)),
        )
        pages = NumberedPages(MAX_PAGE_SIZE if page_size is None else page_size, start_page)
        options = WalkOptions(
            limit=limit, concurrency=concurrency, prefetch=prefetch, dedupe=dedupe, resume=resume
        )
        return self._list("projects", _projects, filters, pages, options)

    async def get(self, project_id: int | str) -> Project:
        """Get one project (`GET /projects/{project_id}`)."""
        return await self._get(f"projects/{positive_id(project_id, 'project_id')}", _project)

    def get_many(
        self, ids: Iterable[int | str], *, concurrency: int | None = None, ordered: bool = True
    ) -> AsyncGenerator[Result[Project], None]:
        """Fetch many projects: one `Result` per id, holding the project or the error it met.

        At most `concurrency` requests are in flight (by default the fetch chooses,
        from 16 up to 32); results come in the order of `ids`, or with
        `ordered=False` as soon as they are ready.
        """
        return self._get_many(ids, concurrency, ordered, self.get)

    async def star(self, project_id: int | str) -> None:
        """Star a project for the application key's user (`POST /projects/{id}/star`)."""
        await self._command("POST", f"projects/{positive_id(project_id, 'project_id')}/star")

    async def unstar(self, project_id: int | str) -> None:
        """Remove the star (`DELETE /projects/{id}/star`)."""
        await self._command("DELETE", f"projects/{positive_id(project_id, 'project_id')}/star")

    async def facet_keys(self) -> FacetKeys:
        """List the facet keys projects can be filtered on (`GET /project-facet-keys`)."""
        return await self._get("project-facet-keys", _facet_keys)

    async def facet_values(self, facet_name: str, facet_type: str = "tag") -> FacetValues:
        """List the values of one project facet (`GET /project-facet-values`)."""
        params = build_query(
            ("facet_type", choice(facet_type, FACET_TYPES, "facet_type", required=True)),
            ("facet_name", required_text(facet_name, "facet_name")),
        )
        return await self._get("project-facet-values", _facet_values, params)

    async def artifacts(self, project_id: int | str) -> ProjectArtifacts:
        """List a project's artifact files (`GET /projects/{project_id}/artifacts`)."""
        path = f"projects/{positive_id(project_id, 'project_id')}/artifacts"
        return await self._get(path, _artifacts)
