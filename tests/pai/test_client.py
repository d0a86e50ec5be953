"""PAIClient over loopback against FakePAI: signed requests, token pages, errors, retries."""

from __future__ import annotations

import traceback
from collections.abc import AsyncIterator
from contextlib import aclosing

import pytest

from modellab_async import (
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    PaginationError,
    RetryPolicy,
)
from modellab_async.pai import Credentials, PAIClient, Signer
from modellab_async.testing import FakePAI, Fault, TokenQuirks, TooManyRequests

pytestmark = pytest.mark.anyio

QUICK = RetryPolicy(retries=3, backoff=0.01, max_backoff=0.05)


def connect(fake: FakePAI, **options: object) -> PAIClient:
    credentials = fake.credentials
    options.setdefault("retries", QUICK)
    return PAIClient(
        credentials.access_key_id,
        credentials.access_key_secret,
        endpoint=fake.url,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakePAI]:
    async with FakePAI(runs=45, experiments=4, seed=3) as fake:
        yield fake


async def test_runs_are_listed_across_token_pages(fake: FakePAI) -> None:
    async with connect(fake) as pai:
        listing = pai.runs.list(page_size=7)
        pages = [page async for page in listing.pages()]
        everything = await pai.runs.list(page_size=100).collect()
    ids = [run.run_id for page in pages for run in page.items]
    assert ids == [run.run_id for run in everything]
    assert len(ids) == len(set(ids)) == pages[0].total
    assert len(pages) == -(-len(ids) // 7)
    assert {(r.action, r.status) for r in fake.requests} == {("ListRuns", 200)}


async def test_filters_and_details_go_out_as_documented(fake: FakePAI) -> None:
    run = fake.dataset.runs[0]
    async with connect(fake) as pai:
        found = await pai.runs.list(
            name=run.name, workspace_id=run.workspace_id, verbose=True, order_by="Name ASC"
        ).collect()
    assert run.run_id in [r.run_id for r in found]
    query = fake.requests[-1].query
    assert (query["Name"], query["Verbose"], query["OrderBy"]) == (run.name, "true", "Name ASC")
    assert all(r.params is not None for r in found)


async def test_get_metrics_and_experiments(fake: FakePAI) -> None:
    run = fake.dataset.runs[0]
    async with connect(fake) as pai:
        got = await pai.runs.get(run.run_id)
        assert got.run_id == run.run_id
        key = run.metrics[0].key
        metrics = await pai.runs.metrics(run.run_id, key, page_size=3).collect()
        assert metrics
        assert {m.key for m in metrics} == {key}
        pages = [page async for page in pai.experiments.list(page_size=1).pages()]
        assert sum(len(page.items) for page in pages) == pages[0].total == len(pages) > 1
        with pytest.raises(NotFoundError):
            await pai.runs.get("run-does-not-exist")


@pytest.mark.parametrize(
    ("quirks", "outcome"),
    [
        (TokenQuirks(first_token_zero=True), "one page"),
        (TokenQuirks(empty_page_at=3), "stops at the empty page"),
        (TokenQuirks(repeat_token_at=3), "refuses to loop"),
    ],
)
async def test_token_edge_cases(fake: FakePAI, quirks: TokenQuirks, outcome: str) -> None:
    fake.quirks = quirks
    async with connect(fake) as pai:
        listing = pai.runs.list(page_size=5)
        if outcome == "refuses to loop":
            with pytest.raises(PaginationError, match="again"):
                await listing.collect()
            return
        runs = await listing.collect()
    assert len(runs) == (5 if outcome == "one page" else 10)


async def test_a_wrong_secret_is_an_authentication_error_naming_the_code(fake: FakePAI) -> None:
    bad = Signer(Credentials(fake.credentials.access_key_id, "not-the-secret"))
    async with PAIClient(endpoint=fake.url, signer=bad, retries=0) as pai:
        with pytest.raises(AuthenticationError, match="SignatureDoesNotMatch") as caught:
            await pai.runs.list().collect()
    assert caught.value.code == "SignatureDoesNotMatch"
    text = "".join(traceback.format_exception(caught.value)) + repr(pai) + repr(bad)
    assert "not-the-secret" not in text


async def test_retries_are_signed_afresh(fake: FakePAI) -> None:
    async with connect(fake) as pai:
        expected = await pai.runs.list(page_size=10).collect()
        fake.faults.add(Fault(TooManyRequests(retry_after=0), route="ListRuns", times=2))
        runs = await pai.runs.list(page_size=10).collect()
        assert runs == expected
        assert pai.stats.retries == 2


async def test_a_listing_resumes_from_its_checkpoint(fake: FakePAI) -> None:
    async with connect(fake) as pai:
        everything = [run.run_id for run in await pai.runs.list(page_size=6).collect()]
        listing = pai.runs.list(page_size=6)
        done = []
        async with aclosing(aiter(listing)) as runs:
            async for run in runs:
                done.append(run.run_id)
                if len(done) == 17:
                    break
        rest = pai.runs.list(page_size=6, resume=listing.checkpoint)
        done += [run.run_id async for run in rest]
    assert done == everything


def test_credentials_and_region_come_from_arguments_or_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_ID", raising=False)
    with pytest.raises(ConfigurationError, match="ALIBABA_CLOUD_ACCESS_KEY_ID"):
        PAIClient(region="cn-hangzhou")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "id")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret")
    client = PAIClient(region="cn-hangzhou")
    assert str(client.base_url) == "https://aiworkspace.cn-hangzhou.aliyuncs.com"
    assert "secret" not in repr(client)
    with pytest.raises(ConfigurationError, match="region"):
        PAIClient()
    with pytest.raises(ConfigurationError, match="allow_insecure_http"):
        PAIClient(endpoint="http://pai.internal")


