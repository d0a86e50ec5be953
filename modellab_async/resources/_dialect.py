"""How Model Lab requests are addressed and authenticated, and how its errors read; no I/O."""

from __future__ import annotations

from collections.abc import Mapping

from yarl import URL

from .._config import ClientConfig, SecretHeaders
from .._protocol import JSON, USER_AGENT, Request, Response, error_from_response, request_url
from ..errors import APIError

__all__ = ["API_ROOT", "ModelLabDialect", "api_path"]

#: Where the Model Lab API lives on a Datadog API origin.
API_ROOT = "api/v2/model-lab-api"


def api_path(*parts: str) -> str:
    """Return the path of a Model Lab endpoint: `api_path("runs", "42")`."""
    return "/".join((API_ROOT, *parts))


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
