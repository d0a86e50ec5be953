"""Every exception the client raises, in one tree.

```
ModelLabError                    # base: catch this to catch everything below
├── ConfigurationError           # missing key, unknown site, bad base URL (also a ValueError)
├── ClientStateError             # used before `async with` or `open()`, after close, on another loop
├── APIError                     # the service answered with an error status
│   ├── BadRequestError          # 400
│   ├── AuthenticationError      # 401
│   ├── PermissionDeniedError    # 403
│   ├── NotFoundError            # 404
│   ├── RateLimitError           # 429
│   └── ServerError              # 5xx
├── TransportError               # no usable answer: connection failed, reset, or timed out
│   ├── RequestTimeoutError      # a timeout, also a built-in TimeoutError
│   ├── CertificateError         # the server's TLS certificate is not trusted (not retried)
│   └── UnsafeRedirectError      # a redirect to another origin, refused to protect the keys
├── DecodeError                  # a body that does not match the documented shape
└── PaginationError              # a listing that would repeat a page or go backwards
```

Invalid arguments raise `ValueError` or `TypeError` before any request is sent.
No message or `repr` here ever contains an API or application key: errors are
built from the status, the response body and the request's method and path only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
from multidict import CIMultiDict

from ._engine._checkpoint import Checkpoint

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "CertificateError",
    "ClientStateError",
    "ConfigurationError",
    "DecodeError",
    "MalformedBodyError",
    "ModelLabError",
    "NotFoundError",
    "PaginationError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTimeoutError",
    "ServerError",
    "TransportError",
    "UnsafeRedirectError",
]


class ErrorSource(msgspec.Struct, kw_only=True, gc=False):
    """Where an error came from: a query parameter, a header or a body pointer."""

    parameter: str | None = None
    header: str | None = None
    pointer: str | None = None


class ErrorObject(msgspec.Struct, kw_only=True, gc=False):
    """One JSON:API error object, as Model Lab sends with 400, 403, 404 and 500 answers."""

    status: str | None = None
    title: str | None = None
    detail: str | None = None
    source: ErrorSource | None = None
    meta: dict[str, Any] | None = None


class ModelLabError(Exception):
    """Base class of every error raised by modellab_async.

    An error raised while iterating a listing carries `checkpoint`: where the
    listing stood, to pass as `resume=` once the cause is fixed.
    """

    checkpoint: Checkpoint | None = None

    def __str__(self) -> str:
        # Messages quote the service (error details, body excerpts, paths): a hostile
        # body must not forge log lines or drive the terminal that shows them.
        return printable(super().__str__())

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from the message and attributes, not by calling `__init__` again
        # with the message, whose signature differs in `APIError`.
        return _rebuild, (type(self), self.args), self.__dict__


def _rebuild(cls: type[ModelLabError], args: tuple[Any, ...]) -> ModelLabError:
    return cls.__new__(cls, *args)


def printable(text: str) -> str:
    r"""Return `text` with unprintable characters escaped as `repr` escapes them.

    Newlines become `\n`, an escape character `\x1b`: text from the service
    cannot start a log line of its own or send sequences to a terminal.
    """
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


class ConfigurationError(ModelLabError, ValueError):
    """The client cannot be configured as asked: a key is missing, the site is unknown."""


class ClientStateError(ModelLabError, RuntimeError):
    """The client is used where it cannot work: before `async with`, after close, on another loop."""


class APIError(ModelLabError):
    """The service answered with an error status.

    Attributes:
        status: the HTTP status code.
        errors: the decoded JSON:API errors: `ErrorObject` values for 400/403/404/500
            answers, plain strings for 429 answers; empty if the body was not JSON.
        request_id: the request id header of the answer, when the service sent one.
        method, path: what was asked, without query string or keys.
        body_excerpt: the start of a body that was not JSON (an HTML page from a proxy).
        code: the service's own name for the error where it gives one (PAI's `Code`,
            e.g. "SignatureDoesNotMatch"); `None` for Model Lab, whose errors have none.
    """

    def __init__(
        self,
        status: int,
        errors: Sequence[ErrorObject | str] = (),
        *,
        request_id: str | None = None,
        method: str = "",
        path: str = "",
        body_excerpt: str = "",
        headers: Mapping[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.errors = list(errors)
        self.request_id = request_id
        self.method = method
        self.path = path
        self.body_excerpt = body_excerpt
        self.headers: Mapping[str, str] = CIMultiDict(headers or {})
        super().__init__(self._message())

    def _message(self) -> str:
        where = f" for {self.method} {self.path}" if self.method else ""
        details = "; ".join(_describe(error) for error in self.errors) or self.body_excerpt
        text = f"HTTP {self.status}{where}"
        if details:
            text += f": {details}"
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, errors={self.errors!r})"


def _describe(error: ErrorObject | str) -> str:
    if isinstance(error, str):
        return error
    parts = [part for part in (error.title, error.detail) if part]
    if error.source is not None and error.source.parameter:
        parts.append(f"parameter {error.source.parameter}")
    return " - ".join(parts) or "error"


class BadRequestError(APIError):
    """400: the service rejected a parameter (see `errors[i].source.parameter`)."""


class AuthenticationError(APIError):
    """401: the keys were not accepted."""


class PermissionDeniedError(APIError):
    """403: the keys are missing, wrong, or lack the permission for this call."""


class NotFoundError(APIError):
    """404: no such project, run or artifact (or it was deleted)."""


class RateLimitError(APIError):
    """429: the organisation's rate limit is spent; `headers` carry the X-RateLimit-* values."""


class ServerError(APIError):
    """5xx: the service or a proxy in front of it failed."""


class TransportError(ModelLabError):
    """No usable HTTP answer: the connection failed, was reset, or the body was cut short."""


class RequestTimeoutError(TransportError, TimeoutError):
    """A connect, read or total timeout expired."""


class CertificateError(TransportError):
    """The server's TLS certificate is not trusted (unknown CA, wrong host name, expired).

    Not retried: trust its CA with the client's `ssl=` argument or `SSL_CERT_FILE`.
    """


class UnsafeRedirectError(TransportError):
    """The service redirected to another origin; it was not followed, so the keys stayed home."""


class DecodeError(ModelLabError):
    """A body that does not match the documented shape, is nested too deeply, or is too large."""


class MalformedBodyError(DecodeError):
    """A body that is not valid JSON, most often because it was cut short; retried."""


class PaginationError(ModelLabError):
    """A listing's next page would repeat a page already fetched, so iteration stopped."""


_STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def error_class_for(status: int) -> type[APIError]:
    """Return the exception class for an HTTP error status."""
    if status >= 500:
        return ServerError
    return _STATUS_ERRORS.get(status, APIError)