async def test_the_endpoint_variable_overrides_the_region_and_reaches_its_server(
    fake: FakePAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_PAI_ENDPOINT", fake.url)
    credentials = fake.credentials
    async with PAIClient(
        credentials.access_key_id, credentials.access_key_secret, region="cn-hangzhou"
    ) as pai:
        runs = await pai.runs.list(page_size=100).collect()
    assert runs
    assert {(r.action, r.status) for r in fake.requests} == {("ListRuns", 200)}


def test_an_endpoint_argument_wins_over_the_endpoint_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_PAI_ENDPOINT", "http://127.0.0.1:8127")
    assert str(PAIClient("id", "secret").base_url) == "http://127.0.0.1:8127"
    client = PAIClient("id", "secret", endpoint="https://pai-proxy.internal/pai")
    assert str(client.base_url) == "https://pai-proxy.internal/pai"
    monkeypatch.setenv("ALIBABA_CLOUD_PAI_ENDPOINT", "http://pai.internal")
    with pytest.raises(ConfigurationError, match="allow_insecure_http"):
        PAIClient("id", "secret", region="cn-hangzhou")
    monkeypatch.setenv("ALIBABA_CLOUD_PAI_ENDPOINT", "pai.internal")
    with pytest.raises(
        ConfigurationError, match=r"^ALIBABA_CLOUD_PAI_ENDPOINT must be an absolute"
    ):
        PAIClient("id", "secret")


@pytest.mark.parametrize(
    "region",
    ["cn-hangzhou", "ap-southeast-1", "cn-shanghai-finance-1", "us-east-1", "eu-central-1"],
)
def test_a_region_id_names_the_region_host(region: str) -> None:
    client = PAIClient("id", "secret", region=region)
    assert str(client.base_url) == f"https://aiworkspace.{region}.aliyuncs.com"


@pytest.mark.parametrize(
    "region",
    [
        "attacker.example/",
        "attacker.example#",
        "evil.com?x=",
        "user:pw@evil.com/",
        "cn-hangzhou.evil.com",
        "CN-Hangzhou",
        "cn_hangzhou",
        "-cn-hangzhou",
        "cn--hangzhou",
        "cn-hangzhou-",
        "cn-hangzhou\n",
        " cn-hangzhou",
    ],
)
def test_anything_but_a_region_id_is_refused(region: str) -> None:
    with pytest.raises(ConfigurationError, match="region must be a region id"):
        PAIClient("id", "secret", region=region)


#: Distinctive, so that finding one in a message cannot be a coincidence.
STEM = "c0ffee5ecret"


@pytest.mark.parametrize(
    ("given", "environ", "named"),
    [
        ({"access_key_id": STEM + "\r\n"}, {}, r"AccessKey id \(as given to PAIClient\)"),
        (
            {},
            {"ALIBABA_CLOUD_ACCESS_KEY_ID": STEM + "\n"},
            r"AccessKey id \(ALIBABA_CLOUD_ACCESS_KEY_ID\)",
        ),
        (
            {"access_key_secret": STEM + "\x00"},
            {},
            r"AccessKey secret \(as given to PAIClient\)",
        ),
        (
            {},
            {"ALIBABA_CLOUD_ACCESS_KEY_SECRET": STEM + "é"},
            r"AccessKey secret \(ALIBABA_CLOUD_ACCESS_KEY_SECRET\)",
        ),
        ({"security_token": STEM + " "}, {}, r"STS token \(as given to PAIClient\)"),
        (
            {},
            {"ALIBABA_CLOUD_SECURITY_TOKEN": STEM + "\n"},
            r"STS token \(ALIBABA_CLOUD_SECURITY_TOKEN\)",
        ),
    ],
)
def test_a_refused_credential_is_named_and_never_shown(
    monkeypatch: pytest.MonkeyPatch,
    given: dict[str, str],
    environ: dict[str, str],
    named: str,
) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "id")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret")
    monkeypatch.delenv("ALIBABA_CLOUD_SECURITY_TOKEN", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=f"^the Alibaba Cloud {named} contains") as caught:
        PAIClient(region="cn-hangzhou", **given)  # type: ignore[arg-type]  # credentials only
    assert STEM not in str(caught.value)
    assert STEM not in repr(caught.value)


def test_an_endpoint_with_a_password_is_refused_without_showing_it() -> None:
    with pytest.raises(ConfigurationError, match="endpoint must not contain a user") as caught:
        PAIClient("id", "secret", endpoint="https://user:hunter2@pai-proxy.internal")
    assert "hunter2" not in str(caught.value)


async def test_token_listings_cannot_change_their_model(fake: FakePAI) -> None:
    async with connect(fake) as pai:
        assert not hasattr(pai.runs.list(), "decode_into")  # PAI's pages are not generic
