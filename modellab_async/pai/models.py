"""PAI (AIWorkspace 2021-02-04) responses as sent on the wire, and their error answers.

Wire names are PascalCase (`RunId`, `GmtCreateTime`); Python attributes are
snake_case (`run_id`, `gmt_create_time`). One quirk is kept as documented: list
bodies spell their request id `requestId`, while a run or an error body spells
it `RequestId`. Fields the documentation does not promise are optional; list
fields read `None` when absent (ListRuns leaves out `Labels`, `Params` and
`Metrics` unless asked with `Verbose=true`). Page tokens are opaque: the
documentation types them as integers, so both numbers and strings decode.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Generic, Self, TypeVar

import msgspec

from ..errors import (
    APIError,
    AuthenticationError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    error_class_for,
)
from ..models.jsonapi import Model

__all__ = [
    "ErrorBody",
    "Experiment",
    "ExperimentsPage",
    "Label",
    "Metric",
    "MetricsPage",
    "PAIModel",
    "Param",
    "Run",
    "RunsPage",
    "TokenPage",
    "api_error",
    "decode_error_body",
    "error_class_for_code",
]

ItemT = TypeVar("ItemT")


class PAIModel(Model, rename="pascal"):
    """Base of every PAI wire model: snake_case attributes named in PascalCase on the wire."""


class Label(PAIModel):
    """A key-value label of a run or an experiment.

    The timestamps stay text: the documented examples send them empty.
    """

    key: str
    value: str
    run_id: str | None = None
    experiment_id: str | None = None
    gmt_create_time: str | None = None
    gmt_modified_time: str | None = None


class Param(PAIModel):
    """A hyperparameter of a run; values are text on the wire."""

    key: str
    value: str


class Metric(PAIModel):
    """One recorded value of a metric: at a training step, at a time in epoch milliseconds."""

    key: str
    value: float
    step: int | None = None
    timestamp: int | None = None

    @property
    def id(self) -> str:
        """Identify the record within its run (key, step and time), for checkpoints."""
        return f"{self.key}@{self.step}@{self.timestamp}"


class Run(PAIModel):
    """A run, as listed by ListRuns and answered by GetRun (which adds `request_id`)."""

    run_id: str
    name: str | None = None
    experiment_id: str | None = None
    workspace_id: str | None = None
    source_type: str | None = None
    source_id: str | None = None
    owner_id: str | None = None
    user_id: str | None = None
    accessibility: str | None = None
    gmt_create_time: datetime | None = None
    gmt_modified_time: datetime | None = None
    labels: list[Label] | None = None
    params: list[Param] | None = None
    metrics: list[Metric] | None = None
    request_id: str | None = None

    @property
    def id(self) -> str:
        """The run's id (`run_id`), as the paginator's checkpoints and dedupe expect."""
        return self.run_id


class Experiment(PAIModel):
    """An experiment, as listed by ListExperiment."""

    experiment_id: str
    name: str | None = None
    workspace_id: str | None = None
    owner_id: str | None = None
    user_id: str | None = None
    accessibility: str | None = None
    artifact_uri: str | None = None
    tensorboard_log_uri: str | None = None
    gmt_create_time: datetime | None = None
    gmt_modified_time: datetime | None = None
    labels: list[Label] | None = None
    latest_run: Run | None = None
    request_id: str | None = None

    @property
    def id(self) -> str:
        """The experiment's id (`experiment_id`)."""
        return self.experiment_id


class TokenPage(PAIModel, Generic[ItemT]):
    """One page of a token-paged listing; subclasses name the field holding the items.

    It satisfies the paginator's `ItemsPage`: `items`, `total` and `with_items`.
    """

    _items_field: ClassVar[str]

    next_page_token: int | str | None = None
    total_count: int | None = None
    request_id: str | None = msgspec.field(default=None, name="requestId")

    @property
    def items(self) -> list[ItemT]:
        """The page's items in the server's order."""
        items: list[ItemT] = getattr(self, self._items_field)
        return items

    @property
    def total(self) -> int | None:
        """How many items the whole listing holds (`TotalCount`), when the service says."""
        return self.total_count

    @property
    def next_token(self) -> str | None:
        """The next page's token as text, or `None` when the service sent none."""
        return None if self.next_page_token is None else str(self.next_page_token)

    def with_items(self, items: list[Any]) -> Self:
        """Return a copy of this page holding `items` instead of its own."""
        return msgspec.structs.replace(self, **{self._items_field: items})


