"""Building URLs and judging responses, without a server."""

from __future__ import annotations

import msgspec
import pytest
from yarl import URL

from modellab_async import (
    APIError,
    DecodeError,
    NotFoundError,
    RateLimitError,
    ServerError,
    UnsafeRedirectError,
)
from modellab_async._core._protocol import (
    Request,
    Response,
    decode,
    redirect_target,
    request_url,
)
from modellab_async.errors import error_class_for
from modellab_async.models import Document, Run
from modellab_async.resources._dialect import error_from_response

REQUEST = Request("GET", "api/v2/model-lab-api/runs/1")


def test_urls_join_origin_prefix_root_and_query() -> None:
    request = Request(
        "GET", "api/v2/model-lab-api/runs", (("filter[tags]", "model:opus"), ("page[size]", "100"))
    )
    url = request_url(URL("https://proxy.example/dd"), request)
    assert url.path == "/dd/api/v2/model-lab-api/runs"
    assert url.query["filter[tags]"] == "model:opus"
    assert request_url(URL("https://api.datadoghq.com"), REQUEST) == URL(
        "https://api.datadoghq.com/api/v2/model-lab-api/runs/1"
    )


def test_describe_never_includes_the_query() -> None:
    assert (
        Request("GET", "api/v2/model-lab-api/runs", (("filter", "secret"),)).describe()
        == "GET /api/v2/model-lab-api/runs"
    )


def test_429_string_errors() -> None:
    error = error_from_response(
        REQUEST, Response(429, {"X-RateLimit-Reset": "7"}, b'{"errors":["Too many requests"]}')
    )
    assert isinstance(error, RateLimitError)
    assert error.errors == ["Too many requests"]
    assert error.headers["X-RateLimit-Reset"] == "7"
    assert "RateLimitError(status=429" in repr(error)


def test_the_recorded_404_body() -> None:
    body = b'{"errors":[{"title":"Generic Error","detail":"run not found"}]}'
    error = error_from_response(REQUEST, Response(404, {}, body))
    assert isinstance(error, NotFoundError)
    assert (
        str(error) == "HTTP 404 for GET /api/v2/model-lab-api/runs/1: Generic Error - run not found"
    )


@pytest.mark.parametrize("body", [b"", b"<html>oops</html>", b'{"errors": 5}', b"\xff\xfe\xfd"])
def test_non_json_error_bodies_keep_an_excerpt(body: bytes) -> None:
    error = error_from_response(REQUEST, Response(502, {}, body))
    assert isinstance(error, ServerError)
    assert error.errors == []
    assert len(error.body_excerpt) <= 200


def test_error_classes() -> None:
    assert error_class_for(599) is ServerError
    assert error_class_for(409) is APIError


def test_an_error_object_with_nothing_in_it() -> None:
    assert str(error_from_response(REQUEST, Response(400, {}, b'{"errors":[{}]}'))).endswith(
        ": error"
    )


def test_decode_wraps_msgspec_errors() -> None:
    decoder = msgspec.json.Decoder(Document[Run])
    with pytest.raises(
        DecodeError, match=r"GET /api/v2/model-lab-api/runs/1: malformed response body"
    ):
        decode(decoder, b"{", REQUEST)


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("/api/v2/model-lab-api/runs/2", "https://api.datadoghq.com/api/v2/model-lab-api/runs/2"),
        ("runs/3", "https://api.datadoghq.com/api/v2/model-lab-api/runs/runs/3"),
        ("https://api.datadoghq.com/x", "https://api.datadoghq.com/x"),
    ],
)
def test_same_origin_redirects(location: str, expected: str) -> None:
    current = URL("https://api.datadoghq.com/api/v2/model-lab-api/runs/1")
    assert redirect_target(current, location, URL("https://api.datadoghq.com")) == URL(expected)


@pytest.mark.parametrize(
    "location",
    [
        "https://evil.example/x",
        "http://api.datadoghq.com/x",
        "https://api.datadoghq.com:8443/x",
        "//evil.example/x",
        None,
        "",
    ],
)
def test_other_origins_are_refused(location: str | None) -> None:
    current = URL("https://api.datadoghq.com/api/v2/model-lab-api/runs/1")
    with pytest.raises(UnsafeRedirectError):
        redirect_target(current, location, URL("https://api.datadoghq.com"))
