"""Sign Alibaba Cloud API requests with the V3 signature (ACS3-HMAC-SHA256); perform no I/O.

The steps follow Alibaba Cloud's "V3 request structure and signature" guide:

1. canonical request: method, encoded path, sorted query, the signed headers
   (host, content-type and every x-acs-* header, lower-cased and trimmed), the
   list of their names, and the hex SHA-256 of the body;
2. string to sign: ``ACS3-HMAC-SHA256`` and the hex SHA-256 of the canonical request;
3. signature: hex HMAC-SHA256 of the string to sign, keyed with the AccessKey secret;
4. ``Authorization: ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<names>,Signature=<hex>``.

Each step is a pure function, so the fake PAI server verifies requests with the
very functions that sign them. `sign` runs all four; `Signer` adds a clock and a
nonce source. No repr or message here ever contains the secret or the token.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote

from .._core._config import check_key
from ..errors import ConfigurationError

__all__ = [
    "AIWORKSPACE_VERSION",
    "ALGORITHM",
    "DATE_FORMAT",
    "Authorization",
    "Credentials",
    "QueryParams",
    "SignedRequest",
    "Signer",
    "canonical_headers",
    "canonical_query",
    "canonical_request",
    "canonical_uri",
    "format_date",
    "hashed_payload",
    "parse_authorization",
    "percent_encode",
    "sign",
    "signature",
    "string_to_sign",
]

ALGORITHM = "ACS3-HMAC-SHA256"
#: The API version of PAI's AIWorkspace service (runs, experiments, metrics).
AIWORKSPACE_VERSION = "2021-02-04"
#: `x-acs-date`: ISO 8601 in UTC, to the second.
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

#: Headers the signer sets itself; callers may not pass them in `headers`.
_SIGNER_HEADERS = frozenset(
    {
        "authorization",
        "host",
        "x-acs-action",
        "x-acs-content-sha256",
        "x-acs-date",
        "x-acs-security-token",
        "x-acs-signature-nonce",
        "x-acs-version",
    }
)
_AUTHORIZATION = re.compile(
    rf"{ALGORITHM} Credential=(?P<key>[^,\s]+),"
    r"SignedHeaders=(?P<headers>[^,\s]+),Signature=(?P<signature>[0-9a-f]{64})"
)

#: Query parameters as (name, value) pairs, in any order; names may repeat.
QueryParams = Iterable[tuple[str, str]] | Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Credentials:
    """An AccessKey pair, and the security token of temporary (STS) credentials.

    Only the AccessKey id shows in `repr`. Each must be printable ASCII without
    spaces (`ConfigurationError` otherwise, naming which one, never its value).
    """

    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.access_key_id or not self.access_key_secret:
            raise ConfigurationError("an AccessKey id and secret are both needed")
        check_key(self.access_key_id, "the AccessKey id")
        check_key(self.access_key_secret, "the AccessKey secret")
        if self.security_token is not None:
            check_key(self.security_token, "the STS token")


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What to send: the query string (after `?`, byte for byte) and every header to add.

    `canonical_request` and `string_to_sign` are kept to debug a signature the
    service refuses; neither holds a secret.
    """

    query_string: str
    headers: dict[str, str] = field(repr=False)  # may hold the security token
    canonical_request: str = field(repr=False)
    string_to_sign: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Authorization:
    """The parts of an `Authorization` header."""

    access_key_id: str
    signed_headers: tuple[str, ...]
    signature: str


def percent_encode(text: str) -> str:
    """Encode UTF-8 `text` per RFC 3986: only ``A-Z a-z 0-9 - _ . ~`` stay as they are."""
    return quote(text, safe="-_.~")


def canonical_uri(path: str) -> str:
    """Encode each segment of a decoded path, keeping the slashes between them."""
    return "/".join(percent_encode(segment) for segment in (path or "/").split("/"))


def canonical_query(params: QueryParams) -> str:
    """Return the query string that is both signed and sent: sorted, RFC 3986-encoded.

    Pairs are sorted by name, then value, by code point; a repeated name keeps
    every value; an empty value gives ``name=``.
    """
    pairs = params.items() if isinstance(params, Mapping) else params
    return "&".join(
        f"{percent_encode(name)}={percent_encode(value)}" for name, value in sorted(pairs)
    )


def _is_signed(name: str) -> bool:
    return name in ("host", "content-type") or name.startswith("x-acs-")


def canonical_headers(headers: Mapping[str, str]) -> tuple[str, str]:
    """Return the canonical headers and the signed header names, from all of `headers`.

    Only host, content-type and x-acs-* headers are signed (case-insensitively);
    values are trimmed.
    """
    signed = sorted(
        (name.lower(), value.strip()) for name, value in headers.items() if _is_signed(name.lower())
    )
    entries = "".join(f"{name}:{value}\n" for name, value in signed)
    return entries, ";".join(name for name, _ in signed)


