"""A scripted aiohttp server on 127.0.0.1 for edge cases the fake server has no switch for.

Each test installs a handler; the server records every request it receives.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Self

import msgspec
from aiohttp import web
from aiohttp.test_utils import TestServer
from yarl import URL

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
API = "/api/v2/model-lab-api"


@dataclass
class Seen:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class ScriptedServer:
    """Serve whatever the current handler answers, recording each request."""

    handler: Handler | None = None
    seen: list[Seen] = field(default_factory=list)
    _server: TestServer | None = None

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        await self._server.close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return str(self._server.make_url("")).rstrip("/")

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(
            Seen(request.method, request.path, dict(request.query), dict(request.headers))
        )
        assert self.handler is not None, "no handler installed"
        return await self.handler(request)


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=msgspec.json.encode(body),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def run_resource(run_id: int, **overrides: Any) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "project_id": 1,
        "name": f"run-{run_id}",
        "description": "",
        "status": "completed",
        "mlflow_artifact_location": f"s3://bucket/{run_id}",
        "started_at": "2026-05-01T10:00:00Z",
        "created_at": "2026-05-01T10:00:00Z",
        "updated_at": "2026-05-01T11:00:00Z",
        "tags": [],
        "params": None,
        "metric_summaries": [],
        "is_pinned": False,
        "has_children": False,
        "descendant_match": False,
    }
    attributes.update(overrides)
    return {"id": str(run_id), "type": "runs", "attributes": attributes}


@dataclass
class Listing:
    """A paged listing of `total` runs, numbered like the real service or the docs.

    `links` is how the next page is announced: "absolute" (the recorded shape:
    another host, literal brackets), "relative", "foreign" (a host that must
    never be contacted), "missing" (a links object without `next`), or "none".
    `full_meta=False` sends only the required number, size and total.
    """

    total: int
    base: int = 0
    links: str = "absolute"
    full_meta: bool = True
    default_size: int = 25

    def page(self, request: web.Request) -> dict[str, Any]:
        size = int(request.query.get("page[size]", self.default_size))
        number = int(request.query.get("page[number]", self.base))
        pages = max(1, math.ceil(self.total / size))
        last = self.base + pages - 1
        start = (number - self.base) * size
        ids = range(start + 1, min(start + size, self.total) + 1) if number >= self.base else ()
        page: dict[str, Any] = {"number": number, "size": size, "total": self.total}
        if self.full_meta:
            page |= {
                "first_number": self.base,
                "last_number": last,
                "next_number": number + 1 if number < last else None,
                "prev_number": number - 1 if number > self.base else None,
                "type": "number_size",
            }
        body: dict[str, Any] = {"data": [run_resource(i) for i in ids], "meta": {"page": page}}
        if self.links != "none":
            body["links"] = self._links(request, number, last, size)
        return body

    def _links(self, request: web.Request, number: int, last: int, size: int) -> dict[str, str]:
        origin = {
            "absolute": "https://api.datadoghq.com",
            "foreign": "http://192.0.2.1:9",
            "relative": "",
        }.get(self.links, str(URL(str(request.url)).origin()))
        base = f"{origin}{request.path}"
        links = {"self": base, "first": f"{base}?page[number]={self.base}&page[size]={size}"}
        if number < last and self.links != "missing":
            links["next"] = f"{base}?page[number]={number + 1}&page[size]={size}"
        return links

    async def handler(self, request: web.Request) -> web.Response:
        return json_response(self.page(request))

    def failing_on(self, number: int) -> Handler:
        """Return a handler serving this listing, but page `number` answered 500 "boom"."""

        async def handler(request: web.Request) -> web.Response:
            if request.query.get("page[number]") == str(number):
                return json_response({"errors": [{"title": "boom"}]}, 500)
            return await self.handler(request)

        return handler
