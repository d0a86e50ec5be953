"""The fake checks every signature as Alibaba Cloud's gateway does, and answers PAI's error body."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from modellab_async.errors import APIError, AuthenticationError, NotFoundError
from modellab_async.pai._signing import Credentials, Signer
from modellab_async.pai.models import api_error
from modellab_async.testing._pai import MAX_CLOCK_SKEW, FakePAI

from .conftest import Answer, SignedSession

pytestmark = pytest.mark.anyio

RUNS = "/api/v1/runs"
NOW = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)


def assert_error(answer: Answer, status: int, code: str, error_class: type[APIError]) -> None:
    """Check the status, the PAI error body and the exception the client will raise."""
    assert answer.status == status
    body = answer.json()
    assert body["Code"] == code
    assert body["RequestId"] == answer.headers["x-acs-request-id"]
    assert body["Message"]
    assert body["HostId"]
    assert code in body["Recommend"]
    error = api_error(answer.status, answer.body, method="GET", path=RUNS)
    assert type(error) is error_class
    assert error.code == code
    assert code in str(error)
    assert body["RequestId"] in str(error)


def signed_as(pai: SignedSession, signer: Signer) -> SignedSession:
    return SignedSession(pai.session, pai.fake, signer)


async def test_a_signed_request_is_served_and_recorded(fake: FakePAI, pai: SignedSession) -> None:
    answer = await pai.get("ListRuns", RUNS, {"MaxResults": "5"})
    assert answer.status == 200
    assert answer.json()["requestId"] == answer.headers["x-acs-request-id"]
    [recorded] = fake.requests
    assert (recorded.action, recorded.access_key_id, recorded.status) == (
        "ListRuns",
        fake.credentials.access_key_id,
        200,
    )
    assert recorded.query == {"MaxResults": "5"}


@pytest.mark.parametrize(
    "value", ["模型 训练", "a b*c~d", "is_evaluation:true,LLM_evaluation:true", "100%+/=&?", ""]
)
async def test_values_needing_encoding_verify(pai: SignedSession, value: str) -> None:
    answer = await pai.get("ListRuns", RUNS, {"Name": value, "MaxResults": "1"})
    assert answer.status == 200, answer.body


async def test_a_wrong_secret_does_not_match_and_shows_the_string_to_sign(
    fake: FakePAI, pai: SignedSession
) -> None:
    wrong = signed_as(pai, Signer(Credentials(fake.credentials.access_key_id, "wrong-secret")))
    signed = wrong.sign("ListRuns", RUNS)
    answer = await wrong.send(RUNS, signed.query_string, signed.headers)
    assert_error(answer, 400, "SignatureDoesNotMatch", AuthenticationError)
    assert signed.string_to_sign in answer.json()["Message"]


async def test_a_query_changed_after_signing_does_not_match(pai: SignedSession) -> None:
    signed = pai.sign("ListRuns", RUNS, {"MaxResults": "10"})
    answer = await pai.send(RUNS, "MaxResults=11", signed.headers)
    assert_error(answer, 400, "SignatureDoesNotMatch", AuthenticationError)


async def test_an_unknown_access_key_is_not_found(pai: SignedSession) -> None:
    stranger = signed_as(pai, Signer(Credentials("someone-else", "secret")))
    answer = await stranger.get("ListRuns", RUNS)
    assert_error(answer, 404, "InvalidAccessKeyId.NotFound", AuthenticationError)


async def test_no_authorization_is_an_incomplete_signature(pai: SignedSession) -> None:
    signed = pai.sign("ListRuns", RUNS)
    headers = {k: v for k, v in signed.headers.items() if k != "Authorization"}
    answer = await pai.send(RUNS, signed.query_string, headers)
    assert_error(answer, 400, "IncompleteSignature", AuthenticationError)


async def test_an_unsigned_acs_header_is_an_incomplete_signature(pai: SignedSession) -> None:
    signed = pai.sign("ListRuns", RUNS)
    answer = await pai.send(RUNS, signed.query_string, {**signed.headers, "x-acs-extra": "1"})
    assert_error(answer, 400, "IncompleteSignature", AuthenticationError)


@pytest.fixture
async def clocked_fake() -> AsyncIterator[FakePAI]:
    async with FakePAI(runs=5, clock=lambda: NOW) as fake:
        yield fake


@pytest.mark.parametrize(
    ("skew", "status"),
    [
        (timedelta(0), 200),
        (MAX_CLOCK_SKEW, 200),
        (-MAX_CLOCK_SKEW, 200),
        (MAX_CLOCK_SKEW + timedelta(seconds=1), 400),
        (-MAX_CLOCK_SKEW - timedelta(seconds=1), 400),
    ],
)
async def test_a_date_more_than_15_minutes_off_has_expired(
    clocked_fake: FakePAI, skew: timedelta, status: int
) -> None:
    signer = Signer(clocked_fake.credentials, clock=lambda: NOW + skew)
    async with aiohttp.ClientSession() as session:
        answer = await SignedSession(session, clocked_fake, signer).get("ListRuns", RUNS)
    if status == 200:
        assert answer.status == 200
    else:
        assert_error(answer, 400, "InvalidTimeStamp.Expired", AuthenticationError)


async def test_a_reused_nonce_is_refused(fake: FakePAI, pai: SignedSession) -> None:
    replaying = signed_as(pai, Signer(fake.credentials, nonce=lambda: "always-the-same"))
    assert (await replaying.get("ListRuns", RUNS)).status == 200
    answer = await replaying.get("ListRuns", RUNS)
    assert_error(answer, 400, "SignatureNonceUsed", AuthenticationError)


async def test_temporary_credentials_must_send_their_token() -> None:
    async with (
        FakePAI(runs=5, security_token="sts-token") as fake,
        aiohttp.ClientSession() as session,
    ):
        with_token = SignedSession(session, fake, Signer(fake.credentials))
        assert (await with_token.get("ListRuns", RUNS)).status == 200
        bare = Credentials(fake.credentials.access_key_id, fake.credentials.access_key_secret)
        answer = await SignedSession(session, fake, Signer(bare)).get("ListRuns", RUNS)
    assert_error(answer, 400, "InvalidSecurityToken.MismatchWithAccessKey", AuthenticationError)


async def test_the_action_header_must_name_the_route(pai: SignedSession) -> None:
    answer = await pai.get("GetRun", RUNS)
    assert answer.status == 404
    assert answer.json()["Code"] == "InvalidAction.NotFound"


async def test_the_version_must_be_aiworkspace_2021_02_04(
    fake: FakePAI, pai: SignedSession
) -> None:
    answer = await signed_as(pai, Signer(fake.credentials, version="2020-01-01")).get(
        "ListRuns", RUNS
    )
    assert answer.status == 400
    assert answer.json()["Code"] == "InvalidVersion"


async def test_an_unknown_path_is_not_found_before_any_signature_check(
    pai: SignedSession,
) -> None:
    answer = await pai.send("/api/v1/nothing", "", {})
    assert answer.status == 404
    assert answer.json()["Code"] == "InvalidApi.NotFound"
    assert type(api_error(answer.status, answer.body)) is NotFoundError