def hashed_payload(body: bytes) -> str:
    """Return the hex SHA-256 of a request body (of b"" when there is none)."""
    return hashlib.sha256(body).hexdigest()


def canonical_request(
    method: str, path: str, query: str, headers: Mapping[str, str], payload_hash: str
) -> str:
    """Assemble the canonical request from a canonical `query` and the headers to sign."""
    entries, names = canonical_headers(headers)
    return "\n".join((method.upper(), canonical_uri(path), query, entries, names, payload_hash))


def string_to_sign(canonical: str) -> str:
    """Return the algorithm name and the hex SHA-256 of the canonical request."""
    return f"{ALGORITHM}\n{hashlib.sha256(canonical.encode()).hexdigest()}"


def signature(secret: str, to_sign: str) -> str:
    """Return the hex HMAC-SHA256 of `to_sign` keyed with the AccessKey secret."""
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


def format_date(now: datetime) -> str:
    """Format an aware datetime as an `x-acs-date` value (UTC, to the second)."""
    if now.tzinfo is None:
        raise ValueError("the signing time must be timezone-aware")
    return now.astimezone(UTC).strftime(DATE_FORMAT)


def parse_authorization(value: str) -> Authorization:
    """Split an `Authorization` header into its parts.

    Raises:
        ValueError: the header is not an ACS3-HMAC-SHA256 authorization.
    """
    match = _AUTHORIZATION.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"not an {ALGORITHM} authorization")
    names = tuple(match["headers"].split(";"))
    return Authorization(match["key"], names, match["signature"])


def sign(
    *,
    method: str,
    host: str,
    path: str,
    action: str,
    version: str,
    credentials: Credentials,
    now: datetime,
    nonce: str,
    query: QueryParams = (),
    headers: Mapping[str, str] | None = None,
    body: bytes = b"",
) -> SignedRequest:
    """Sign one request and return its query string and headers.

    Args:
        method: the HTTP method.
        host: the `Host` header as sent: the host name, with ``:port`` when the port
            is not the scheme's default.
        path: the decoded path, e.g. "/api/v1/runs"; its encoding is what is sent.
        action: the API operation, e.g. "ListRuns".
        version: the API version, e.g. "2021-02-04".
        credentials: the AccessKey pair (and security token) to sign with.
        now: the signing time, timezone-aware.
        nonce: a value never used before with these credentials.
        query: the query parameters; send exactly `SignedRequest.query_string`.
        headers: extra headers to send and sign if they are signable (content-type,
            x-acs-*); the ones the signer sets are refused.
        body: the request body, b"" for a GET.

    Raises:
        ValueError: `headers` holds a header the signer sets, or `now` is naive.
    """
    extra = dict(headers or {})
    clashing = sorted(name for name in extra if name.lower() in _SIGNER_HEADERS)
    if clashing:
        raise ValueError(f"the signer sets these headers itself: {', '.join(clashing)}")
    signed_headers = {
        **extra,
        "host": host,
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": format_date(now),
        "x-acs-signature-nonce": nonce,
        "x-acs-content-sha256": hashed_payload(body),
    }
    if credentials.security_token:
        signed_headers["x-acs-security-token"] = credentials.security_token
    query_string = canonical_query(query)
    canonical = canonical_request(
        method, path, query_string, signed_headers, signed_headers["x-acs-content-sha256"]
    )
    to_sign = string_to_sign(canonical)
    _, names = canonical_headers(signed_headers)
    signed_headers["Authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key_id},SignedHeaders={names},"
        f"Signature={signature(credentials.access_key_secret, to_sign)}"
    )
    return SignedRequest(query_string, signed_headers, canonical, to_sign)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _random_nonce() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True, slots=True)
class Signer:
    """Sign requests for one service version with one set of credentials.

    The clock and the nonce source are injectable, for tests; by default every
    request gets the current time and 128 fresh random bits.

    Example:
        >>> signer = Signer(Credentials("LTAI...", secret))
        >>> host = "aiworkspace.cn-hangzhou.aliyuncs.com"
        >>> signed = signer.sign("GET", host, "/api/v1/runs", action="ListRuns",
        ...                      query={"MaxResults": "50"})
        >>> url = f"https://{host}/api/v1/runs?{signed.query_string}"  # send signed.headers
    """

    credentials: Credentials
    version: str = AIWORKSPACE_VERSION
    clock: Callable[[], datetime] = field(default=_utc_now, repr=False)
    nonce: Callable[[], str] = field(default=_random_nonce, repr=False)

    def sign(
        self,
        method: str,
        host: str,
        path: str,
        *,
        action: str,
        query: QueryParams = (),
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> SignedRequest:
        """Sign one request now, with a fresh nonce (see `sign` for the arguments)."""
        return sign(
            method=method,
            host=host,
            path=path,
            action=action,
            version=self.version,
            credentials=self.credentials,
            now=self.clock(),
            nonce=self.nonce(),
            query=query,
            headers=headers,
            body=body,
        )
