"""Proxies for real, over loopback: HTTPS_PROXY by default, proxy= over it, NO_PROXY around it."""

from __future__ import annotations

import logging
import ssl

import aiohttp
import pytest

from modellab_async import ConfigurationError, ModelLabClient, TransportError
from modellab_async.pai import PAIClient
from modellab_async.testing import FakeModelLab, FakePAI, MockTransport
from tests.resilience.test_security import rendered_with_locals

from .conftest import connect
from .proxy import LoopbackProxy

pytestmark = pytest.mark.anyio

API = "/api/v2/model-lab-api"
#: A port nothing listens on: a proxy named here cannot be the one that answered.
NOWHERE = "http://127.0.0.1:9"


async def list_and_get(client: ModelLabClient) -> None:
    """Three pages of runs and one run, so that several requests go out."""
    async with client:
        runs = await client.runs.list(page_size=100).collect()
        assert len(runs) > 200
        await client.runs.get(int(runs[0].id))


def secrets_of(fake: FakeModelLab) -> list[bytes]:
    return [fake.api_key.encode(), fake.app_key.encode()]


async def test_https_goes_through_the_environment_proxy_with_the_keys_inside_tls(
    monkeypatch: pytest.MonkeyPatch,
    proxy: LoopbackProxy,
    tls_fake: FakeModelLab,
    client_tls: ssl.SSLContext,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    caplog.set_level(logging.DEBUG)
    await list_and_get(connect(tls_fake, ssl=client_tls))

    # The keys reached the server (it answers 403 without them), and every request did.
    assert [r.status for r in tls_fake.requests] == [200] * 4
    port = tls_fake.url.rsplit(":", 1)[1]
    assert proxy.request_lines != []
    assert set(proxy.request_lines) == {f"CONNECT 127.0.0.1:{port} HTTP/1.1".encode()}
    for secret in [*secrets_of(tls_fake), API.encode()]:
        assert secret not in proxy.everything_seen
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert tls_fake.api_key not in logged
    assert tls_fake.app_key not in logged


async def test_plain_http_goes_through_the_environment_proxy_which_sees_the_request(
    monkeypatch: pytest.MonkeyPatch, proxy: LoopbackProxy, plain_fake: FakeModelLab
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("HTTPS_PROXY", NOWHERE)  # only the scheme's own variable counts
    await list_and_get(connect(plain_fake))

    assert [r.status for r in plain_fake.requests] == [200] * 4
    assert proxy.request_lines[0].startswith(f"GET {plain_fake.url}{API}/runs?".encode())
    # Which is why plain http is refused for any host but loopback.
    assert plain_fake.api_key.encode() in proxy.everything_seen


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "localhost,127.0.0.1", "*"])
async def test_no_proxy_sends_directly(
    monkeypatch: pytest.MonkeyPatch,
    no_proxy: str,
    proxy: LoopbackProxy,
    tls_fake: FakeModelLab,
    client_tls: ssl.SSLContext,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", no_proxy)
    await list_and_get(connect(tls_fake, ssl=client_tls))
    assert len(tls_fake.requests) == 4
    assert proxy.heads == []


async def test_proxy_given_wins_over_the_environment(
    monkeypatch: pytest.MonkeyPatch,
    proxy: LoopbackProxy,
    tls_fake: FakeModelLab,
    client_tls: ssl.SSLContext,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", NOWHERE)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    await list_and_get(connect(tls_fake, ssl=client_tls, proxy=proxy.url, retries=0))
    assert len(tls_fake.requests) == 4
    assert len(proxy.heads) >= 1


async def test_pai_client_takes_the_same_proxy_argument(proxy: LoopbackProxy) -> None:
    async with FakePAI(runs=30) as fake:
        origin = fake.url
        credentials = fake.credentials
        async with PAIClient(
            credentials.access_key_id,
            credentials.access_key_secret,
            endpoint=fake.url,
            proxy=proxy.url,
        ) as pai:
            runs = await pai.runs.list(page_size=10).collect()
    assert runs != []
    assert {r.status for r in fake.requests} == {200}  # signed and accepted
    assert proxy.request_lines[0].startswith(f"GET {origin}/".encode())
    assert credentials.access_key_secret.encode() not in proxy.everything_seen


async def test_a_session_passed_in_keeps_its_own_proxy_settings(
    monkeypatch: pytest.MonkeyPatch, proxy: LoopbackProxy, plain_fake: FakeModelLab
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    async with aiohttp.ClientSession() as session:  # trust_env=False: no proxy
        await list_and_get(connect(plain_fake, session=session))
    assert proxy.heads == []
    async with aiohttp.ClientSession(trust_env=True) as session:
        await list_and_get(connect(plain_fake, session=session))
    assert len(proxy.heads) >= 1


async def test_proxy_credentials_in_its_url_are_sent_to_it_and_shown_nowhere(
    tls_fake: FakeModelLab, client_tls: ssl.SSLContext, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with LoopbackProxy(credentials="alice:proxy-secret") as proxy:
        without = connect(tls_fake, ssl=client_tls, proxy=proxy.url, retries=0)
        async with without:
            with pytest.raises(TransportError, match="407") as refused:
                await without.runs.get(1)
        port = proxy.url.rsplit(":", 1)[1]
        with_credentials = connect(
            tls_fake, ssl=client_tls, proxy=f"http://alice:proxy-secret@127.0.0.1:{port}"
        )
        assert "proxy-secret" not in repr(with_credentials)
        async with with_credentials:
            await with_credentials.runs.get(1)
    assert [r.status for r in tls_fake.requests] == [200]
    assert "proxy-secret" not in str(refused.value)
    assert all("proxy-secret" not in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    "proxy", ["socks5://alice:proxy-secret@127.0.0.1:1080", "http://", "http://[::1"]
)
def test_a_proxy_that_is_not_an_http_url_is_refused_without_showing_it(proxy: str) -> None:
    with pytest.raises(ConfigurationError, match="proxy") as refused:
        ModelLabClient(api_key="a" * 32, app_key="b" * 40, proxy=proxy)
    assert "proxy-secret" not in str(refused.value)
    assert "proxy-secret" not in rendered_with_locals(refused.value)


async def test_a_proxy_from_the_environment_that_is_not_http_fails_the_request(
    monkeypatch: pytest.MonkeyPatch, plain_fake: FakeModelLab
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "socks5://alice:proxy-secret@127.0.0.1:1080")
    async with connect(plain_fake) as client:
        with pytest.raises(ConfigurationError, match="http proxy set in the environment") as bad:
            await client.runs.get(1)
    assert "proxy-secret" not in str(bad.value)
    assert plain_fake.requests == []


def test_a_transport_takes_no_proxy_and_no_ssl() -> None:
    transport = MockTransport(lambda request: (200, {}, b"{}"))
    context = ssl.create_default_context()
    with pytest.raises(TypeError, match="pass proxy and ssl or transport"):
        ModelLabClient("k", "a", transport=transport, proxy="http://127.0.0.1:3128", ssl=context)
    with pytest.raises(TypeError, match="pass proxy or transport"):
        PAIClient("id", "secret", region="cn-hangzhou", transport=transport, proxy=NOWHERE)
    with pytest.raises(TypeError, match="pass ssl or transport"):
        PAIClient("id", "secret", region="cn-hangzhou", transport=transport, ssl="system")
