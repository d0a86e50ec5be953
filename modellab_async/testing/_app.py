"""The aiohttp application: routes, JSON:API responses, auth, rate limit and recording."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import msgspec
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from ._artifacts import artifact_bytes, list_directory
from ._dataset import Project, Run
from ._facets import project_facet_keys, project_facet_values, run_facet_keys, run_facet_values
from ._faults import FaultPlan
from ._generate import RunFactory, fresh_run
from ._inject import jitter_delays, respond_with_faults
from ._query import (
    BadParameter,
    PageRequest,
    parse_id,
    parse_project_list_query,
    parse_run_list_query,
    required,
)
from ._ratelimit import FixedWindowLimiter, RateLimit
from ._render import (
    TOO_MANY_REQUESTS,
    Document,
    bad_request_document,
    facet_keys_document,
    facet_values_document,
    forbidden_document,
    list_document,
    not_found_document,
    project_artifacts_document,
    project_resource,
    run_artifacts_document,
    run_resource,
)
from ._store import Store

API_PREFIX = "/api/v2/model-lab-api"
API_KEY_HEADER = "DD-API-KEY"
APP_KEY_HEADER = "DD-APPLICATION-KEY"
# Project facet-value ids end with an organization id; the real service's is unknown.
ORG_ID = 2387

# (method, path under API_PREFIX, operation): the operation names the handler and the route.
ROUTES: tuple[tuple[str, str, str], ...] = (
    ("GET", "/projects", "list_projects"),
    ("GET", "/projects/{project_id}", "get_project"),
    ("POST", "/projects/{project_id}/star", "star_project"),
    ("DELETE", "/projects/{project_id}/star", "unstar_project"),
    ("GET", "/projects/{project_id}/artifacts", "list_project_artifacts"),
    ("GET", "/project-facet-keys", "list_project_facet_keys"),
    ("GET", "/project-facet-values", "list_project_facet_values"),
    ("GET", "/runs", "list_runs"),
    ("GET", "/runs/{run_id}", "get_run"),
    ("DELETE", "/runs/{run_id}", "delete_run"),
    ("POST", "/runs/{run_id}/pin", "pin_run"),
    ("DELETE", "/runs/{run_id}/pin", "unpin_run"),
    ("GET", "/runs/{run_id}/artifacts", "list_run_artifacts"),
    ("GET", "/facet-keys", "list_run_facet_keys"),
    ("GET", "/facet-values", "list_run_facet_values"),
    ("GET", "/artifacts/content", "get_artifact_content"),
)


@dataclass(frozen=True)
class RecordedRequest:
    """A request the fake served: what was asked, by which application key, and the status."""

    method: str
    path: str
    query: Mapping[str, str]
    app_key: str | None
    status: int


@dataclass(frozen=True)
class Settings:
    """How the fake presents itself."""

    page_base: int
    link_host: str | None
    api_key: str
    app_keys: frozenset[str]


class NotFound(Exception):
    """The resource is unknown or deleted; the server answers 404."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"{kind} not found")
        self.kind = kind


def build_app(
    store: Store,
    settings: Settings,
    *,
    requests: list[RecordedRequest],
    faults: Callable[[], FaultPlan],
    rate_limit: RateLimit | None,
    factory: RunFactory,
) -> web.Application:
    """Build the application serving `store`, recording each exchange into `requests`.

    `faults()` is asked for the fault plan on every request, so a plan put in
    its place takes effect from the next request on; `factory` makes the runs
    page drift inserts.
    """
    middlewares = [
        _recording(requests),
        _fault_injection(faults, store, factory),
        _authentication(settings),
    ]
    if rate_limit is not None:
        middlewares.append(_rate_limiting(FixedWindowLimiter(rate_limit)))
    middlewares.append(_error_documents)
    app = web.Application(middlewares=middlewares)
    routes = _Routes(store, settings)
    for method, path, operation in ROUTES:
        app.router.add_route(method, API_PREFIX + path, getattr(routes, operation), name=operation)
    return app


