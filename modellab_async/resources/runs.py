"""Model Lab runs: list, get, delete, pin, unpin, facets and artifacts."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable, Mapping, Sequence

from .._core._params import (
    MAX_PAGE_SIZE,
    boolean,
    build_query,
    choice,
    id_list,
    key_values,
    optional_id,
    page_size,
    positive_id,
    required_text,
    sort_order,
    text,
)
from .._core._protocol import Request
from .._engine._bulk import BATCH_SIZE, Result
from .._engine._checkpoint import Checkpoint
from .._engine._listing import WalkOptions
from ..models import FacetKeys, FacetType, FacetValues, Page, Run, RunArtifacts, RunStatus
from ..models.jsonapi import Document
from ._base import Collection, decoder
from ._dialect import api_path
from ._pages import NumberedPages
from ._paginator import Paginator

__all__ = ["Runs"]

SORT_FIELDS = frozenset({"name", "created_at", "updated_at", "duration"})
STATUSES = frozenset(RunStatus)
FACET_TYPES = frozenset(FacetType)

_run = decoder(Document[Run])
_runs = decoder(Page[Run])
_facet_keys = decoder(Document[FacetKeys])
_facet_values = decoder(Document[FacetValues])
_artifacts = decoder(Document[RunArtifacts])


def _run_path(run_id: int | str, *rest: str) -> str:
    return "/".join(("runs", positive_id(run_id, "run_id"), *rest))


class Runs(Collection):
    """The runs of the organisation's projects."""

    def list(
        self,
        *,
        ids: Iterable[int | str] | None = None,
        query: str | None = None,
        owner_id: str | None = None,
        status: str | None = None,
        project_id: int | str | None = None,
        tags: Mapping[str, object] | str | None = None,
        params: Mapping[str, object] | str | None = None,
        parent_run_id: int | str | None = None,
        root_only: bool = False,
        pinned_first: bool | None = None,
        include_pinned: bool | None = None,
        include_descendant_matches: bool | None = None,
        sort: str | None = None,
        page_size: int | None = None,
        start_page: int | None = None,
        limit: int | None = None,
        concurrency: int | None = None,
        prefetch: bool = True,
        dedupe: bool = False,
        resume: Checkpoint | None = None,
    ) -> Paginator[Page[Run], Run]:
        """List runs (`GET /runs`), page after page.

        Args:
            ids: only these runs (`filter[id]=1,2`).
            query: text searched in names and descriptions (`filter`).
            owner_id: the owner's UUID (`filter[owner_id]`).
            status: one of `RunStatus` (`filter[status]`).
            project_id: the runs of one project (`filter[project_id]`).
            tags: `{"model": "opus"}` or `"model:opus"`, all of which must match.
            params: `{"lr": ">0.5", "optimizer": "adam"}` or `"lr:>0.5,optimizer:adam"`;
                comparisons `>`, `<`, `>=`, `<=` and booleans as documented.
            parent_run_id: the children of one run.
            root_only: only runs without a parent (`filter[parent_run_id]=null`).
            pinned_first: pinned runs first, newest pin first.
            include_pinned: add every run pinned by this key, whatever the filters.
            include_descendant_matches: add runs whose descendants match; see
                `run.attributes.descendant_match`.
            sort: `name`, `created_at`, `updated_at` or `duration`, `-` first for descending.
            page_size: items per request, 1 to 100 (default 100).
            start_page: the page number to start from, as the service numbers them.
            limit: stop after this many runs.
            concurrency: pages fetched at once; by default the walk chooses, from 16 (2 for a
                service within 10 ms) up to
                32 as answers come back unthrottled. Items still come in order; 1 walks
                page by page (prefetching one).
            prefetch: fetch the next page while the caller works on this one.
            dedupe: skip items already yielded, should writes shift them across pages.
            resume: a `checkpoint` of an earlier walk of the same listing to carry on from.

        Example:
            >>> async for run in client.runs.list(project_id=7, status="completed"):
            ...     print(run.id, run.attributes.metric_summaries[0].max)
        """
        if root_only and parent_run_id is not None:
            raise ValueError("give parent_run_id or root_only=True, not both")
        parent = "null" if root_only else optional_id(parent_run_id, "parent_run_id")
        filters = build_query(
            ("filter[id]", id_list(ids)),
            ("filter", text(query, "query")),
            ("filter[owner_id]", text(owner_id, "owner_id")),
            ("filter[status]", choice(status, STATUSES, "status")),
            ("filter[project_id]", optional_id(project_id, "project_id")),
            ("filter[tags]", key_values(tags, "tags")),
            ("filter[params]", key_values(params, "params")),
            ("filter[parent_run_id]", parent),
            ("pinned_first", boolean(pinned_first, "pinned_first")),
            ("include_pinned", boolean(include_pinned, "include_pinned")),
            (
                "include_descendant_matches",
                boolean(include_descendant_matches, "include_descendant_matches"),
            ),
            ("sort", sort_order(sort, SORT_FIELDS)),
        )
        pages = NumberedPages(MAX_PAGE_SIZE if page_size is None else page_size, start_page)
        options = WalkOptions(
            limit=limit, concurrency=concurrency, prefetch=prefetch, dedupe=dedupe, resume=resume
        )
        return self._list("runs", _runs, filters, pages, options)

    async def get(self, run_id: int | str) -> Run:
        """Get one run (`GET /runs/{run_id}`)."""
        return await self._get(_run_path(run_id), _run)

    def get_many(
        self,
        ids: Iterable[int | str],
        *,
        concurrency: int | None = None,
        ordered: bool = True,
        batch_size: int = BATCH_SIZE,
    ) -> AsyncGenerator[Result[Run], None]:
        """Fetch many runs: one `Result` per id, holding the run or the error it met.

        Ids go 100 at a time through the list endpoint (`filter[id]`), so 1,000
        runs cost about 10 requests; only ids a batch did not return are asked
        for one by one, so a missing run comes back as a `NotFoundError` result
        without disturbing the others. At most `concurrency` requests are in
        flight; by default the fetch chooses, from 16 up to 32 as answers come back
        unthrottled. Results come in the order of `ids`, or with `ordered=False` as
        soon as their batch is done. `batch_size` (1 to 100) sets how many ids
        one list request asks for.

        Example:
            >>> async for result in client.runs.get_many(range(1, 1001), concurrency=32):
            ...     run = result.unwrap()
        """

        async def fetch_batch(batch: Sequence[str]) -> dict[str, Run]:
            query = build_query(("filter[id]", ",".join(batch)), ("page[size]", str(len(batch))))
            page = await self._client._call(Request("GET", api_path("runs"), query), _runs)
            return {run.id: run for run in page.data}

        return self._get_many(
            ids,
            concurrency,
            ordered,
            self.get,
            fetch_batch=fetch_batch,
            batch_size=page_size(batch_size),
        )

    async def delete(self, run_id: int | str) -> None:
        """Delete a run (`DELETE /runs/{run_id}`); it then answers 404."""
        await self._command("DELETE", _run_path(run_id))

    async def pin(self, run_id: int | str) -> None:
        """Pin a run for the application key's user (`POST /runs/{run_id}/pin`)."""
        await self._command("POST", _run_path(run_id, "pin"))

    async def unpin(self, run_id: int | str) -> None:
        """Remove the pin (`DELETE /runs/{run_id}/pin`)."""
        await self._command("DELETE", _run_path(run_id, "pin"))

    async def facet_keys(self, project_id: int | str) -> FacetKeys:
        """List the facet keys of a project's runs (`GET /facet-keys`)."""
        params = build_query(("filter[project_id]", positive_id(project_id, "project_id")))
        return await self._get("facet-keys", _facet_keys, params)

    async def facet_values(
        self, project_id: int | str, facet_type: str, facet_name: str
    ) -> FacetValues:
        """List the values of one run facet in a project (`GET /facet-values`)."""
        params = build_query(
            ("filter[project_id]", positive_id(project_id, "project_id")),
            ("facet_type", choice(facet_type, FACET_TYPES, "facet_type", required=True)),
            ("facet_name", required_text(facet_name, "facet_name")),
        )
        return await self._get("facet-values", _facet_values, params)

    async def artifacts(self, run_id: int | str, path: str | None = None) -> RunArtifacts:
        """List a run's artifact files, or those under `path` (`GET /runs/{run_id}/artifacts`)."""
        params = build_query(("path", text(path, "path")))
        return await self._get(_run_path(run_id, "artifacts"), _artifacts, params)