class RunsPage(TokenPage[Run]):
    """A ListRuns answer: `Runs`, `TotalCount`, `NextPageToken` (0 after the last page)."""

    _items_field = "runs"
    runs: list[Run] = msgspec.field(default_factory=list)


class ExperimentsPage(TokenPage[Experiment]):
    """A ListExperiment answer: `Experiments`, `TotalCount`, `NextPageToken`."""

    _items_field = "experiments"
    experiments: list[Experiment] = msgspec.field(default_factory=list)


class MetricsPage(TokenPage[Metric]):
    """A ListRunMetrics answer: the records of one metric of a run, and `NextPageToken`."""

    _items_field = "metrics"
    metrics: list[Metric] = msgspec.field(default_factory=list)


class ErrorBody(PAIModel):
    """The body of a PAI error answer; any part may be missing."""

    code: str | None = None
    message: str | None = None
    request_id: str | None = None
    host_id: str | None = None
    recommend: str | None = None


_ERROR_BODY = msgspec.json.Decoder(ErrorBody)

# Error codes shared by Alibaba Cloud's API gateway, by family. They decide the
# class before the status does: the gateway documents 400 for throttling.
_CODE_PREFIXES: tuple[tuple[str, type[APIError]], ...] = (
    ("Throttling", RateLimitError),
    ("SignatureDoesNotMatch", AuthenticationError),
    ("IncompleteSignature", AuthenticationError),
    ("SignatureNonceUsed", AuthenticationError),
    ("InvalidAccessKeyId", AuthenticationError),
    ("InvalidSecurityToken", AuthenticationError),
    ("InvalidTimeStamp", AuthenticationError),
    ("Forbidden", PermissionDeniedError),
    ("NoPermission", PermissionDeniedError),
    ("ActionUnauthorized", PermissionDeniedError),
    ("InternalError", ServerError),
    ("ServiceUnavailable", ServerError),
)


def error_class_for_code(code: str | None, status: int) -> type[APIError]:
    """Choose the exception class for a PAI error: by its code's family, else by status.

    A code belongs to a family when it equals the family's name or starts with
    it and a dot, e.g. "Throttling.User" to "Throttling".
    """
    if code:
        for prefix, error_class in _CODE_PREFIXES:
            if code == prefix or code.startswith(f"{prefix}."):
                return error_class
    return error_class_for(status)


def decode_error_body(body: bytes) -> ErrorBody | None:
    """Decode a PAI error body, or return `None` if it is not one (an HTML proxy page)."""
    try:
        decoded = _ERROR_BODY.decode(body)
    except (msgspec.DecodeError, RecursionError):
        return None
    return decoded if decoded.code or decoded.message else None


def api_error(
    status: int,
    body: bytes,
    *,
    method: str = "",
    path: str = "",
    headers: Mapping[str, str] | None = None,
) -> APIError:
    """Build the exception for a PAI error answer, keeping Code, Message and RequestId visible.

    The message reads e.g. "HTTP 400 for GET /api/v1/runs: SignatureDoesNotMatch:
    Specified signature is not matched ... (request id 5A14...)". The request id
    comes from the body, else from the `x-acs-request-id` header.
    """
    error = decode_error_body(body)
    header_id = _header(headers, "x-acs-request-id")
    if error is None:
        return error_class_for(status)(
            status,
            request_id=header_id,
            method=method,
            path=path,
            body_excerpt=body[:200].decode(errors="replace"),
            headers=headers,
        )
    summary = ": ".join(part for part in (error.code, error.message) if part)
    return error_class_for_code(error.code, status)(
        status,
        [summary],
        request_id=error.request_id or header_id,
        method=method,
        path=path,
        headers=headers,
        code=error.code,
    )


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    return next((value for key, value in headers.items() if key.lower() == name), None)