class _Routes:
    """One method per operation: parse the request, ask the store, render the answer."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings

    # Projects

    async def list_projects(self, request: web.Request) -> web.Response:
        query = parse_project_list_query(request.query, self._settings.page_base)
        page = self._store.list_projects(query)
        data = [self._project(request, project) for project in page.items]
        return self._listing(request, data, query.page, page.total)

    async def get_project(self, request: web.Request) -> web.Response:
        return _json({"data": self._project(request, self._live_project(request))})

    async def star_project(self, request: web.Request) -> web.Response:
        return self._mutation(self._store.star_project, request, "project")

    async def unstar_project(self, request: web.Request) -> web.Response:
        return self._mutation(self._store.unstar_project, request, "project")

    async def list_project_artifacts(self, request: web.Request) -> web.Response:
        project = self._live_project(request)
        return _json(project_artifacts_document(project, project.artifacts))

    async def list_project_facet_keys(self, request: web.Request) -> web.Response:
        keys = project_facet_keys(self._store.live_projects())
        return _json(facet_keys_document(keys, str(ORG_ID)))

    async def list_project_facet_values(self, request: web.Request) -> web.Response:
        facet_type = required(request.query, "facet_type")
        facet_name = required(request.query, "facet_name")
        values = project_facet_values(self._store.live_projects(), facet_type, facet_name)
        return _json(facet_values_document(values, facet_type, facet_name, ORG_ID))

    # Runs

    async def list_runs(self, request: web.Request) -> web.Response:
        query = parse_run_list_query(request.query, self._settings.page_base)
        page = self._store.list_runs(query, _app_key(request))
        data = [
            self._run(request, listed.run, descendant_match=listed.descendant_match)
            for listed in page.items
        ]
        return self._listing(request, data, query.page, page.total)

    async def get_run(self, request: web.Request) -> web.Response:
        return _json({"data": self._run(request, self._live_run(request))})

    async def delete_run(self, request: web.Request) -> web.Response:
        run_id = parse_id(request.match_info["run_id"], "run_id")
        if self._store.delete_run(run_id) is None:
            raise NotFound("run")
        return web.Response(status=204)

    async def pin_run(self, request: web.Request) -> web.Response:
        return self._mutation(self._store.pin_run, request, "run")

    async def unpin_run(self, request: web.Request) -> web.Response:
        return self._mutation(self._store.unpin_run, request, "run")

    async def list_run_artifacts(self, request: web.Request) -> web.Response:
        run = self._live_run(request)
        entries = list_directory(run.artifacts, request.query.get("path", ""))
        return _json(run_artifacts_document(run, entries))

    async def list_run_facet_keys(self, request: web.Request) -> web.Response:
        project_id = self._facet_project(request)
        keys = run_facet_keys(self._store.project_runs(project_id))
        return _json(facet_keys_document(keys, str(project_id)))

    async def list_run_facet_values(self, request: web.Request) -> web.Response:
        project_id = self._facet_project(request)
        facet_type = required(request.query, "facet_type")
        facet_name = required(request.query, "facet_name")
        runs = self._store.project_runs(project_id)
        values = run_facet_values(runs, facet_type, facet_name)
        return _json(facet_values_document(values, facet_type, facet_name, project_id))

    # Artifacts

    async def get_artifact_content(self, request: web.Request) -> web.Response:
        project_id = parse_id(required(request.query, "project_id"), "project_id")
        stored = self._store.artifact(project_id, required(request.query, "artifact_path"))
        if stored is None:
            raise NotFound("artifact")
        content = artifact_bytes(stored.file, stored.project_id, stored.artifact_path, stored.run)
        return web.Response(body=content, content_type="application/octet-stream")

    # Helpers shared by the routes

    def _live_run(self, request: web.Request) -> Run:
        run = self._store.run(parse_id(request.match_info["run_id"], "run_id"))
        if run is None:
            raise NotFound("run")
        return run

    def _live_project(self, request: web.Request) -> Project:
        project = self._store.project(parse_id(request.match_info["project_id"], "project_id"))
        if project is None:
            raise NotFound("project")
        return project

    def _facet_project(self, request: web.Request) -> int:
        parameter = "filter[project_id]"
        project_id = parse_id(required(request.query, parameter), parameter)
        if self._store.project(project_id) is None:
            raise NotFound("project")
        return project_id

    def _mutation(self, mutate: _Mutation, request: web.Request, kind: str) -> web.Response:
        resource_id = parse_id(request.match_info[f"{kind}_id"], f"{kind}_id")
        if not mutate(_app_key(request), resource_id):
            raise NotFound(kind)
        return web.Response(status=204)

    def _run(self, request: web.Request, run: Run, *, descendant_match: bool = False) -> Document:
        store = self._store
        return run_resource(
            run,
            is_pinned=store.is_pinned(_app_key(request), run.id),
            has_children=store.has_children(run.id),
            descendant_match=descendant_match,
        )

    def _project(self, request: web.Request, project: Project) -> Document:
        return project_resource(
            project, is_starred=self._store.is_starred(_app_key(request), project.id)
        )

    def _listing(
        self, request: web.Request, data: list[Document], page: PageRequest, total: int
    ) -> web.Response:
        origin = (self._settings.link_host or f"{request.scheme}://{request.host}").rstrip("/")
        document = list_document(
            data,
            page=page,
            total=total,
            page_base=self._settings.page_base,
            origin=origin,
            path=request.path,
            query=request.query.items(),
        )
        return _json(document)


class _Mutation(Protocol):
    def __call__(self, app_key: str, resource_id: int, /) -> bool: ...


def _app_key(request: web.Request) -> str:
    # The authentication middleware has already checked the header.
    return request.headers[APP_KEY_HEADER]


def _json(document: Document, status: int = 200) -> web.Response:
    return web.Response(
        status=status, body=msgspec.json.encode(document), content_type="application/json"
    )


# Middlewares, outermost first.


def _recording(requests: list[RecordedRequest]) -> Middleware:
    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        status = 500
        try:
            response = await handler(request)
            status = response.status
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            app_key = request.headers.get(APP_KEY_HEADER)
            requests.append(
                RecordedRequest(request.method, request.path, request.query, app_key, status)
            )
        return response

    return record


def _fault_injection(
    faults: Callable[[], FaultPlan], store: Store, factory: RunFactory
) -> Middleware:
    def drift(count: int) -> None:
        projects = store.live_projects()
        for _ in range(count):
            store.create_run(
                lambda run_id, now: fresh_run(
                    factory, run_id, factory.pick(projects), now, status="pending"
                )
            )

    @web.middleware
    async def inject(request: web.Request, handler: Handler) -> web.StreamResponse:
        plan = faults()
        if not plan:
            return await handler(request)
        effects = plan.fire(request.match_info.route.name, request.path)
        if not effects:
            return await handler(request)
        delays = jitter_delays(effects, lambda jitter: plan.rng.uniform(0.0, jitter))
        return await respond_with_faults(effects, request, handler, delays=delays, drift=drift)

    return inject


def _authentication(settings: Settings) -> Middleware:
    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.headers.get(API_KEY_HEADER) != settings.api_key:
            return _json(forbidden_document(API_KEY_HEADER), status=403)
        if request.headers.get(APP_KEY_HEADER) not in settings.app_keys:
            return _json(forbidden_document(APP_KEY_HEADER), status=403)
        return await handler(request)

    return authenticate


def _rate_limiting(limiter: FixedWindowLimiter) -> Middleware:
    @web.middleware
    async def limit(request: web.Request, handler: Handler) -> web.StreamResponse:
        decision = limiter.hit(request.headers[API_KEY_HEADER])
        if not decision.allowed:
            response: web.StreamResponse = _json(TOO_MANY_REQUESTS, status=429)
        else:
            response = await handler(request)
        response.headers.update(decision.headers)
        return response

    return limit


@web.middleware
async def _error_documents(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except BadParameter as error:
        return _json(bad_request_document(error), status=400)
    except NotFound as error:
        return _json(not_found_document(error.kind), status=404)
