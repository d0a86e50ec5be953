"""Certificates from a private CA: refused clearly by default, trusted through ssl= or SSL_CERT_FILE."""

from __future__ import annotations

import logging
import ssl
import sys

import pytest
import trustme

from modellab_async import CertificateError, ConfigurationError, ModelLabClient, TransportError
from modellab_async.testing import FakeModelLab

from .conftest import connect
from .proxy import LoopbackProxy

pytestmark = pytest.mark.anyio


async def first_run_id(fake: FakeModelLab, **options: object) -> str:
    async with connect(fake, **options) as client:
        return (await client.runs.get(1)).id


async def test_an_untrusted_certificate_fails_once_with_a_transport_error_that_says_what_to_do(
    tls_fake: FakeModelLab, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with connect(tls_fake) as client:
        with pytest.raises(CertificateError) as refused:
            await client.runs.get(1)
        retries = client.stats.retries
    error = refused.value
    assert isinstance(error, TransportError)
    port = tls_fake.url.rsplit(":", 1)[1]
    assert str(error) == (
        f"GET /api/v2/model-lab-api/runs/1: the certificate of 127.0.0.1:{port} is not "
        "trusted (unable to get local issuer certificate); trust its CA with the client's "
        "ssl= argument or SSL_CERT_FILE"
    )
    assert retries == 0  # no certificate becomes trusted by asking again
    assert tls_fake.requests == []
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert tls_fake.api_key not in logged
    assert tls_fake.app_key not in logged


async def test_a_certificate_for_another_host_is_refused(
    ca: trustme.CA, client_tls: ssl.SSLContext
) -> None:
    elsewhere = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("models.example").configure_cert(elsewhere)
    async with FakeModelLab(runs=5, ssl=elsewhere) as fake:
        with pytest.raises(CertificateError, match="mismatch"):
            await first_run_id(fake, ssl=client_tls)


async def test_an_ssl_context_that_trusts_the_ca_is_used(
    tls_fake: FakeModelLab, client_tls: ssl.SSLContext
) -> None:
    assert await first_run_id(tls_fake, ssl=client_tls) == "1"
    assert [r.status for r in tls_fake.requests] == [200]


async def test_ssl_cert_file_set_after_import_is_read_by_a_new_client(
    monkeypatch: pytest.MonkeyPatch, tls_fake: FakeModelLab, ca_file: str
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    assert await first_run_id(tls_fake) == "1"


async def test_ssl_cert_file_works_through_a_proxy(
    monkeypatch: pytest.MonkeyPatch, tls_fake: FakeModelLab, ca_file: str, proxy: LoopbackProxy
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    assert await first_run_id(tls_fake) == "1"
    assert len(proxy.heads) == 1


@pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="truststore reads SSL_CERT_FILE on Linux only; elsewhere it asks the OS's own store",
)
async def test_the_system_trust_store_is_used_on_request(
    monkeypatch: pytest.MonkeyPatch, tls_fake: FakeModelLab, ca_file: str
) -> None:
    with pytest.raises(CertificateError):
        await first_run_id(tls_fake, ssl="system")
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)  # the system store, as OpenSSL finds it
    assert await first_run_id(tls_fake, ssl="system") == "1"


def test_the_system_trust_store_without_truststore_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "truststore", None)  # as if it were not installed
    with pytest.raises(ConfigurationError, match=r"modellab-async\[truststore\]"):
        ModelLabClient("k", "a", ssl="system")


def test_ssl_takes_a_context_or_system_only() -> None:
    with pytest.raises(ConfigurationError, match=r"ssl must be an ssl\.SSLContext or 'system'"):
        ModelLabClient("k", "a", ssl="ca.pem")  # type: ignore[arg-type]
