"""Check ACS3-HMAC-SHA256 signatures as Alibaba Cloud's gateway does, with the client's own functions.

The checks recompute the signature from what was received: method, path,
query, the headers `Authorization` names, and the body. Failures raise
`PAIError` with the gateway's documented codes.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ...pai._signing import (
    DATE_FORMAT,
    Credentials,
    canonical_query,
    canonical_request,
    hashed_payload,
    parse_authorization,
    signature,
    string_to_sign,
)
from ._errors import PAIError

#: How far `x-acs-date` may be from the server's clock, as the gateway documents.
MAX_CLOCK_SKEW = timedelta(minutes=15)
REQUIRED_HEADERS = (
    "host",
    "x-acs-action",
    "x-acs-version",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-content-sha256",
)


@dataclass(frozen=True)
class ReceivedRequest:
    """What the server received, as far as the signature covers it.

    `headers` must look names up case-insensitively (as aiohttp's do).
    """

    method: str
    path: str
    query: Sequence[tuple[str, str]]
    headers: Mapping[str, str]
    body: bytes


def _incomplete(detail: str) -> PAIError:
    return PAIError(
        400,
        "IncompleteSignature",
        f"The request signature does not conform to Aliyun standards: {detail}.",
    )


def verify_signature(
    received: ReceivedRequest, accounts: Mapping[str, Credentials], now: datetime
) -> Credentials:
    """Check the request's signature and date; return the credentials it was signed with.

    Raises:
        PAIError: IncompleteSignature, InvalidAccessKeyId.NotFound,
            InvalidTimeStamp.Format / .Expired, InvalidSecurityToken.MismatchWithAccessKey
            or SignatureDoesNotMatch.
    """
    headers = received.headers
    try:
        authorization = parse_authorization(headers.get("Authorization", ""))
    except ValueError as exc:
        raise _incomplete("no valid Authorization header") from exc
    credentials = accounts.get(authorization.access_key_id)
    if credentials is None:
        raise PAIError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
    signed = set(authorization.signed_headers)
    present = {name.lower() for name in headers}
    missing = [name for name in REQUIRED_HEADERS if name not in present]
    if missing:
        raise _incomplete(f"missing header {missing[0]}")
    must_sign = {n for n in present if n in ("host", "content-type") or n.startswith("x-acs-")}
    if not must_sign <= signed or not signed <= present:
        raise _incomplete(
            "SignedHeaders must name exactly the host, content-type and x-acs-* headers"
        )
    _check_date(headers["x-acs-date"], now)
    if headers.get("x-acs-security-token") != credentials.security_token:
        raise PAIError(
            400,
            "InvalidSecurityToken.MismatchWithAccessKey",
            "Specified SecurityToken mismatch with the AccessKey.",
        )
    canonical = canonical_request(
        received.method,
        received.path,
        canonical_query(received.query),
        {name: headers[name] for name in signed},
        hashed_payload(received.body),
    )
    to_sign = string_to_sign(canonical)
    expected = signature(credentials.access_key_secret, to_sign)
    if not hmac.compare_digest(expected, authorization.signature):
        raise PAIError(
            400,
            "SignatureDoesNotMatch",
            "Specified signature is not matched with our calculation. "
            f"server string to sign is:{to_sign}",
        )
    return credentials


def _check_date(text: str, now: datetime) -> None:
    try:
        signed_at = datetime.strptime(text, DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError as exc:
        raise PAIError(
            400,
            "InvalidTimeStamp.Format",
            "Specified time stamp or date value is not well formatted.",
        ) from exc
    if abs(now - signed_at) > MAX_CLOCK_SKEW:
        raise PAIError(
            400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."
        )


class NonceBook:
    """Remember the nonces seen, to refuse a replayed request as the gateway does."""

    def __init__(self) -> None:
        self._seen: set[tuple[str, str]] = set()

    def use(self, access_key_id: str, nonce: str) -> None:
        """Record a nonce.

        Raises:
            PAIError: SignatureNonceUsed, when the nonce was used before.
        """
        if (access_key_id, nonce) in self._seen:
            raise PAIError(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
        self._seen.add((access_key_id, nonce))
