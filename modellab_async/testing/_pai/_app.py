"""The fake PAI's aiohttp application: four AIWorkspace routes, signatures, faults, recording."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from ...pai._signing import AIWORKSPACE_VERSION, Credentials, parse_authorization
from .._faults import FaultPlan, Latency, PageDrift, ProxyErrorPage, ServerError, TooManyRequests
from .._inject import jitter_delays, respond_with_faults
from ._auth import NonceBook, ReceivedRequest, verify_signature
from ._dataset import PAIDataset, PAIRun, RunMaker
from ._errors import PAIError, error_body
from ._paging import TokenBook, TokenQuirks, page_request, serve_page
from ._query import flag, select, select_runs
from ._render import Body, experiment_body, list_body, metric_record, run_body

# (method, path, action): the action names the route, as `x-acs-action` and for fault routes.
ROUTES: tuple[tuple[str, str, str], ...] = (
    ("GET", "/api/v1/runs", "ListRuns"),
    ("GET", "/api/v1/runs/{RunId}", "GetRun"),
    ("GET", "/api/v1/runs/{RunId}/metrics", "ListRunMetrics"),
    ("GET", "/api/v1/experiments", "ListExperiment"),
)
# The id of the request being answered. A context variable rather than request
# storage: web.RequestKey needs aiohttp 3.14, the package supports 3.10.
_request_id: ContextVar[str] = ContextVar("pai_request_id")


@dataclass(frozen=True)
class PAIRequest:
    """A request the fake answered: what was asked, by which AccessKey, and the status."""

    method: str
    path: str
    query: Mapping[str, str]
    action: str | None
    access_key_id: str | None
    status: int


class PAIService:
    """The fake's state and one handler per action; `quirks` may change between requests."""

    def __init__(self, dataset: PAIDataset, *, seed: int, quirks: TokenQuirks) -> None:
        self.dataset = dataset
        self.quirks = quirks
        self._tokens = TokenBook(seed)
        owner_id = dataset.experiments[0].owner_id if dataset.experiments else "1"
        self._maker = RunMaker(random.Random(seed + 1), owner_id)

    async def list_runs(self, request: web.Request) -> web.Response:
        """ListRuns: filter, sort and page the runs."""
        runs = select_runs(self.dataset.runs, request.query, self.dataset.default_workspace)
        verbose = flag(request.query, "Verbose")
        return self._page(request, "Runs", runs, lambda run: run_body(run, verbose=verbose))

    async def get_run(self, request: web.Request) -> web.Response:
        """GetRun: one run, its request id spelt `RequestId`."""
        body = run_body(self._run(request), verbose=flag(request.query, "Verbose"))
        return _json({**body, "RequestId": _request_id.get()})

    async def list_run_metrics(self, request: web.Request) -> web.Response:
        """ListRunMetrics: the records of metric `Key` of one run, by step."""
        run = self._run(request)
        key = request.query.get("Key")
        if not key:
            raise PAIError(400, "MissingKey", "Key is mandatory for this action.")
        points = sorted((p for p in run.metrics if p.key == key), key=lambda p: p.step)
        return self._page(request, "Metrics", points, metric_record, total=False)

    async def list_experiment(self, request: web.Request) -> web.Response:
        """ListExperiment: filter, sort and page the experiments."""
        experiments = select(
            self.dataset.experiments, request.query, self.dataset.default_workspace
        )
        verbose = flag(request.query, "Verbose")
        return self._page(
            request, "Experiments", experiments, lambda e: experiment_body(e, verbose=verbose)
        )

    def add_newest_runs(self, count: int) -> None:
        """Add `count` runs created after every other one: the top of the default order."""
        latest = max(
            (run.created for run in self.dataset.runs), default=datetime.now().astimezone()
        )
        for index in range(count):
            created = latest + timedelta(seconds=index + 1)
            self.dataset.runs.append(self._maker.run(self.dataset.experiments, created))

    def _run(self, request: web.Request) -> PAIRun:
        run_id = request.match_info["RunId"]
        run = next((run for run in self.dataset.runs if run.run_id == run_id), None)
        if run is None:
            raise PAIError(404, "Run.NotFound", f"The run {run_id} does not exist.")
        return run

    def _page(
        self,
        request: web.Request,
        field: str,
        items: list[Any],
        render: Callable[[Any], Body],
        *,
        total: bool = True,
    ) -> web.Response:
        asked = page_request(request.query, self._tokens)
        page, next_token = serve_page(items, asked, self._tokens, self.quirks)
        body = list_body(
            field,
            [render(item) for item in page],
            next_token,
            _request_id.get(),
            len(items) if total else None,
        )
        return _json(body)


