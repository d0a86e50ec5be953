"""Requests and responses as values: build URLs, decode bodies, judge redirects; no I/O."""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

import msgspec
from yarl import URL

from .._version import __version__
from ..errors import (
    DecodeError,
    MalformedBodyError,
    UnsafeRedirectError,
)
from ._params import Query

__all__ = [
    "JSON",
    "REDIRECT_STATUSES",
    "USER_AGENT",
    "Request",
    "Response",
    "body_excerpt",
    "decode",
    "redirect_target",
    "request_url",
]

JSON = "application/json"
#: What every request says the client is.
USER_AGENT = (
    f"modellab-async/{__version__} (Python {sys.version_info.major}.{sys.version_info.minor})"
)
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_EXCERPT_CHARS = 200
#: The start of a body an excerpt is made from: enough for a proxy's page, however long.
_EXCERPT_SOURCE_BYTES = 16 * 1024
_TAGS = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Request:
    """One call to an API: method, path from the origin, query and accepted type.

    `operation` names the API operation where the dialect needs it (PAI's action).
    """

    method: str
    path: str
    query: Query = ()
    accept: str = JSON
    operation: str = ""

    def describe(self) -> str:
        """Return `METHOD /path` for messages: never the query, never a key."""
        return f"{self.method} /{self.path}"


@dataclass(frozen=True, slots=True)
class Response:
    """A complete HTTP answer: status, headers and the whole body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


def request_url(base_url: URL, request: Request) -> URL:
    """Join the configured origin (and its path prefix) and the request's path and query."""
    url = _path_url(base_url, request.path)
    return url.with_query(request.query) if request.query else url


@lru_cache(maxsize=1024)
def _path_url(base_url: URL, path: str) -> URL:
    # Cached: a listing asks for the same path once per page.
    return base_url.joinpath(*path.split("/"))


def decode(decoder: msgspec.json.Decoder[T], body: bytes, request: Request) -> T:
    """Decode a body with a typed decoder, or raise `DecodeError` saying what was wrong."""
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise DecodeError(f"{request.describe()}: unexpected response body: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise MalformedBodyError(f"{request.describe()}: malformed response body: {exc}") from exc
    except RecursionError as exc:
        raise DecodeError(f"{request.describe()}: response body nested too deeply") from exc


def body_excerpt(body: bytes) -> str:
    """Return the start of a body that is not JSON, as text, tags and runs of spaces folded."""
    source = body[:_EXCERPT_SOURCE_BYTES].decode("utf-8", "replace")
    text = _SPACES.sub(" ", _TAGS.sub(" ", source)).strip()
    return text if len(text) <= _EXCERPT_CHARS else text[: _EXCERPT_CHARS - 3] + "..."


def redirect_target(current: URL, location: str | None, origin: URL) -> URL:
    """Return where a redirect leads, if it stays on the configured origin.

    Raises:
        UnsafeRedirectError: the redirect names another origin, or none at all;
            following it would hand the keys to someone else.
    """
    if not location:
        raise UnsafeRedirectError(f"redirect from {current.path} without a Location header")
    target = current.join(URL(location))
    if target.origin() != origin.origin():
        raise UnsafeRedirectError(
            f"refused a redirect from {current.path} to another origin ({target.origin()}); "
            "the keys are only sent to the configured API host"
        )
    return target
