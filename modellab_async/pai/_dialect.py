"""How PAI requests are addressed, signed and judged; no I/O."""

from __future__ import annotations

from collections.abc import Mapping

from yarl import URL

from .._core._config import SecretHeaders
from .._core._protocol import JSON, USER_AGENT, Request, Response, request_url
from ..errors import APIError
from ._signing import Signer
from .models import api_error

__all__ = ["API_ROOT", "PAIDialect", "api_path", "host_header"]

#: Where the AIWorkspace API (2021-02-04) lives on a region's endpoint.
API_ROOT = "api/v1"


def api_path(*parts: str) -> str:
    """Return the path of a PAI operation: `api_path("runs", run_id)`."""
    return "/".join((API_ROOT, *parts))


def host_header(origin: URL) -> str:
    """Return the `Host` header a request to `origin` carries, as the signature covers it."""
    host = origin.raw_host or ""
    if ":" in host:
        host = f"[{host}]"
    return host if origin.is_default_port() else f"{host}:{origin.port}"


class PAIDialect:
    """How PAI requests are addressed, signed (V3, afresh for every try) and judged."""

    def __init__(self, origin: URL, signer: Signer) -> None:
        self._origin = origin
        self._host = host_header(origin)
        self._signer = signer
        self._headers = {"Accept": JSON, "User-Agent": USER_AGENT}

    @property
    def origin(self) -> URL:
        """The configured endpoint."""
        return self._origin

    def prepare(self, request: Request) -> tuple[URL, Mapping[str, str]]:
        """Sign `request` now and return the URL with exactly the query that was signed."""
        path = request_url(self._origin, Request(request.method, request.path))
        signed = self._signer.sign(
            request.method,
            self._host,
            path.path,
            action=request.operation,
            query=request.query,
        )
        url = URL(
            f"{path}?{signed.query_string}" if signed.query_string else str(path), encoded=True
        )
        return url, SecretHeaders(self._headers, **signed.headers)

    def error(self, request: Request, response: Response) -> APIError:
        """Map a PAI error answer (`Code`, `Message`, `RequestId`) onto the error classes."""
        return api_error(
            response.status,
            response.body,
            method=request.method,
            path=f"/{request.path}",
            headers=response.headers,
        )
