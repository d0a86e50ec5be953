"""How Model Lab requests are addressed and authenticated, and how its errors read; no I/O."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec
from yarl import URL

from .._core._config import SecretHeaders
from .._core._protocol import JSON, USER_AGENT, Request, Response, body_excerpt, request_url
from ..errors import APIError, ErrorObject, error_class_for
from ..models.jsonapi import ErrorDocument
from ._config import ClientConfig

__all__ = ["API_ROOT", "ModelLabDialect", "api_path", "error_from_response"]

#: Where the Model Lab API lives on a Datadog API origin.
API_ROOT = "api/v2/model-lab-api"

_REQUEST_ID_HEADERS = ("x-request-id", "dd-request-id", "x-datadog-request-id")
_error_decoder = msgspec.json.Decoder(ErrorDocument)


def api_path(*parts: str) -> str:
    """Return the path of a Model Lab endpoint: `api_path("runs", "42")`."""
    return "/".join((API_ROOT, *parts))


def error_from_response(request: Request, response: Response) -> APIError:
    """Build the typed error for an error answer, whatever its body looks like."""
    errors: list[ErrorObject | str] = []
    excerpt = ""
    try:
        errors = _error_decoder.decode(response.body).errors
    except (msgspec.DecodeError, RecursionError):
        excerpt = body_excerpt(response.body)
    request_id = next(
        (response.headers[name] for name in _REQUEST_ID_HEADERS if name in response.headers),
        None,
    )
    return error_class_for(response.status)(
        response.status,
        errors,
        request_id=request_id,
        method=request.method,
        path=f"/{request.path}",
        body_excerpt=excerpt,
        headers=response.headers,
    )


class ModelLabDialect:
    """Model Lab's part of a client: origin, `DD-API-KEY`/`DD-APPLICATION-KEY`, error bodies."""

    def __init__(self, config: ClientConfig) -> None:
        self._origin = config.base_url
        self._headers = SecretHeaders(
            {
                "Accept": JSON,
                "User-Agent": USER_AGENT,
                "DD-API-KEY": config.api_key.reveal(),
                "DD-APPLICATION-KEY": config.app_key.reveal(),
            }
        )

    @property
    def origin(self) -> URL:
        """The configured API origin (with its path prefix, if any)."""
        return self._origin

    def prepare(self, request: Request) -> tuple[URL, Mapping[str, str]]:
        """Return the URL and the headers carrying the keys."""
        headers: Mapping[str, str] = self._headers
        if request.accept != JSON:
            headers = SecretHeaders(self._headers, Accept=request.accept)
        return request_url(self._origin, request), headers

    def error(self, request: Request, response: Response) -> APIError:
        """Build the typed error of a JSON:API error answer, whatever its body looks like."""
        return error_from_response(request, response)
