"""The V3 signature: Alibaba Cloud's documented example, then encoding and header edge cases."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modellab_async import ConfigurationError
from modellab_async.pai._signing import (
    Credentials,
    SignedRequest,
    Signer,
    canonical_headers,
    canonical_query,
    canonical_uri,
    format_date,
    parse_authorization,
    percent_encode,
    sign,
)

# The fixed values of the signature example in Alibaba Cloud's "V3 request
# structure and signature" guide: a POST RunInstances with two query parameters.
DOC_CREDENTIALS = Credentials("YourAccessKeyId", "YourAccessKeySecret")
DOC_QUERY = {
    "ImageId": "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
    "RegionId": "cn-shanghai",
}
DOC_CANONICAL_REQUEST = """POST
/
ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai
host:ecs.cn-shanghai.aliyuncs.com
x-acs-action:RunInstances
x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
x-acs-date:2023-10-26T10:22:32Z
x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d
x-acs-version:2014-05-26

host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"""
DOC_STRING_TO_SIGN = (
    "ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
)
DOC_AUTHORIZATION = (
    "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,"
    "SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;"
    "x-acs-signature-nonce;x-acs-version,"
    "Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
)


def sign_doc_example(**changes: Any) -> SignedRequest:
    """Sign the documented example, with some of its values changed."""
    arguments: dict[str, Any] = {
        "method": "POST",
        "host": "ecs.cn-shanghai.aliyuncs.com",
        "path": "/",
        "action": "RunInstances",
        "version": "2014-05-26",
        "credentials": DOC_CREDENTIALS,
        "now": datetime(2023, 10, 26, 10, 22, 32, tzinfo=UTC),
        "nonce": "3156853299f313e23d1673dc12e1703d",
        "query": DOC_QUERY,
    }
    return sign(**(arguments | changes))


def test_the_documented_example_signs_as_documented() -> None:
    signed = sign_doc_example()
    assert signed.canonical_request == DOC_CANONICAL_REQUEST
    assert signed.string_to_sign == DOC_STRING_TO_SIGN
    assert signed.headers["Authorization"] == DOC_AUTHORIZATION
    assert signed.query_string == DOC_CANONICAL_REQUEST.splitlines()[2]
    assert signed.headers["x-acs-date"] == "2023-10-26T10:22:32Z"


def test_the_query_order_given_does_not_matter() -> None:
    signed = sign_doc_example(query=list(reversed(DOC_QUERY.items())))
    assert signed.headers["Authorization"] == DOC_AUTHORIZATION


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        ("AZaz09-_.~", "AZaz09-_.~"),  # unreserved: kept
        ("a b", "a%20b"),  # space: %20, never +
        ("a+b", "a%2Bb"),
        ("*", "%2A"),
        ("~", "~"),
        ("a/b", "a%2Fb"),  # a slash inside a value is encoded
        ("k:v,k2:v2", "k%3Av%2Ck2%3Av2"),
        ("é", "%C3%A9"),  # UTF-8, upper-case hex
        ("模型", "%E6%A8%A1%E5%9E%8B"),
        ("😀", "%F0%9F%98%80"),
        ("%", "%25"),
        ("", ""),
    ],
)
def test_percent_encoding_follows_rfc_3986(text: str, encoded: str) -> None:
    assert percent_encode(text) == encoded


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ""),
        ({"b": "2", "a": "1"}, "a=1&b=2"),
        ([("Name", "")], "Name="),  # an empty value keeps its "="
        ([("k", "2"), ("k", "1"), ("j", "x")], "j=x&k=1&k=2"),  # repeats: every value, sorted
        ([("B", "1"), ("a", "1")], "B=1&a=1"),  # by code point: upper case first
        ([("Labels", "is eval:true")], "Labels=is%20eval%3Atrue"),
        ([("name", "模型 ~*")], "name=%E6%A8%A1%E5%9E%8B%20~%2A"),
    ],
)
def test_canonical_query(params: dict[str, str] | list[tuple[str, str]], expected: str) -> None:
    assert canonical_query(params) == expected


# Any text but lone surrogates, which UTF-8 cannot encode.
_TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]))


@given(st.lists(st.tuples(_TEXT.filter(bool), _TEXT)))
def test_canonical_query_decodes_back_to_the_sorted_pairs(pairs: list[tuple[str, str]]) -> None:
    decoded = parse_qsl(canonical_query(pairs), keep_blank_values=True)
    assert decoded == sorted(pairs)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/runs", "/api/v1/runs"),
        ("/api/v1/runs/run-1~a_b.c", "/api/v1/runs/run-1~a_b.c"),
        ("/api/v1/runs/a b*", "/api/v1/runs/a%20b%2A"),
        ("", "/"),
    ],
)
def test_canonical_uri_encodes_each_segment(path: str, expected: str) -> None:
    assert canonical_uri(path) == expected


def test_only_host_content_type_and_acs_headers_are_signed_trimmed_and_sorted() -> None:
    entries, names = canonical_headers(
        {
            "X-Acs-Version": " 2021-02-04 ",
            "Host": "example.com",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": "modellab-async",
            "x-acs-action": "ListRuns",
        }
    )
    assert names == "content-type;host;x-acs-action;x-acs-version"
    assert entries == (
        "content-type:application/json\nhost:example.com\n"
        "x-acs-action:ListRuns\nx-acs-version:2021-02-04\n"
    )


def test_a_security_token_is_sent_and_signed() -> None:
    credentials = Credentials("id", "secret", security_token="sts-token")
    signed = sign_doc_example(credentials=credentials)
    assert signed.headers["x-acs-security-token"] == "sts-token"
    assert "x-acs-security-token:sts-token\n" in signed.canonical_request
    assert ";x-acs-security-token;" in signed.headers["Authorization"]


def test_a_body_is_hashed_and_a_content_type_signed() -> None:
    signed = sign_doc_example(body=b'{"a":1}', headers={"Content-Type": "application/json"})
    assert signed.headers["x-acs-content-sha256"] == (
        "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862"
    )
    assert parse_authorization(signed.headers["Authorization"]).signed_headers[0] == "content-type"


def test_headers_the_signer_sets_are_refused() -> None:
    with pytest.raises(ValueError, match="sets these headers itself: X-Acs-Date"):
        sign_doc_example(headers={"X-Acs-Date": "2020-01-01T00:00:00Z"})


def test_the_date_is_utc_to_the_second_and_must_be_aware() -> None:
    beijing = timezone(timedelta(hours=8))
    assert format_date(datetime(2023, 10, 26, 18, 22, 32, 999, tzinfo=beijing)) == (
        "2023-10-26T10:22:32Z"
    )
    with pytest.raises(ValueError, match="timezone-aware"):
        format_date(datetime(2023, 10, 26, 10, 22, 32))


def test_secrets_never_show_in_a_repr() -> None:
    credentials = Credentials("key-id", "the-secret", security_token="the-token")
    signer = Signer(credentials)
    signed = signer.sign("GET", "example.com", "/api/v1/runs", action="ListRuns")
    for text in (repr(credentials), repr(signer), repr(signed)):
        assert "the-secret" not in text
        assert "the-token" not in text
    assert "key-id" in repr(credentials)


def test_credentials_need_an_id_and_a_secret() -> None:
    with pytest.raises(ConfigurationError, match="both needed"):
        Credentials("id", "")


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        (("LTAIkeyid7f3\n", "secret91b", None), "the AccessKey id"),
        (("LTAIkeyid7f3", "secret91b\r\n", None), "the AccessKey secret"),
        (("LTAIkeyid7f3", "secret91b", "token0c4\x00"), "the STS token"),
        (("LTAIkeyid7f3", "secret91b", "token0c4é"), "the STS token"),
    ],
)
def test_credentials_refuse_what_cannot_be_sent_naming_which_one(
    fields: tuple[str, str, str | None], named: str
) -> None:
    with pytest.raises(ConfigurationError, match=f"^{named} contains") as caught:
        Credentials(*fields)
    message = str(caught.value)
    assert not any(part in message for part in ("LTAIkeyid7f3", "secret91b", "token0c4"))


def test_the_signer_reads_its_clock_and_draws_a_fresh_nonce_per_request() -> None:
    nonces = (f"nonce-{n}" for n in itertools.count())
    moment = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)
    signer = Signer(DOC_CREDENTIALS, clock=lambda: moment, nonce=lambda: next(nonces))
    first, second = (signer.sign("GET", "h", "/", action="ListRuns") for _ in range(2))
    assert first.headers["x-acs-signature-nonce"] == "nonce-0"
    assert second.headers["x-acs-signature-nonce"] == "nonce-1"
    assert first.headers["x-acs-date"] == "2026-05-20T12:00:00Z"
    assert first.headers["x-acs-version"] == "2021-02-04"
    assert first.headers["Authorization"] != second.headers["Authorization"]


def test_the_default_nonces_differ() -> None:
    signer = Signer(DOC_CREDENTIALS)
    nonces = {
        signer.sign("GET", "h", "/", action="A").headers["x-acs-signature-nonce"] for _ in "ab"
    }
    assert len(nonces) == 2


def test_parse_authorization_reads_back_what_sign_wrote() -> None:
    parsed = parse_authorization(DOC_AUTHORIZATION)
    assert parsed.access_key_id == "YourAccessKeyId"
    assert parsed.signed_headers[0] == "host"
    assert parsed.signature.startswith("06563a9e")


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer abc",
        "ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host",
        "ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host,Signature=XYZ",
    ],
)
def test_parse_authorization_refuses_other_schemes(header: str) -> None:
    with pytest.raises(ValueError, match="ACS3-HMAC-SHA256"):
        parse_authorization(header)
