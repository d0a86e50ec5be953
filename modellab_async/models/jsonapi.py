"""Generic JSON:API envelopes shared by every Model Lab response."""

from __future__ import annotations

from typing import Any, Generic, TypeVar, cast

import msgspec

from ..errors import ErrorObject, ErrorSource

__all__ = [
    "Document",
    "ErrorDocument",
    "ErrorObject",
    "ErrorSource",
    "Links",
    "Model",
    "Page",
    "PageInfo",
    "PageMeta",
]


class Model(msgspec.Struct, kw_only=True, gc=False):
    """Base of every wire model: keyword-built and not tracked by the garbage collector.

    The models form trees, never cycles, so opting out of garbage-collector
    tracking is safe and makes decoding large pages markedly faster.
    Unknown fields are ignored, so new fields on the service do not break decoding.
    """

    def to_dict(self) -> dict[str, Any]:
        """Return this model as JSON-ready builtins, with the wire's field names.

        Nested models become dicts, datetimes ISO 8601 strings, and absent
        optional fields `None`; decoding `to_json()` gives an equal model back.
        """
        return cast("dict[str, Any]", msgspec.to_builtins(self))

    def to_json(self) -> bytes:
        """Encode this model as the JSON of `to_dict`, in UTF-8."""
        return msgspec.json.encode(self)


T = TypeVar("T")


class Links(Model):
    """Pagination links of a list response; any of them may be absent."""

    self: str | None = None
    first: str | None = None
    prev: str | None = None
    next: str | None = None
    last: str | None = None


class PageInfo(Model):
    """`meta.page` of a list response.

    `number`, `size` and `total` are always present. The other numbers are
    optional: the client does not assume pages count from 0 or from 1.
    """

    number: int
    size: int
    total: int
    first_number: int | None = None
    last_number: int | None = None
    next_number: int | None = None
    prev_number: int | None = None
    type: str | None = None


class PageMeta(Model):
    """`meta` of a list response."""

    page: PageInfo


class Page(Model, Generic[T]):
    """One page of a listing: its items, `meta.page` and `links`.

    Example:
        >>> async for page in client.runs.list(project_id=7).pages():
        ...     print(page.meta.page.number, len(page.items))
    """

    data: list[T]
    meta: PageMeta
    links: Links | None = None

    @property
    def items(self) -> list[T]:
        """The resources on this page, in the server's order."""
        return self.data

    @property
    def total(self) -> int:
        """How many items the whole listing holds (`meta.page.total`)."""
        return self.meta.page.total

    def with_items(self, items: list[T]) -> Page[T]:
        """Return a copy of this page holding `items` instead of its own."""
        return msgspec.structs.replace(self, data=items)


class Document(Model, Generic[T]):
    """A single-resource response: `{"data": ...}`."""

    data: T


class ErrorDocument(Model):
    """An error body: JSON:API objects, or plain strings as sent with 429 answers."""

    errors: list[ErrorObject | str]