def build_app(
    service: PAIService,
    *,
    accounts: Mapping[str, Credentials],
    clock: Callable[[], datetime],
    faults: Callable[[], FaultPlan],
    requests: list[PAIRequest],
    seed: int,
) -> web.Application:
    """Build the application serving `service`, recording each exchange into `requests`.

    `faults()` is asked for the fault plan on every request, so a plan put in
    its place takes effect from the next request on.
    """
    ids = random.Random(seed)
    app = web.Application(
        middlewares=[
            _recording(requests, lambda: str(uuid.UUID(int=ids.getrandbits(128))).upper()),
            _fault_injection(faults, service.add_newest_runs),
            _error_bodies,
            _authentication(accounts, clock, NonceBook()),
        ]
    )
    handlers = {
        "ListRuns": service.list_runs,
        "GetRun": service.get_run,
        "ListRunMetrics": service.list_run_metrics,
        "ListExperiment": service.list_experiment,
    }
    for method, path, action in ROUTES:
        app.router.add_route(method, path, handlers[action], name=action)
    return app


def _json(body: Body, status: int = 200) -> web.Response:
    return web.Response(
        status=status, body=msgspec.json.encode(body), content_type="application/json"
    )


def _error(request: web.Request, error: PAIError) -> web.Response:
    body = error_body(error.code, error.message, _request_id.get(), request.host)
    return _json(body, error.status)


_NO_SUCH_API = PAIError(
    404, "InvalidApi.NotFound", "Specified api is not found, please check your url and method."
)

# Middlewares, outermost first.


def _recording(requests: list[PAIRequest], next_id: Callable[[], str]) -> Middleware:
    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        request_id = next_id()
        _request_id.set(request_id)
        status = 500
        try:
            response = await handler(request)
            status = response.status
            if not response.prepared:  # a streamed fault has sent its headers already
                response.headers["x-acs-request-id"] = request_id
        finally:
            requests.append(
                PAIRequest(
                    request.method,
                    request.path,
                    dict(request.query),
                    request.headers.get("x-acs-action"),
                    _access_key_id(request),
                    status,
                )
            )
        return response

    return record


def _access_key_id(request: web.Request) -> str | None:
    try:
        return parse_authorization(request.headers.get("Authorization", "")).access_key_id
    except ValueError:
        return None


def _fault_injection(faults: Callable[[], FaultPlan], drift: Callable[[int], None]) -> Middleware:
    """Inject the plan's faults with the Model Lab fake's code, answering errors as PAI does."""

    @web.middleware
    async def inject(request: web.Request, handler: Handler) -> web.StreamResponse:
        plan = faults()
        if not plan:
            return await handler(request)
        effects = plan.fire(request.match_info.route.name, request.path)
        if not effects:
            return await handler(request)
        replacing = next(
            (e for e in effects if isinstance(e, TooManyRequests | ServerError | ProxyErrorPage)),
            None,
        )
        if isinstance(replacing, TooManyRequests | ServerError):
            # PAI's error body instead of Model Lab's: delays and drift still apply first.
            effects = [e for e in effects if isinstance(e, Latency | PageDrift)]
            handler = _answer_with(replacing)
        delays = jitter_delays(effects, lambda jitter: plan.rng.uniform(0.0, jitter))
        return await respond_with_faults(effects, request, handler, delays=delays, drift=drift)

    return inject


def _answer_with(effect: TooManyRequests | ServerError) -> Handler:
    async def answer(request: web.Request) -> web.StreamResponse:
        if isinstance(effect, TooManyRequests):
            error = PAIError(429, "Throttling.User", "Request was denied due to user flow control.")
            response = _error(request, error)
            response.headers["Retry-After"] = str(effect.retry_after)
            return response
        code = "ServiceUnavailable" if effect.status == 503 else "InternalError"
        return _error(request, PAIError(effect.status, code, "injected fault"))

    return answer


@web.middleware
async def _error_bodies(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except PAIError as error:
        return _error(request, error)
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
        return _error(request, _NO_SUCH_API)


def _authentication(
    accounts: Mapping[str, Credentials], clock: Callable[[], datetime], nonces: NonceBook
) -> Middleware:
    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        action = request.match_info.route.name
        if action is None:  # no such route: answered 404 without looking at the signature
            return await handler(request)
        received = ReceivedRequest(
            request.method,
            request.path,
            list(request.query.items()),
            request.headers,
            await request.read(),
        )
        credentials = verify_signature(received, accounts, clock())
        if request.headers["x-acs-version"] != AIWORKSPACE_VERSION:
            raise PAIError(400, "InvalidVersion", "Specified parameter Version is not valid.")
        if request.headers["x-acs-action"] != action:
            raise PAIError(404, "InvalidAction.NotFound", f"{action} is served at this path.")
        nonces.use(credentials.access_key_id, request.headers["x-acs-signature-nonce"])
        return await handler(request)

    return authenticate
