"""TLS from a test CA (trustme), a loopback proxy, and an environment without proxy settings."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme

from modellab_async import ModelLabClient
from modellab_async.testing import FakeModelLab

from .proxy import LoopbackProxy

#: Every variable that changes where requests go or which CAs are trusted.
NETWORK_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
)


@pytest.fixture(autouse=True)
def no_network_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start each test from an environment that names no proxy and no CA bundle."""
    for name in NETWORK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    """A server context whose certificate, for 127.0.0.1, the test CA issued."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture(scope="module")
def client_tls(ca: trustme.CA) -> ssl.SSLContext:
    """A client context that trusts the test CA only."""
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    """The test CA's certificate as a PEM file."""
    path = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
async def tls_fake(server_tls: ssl.SSLContext) -> AsyncIterator[FakeModelLab]:
    """The fake over HTTPS, with a certificate from the test CA."""
    async with FakeModelLab(runs=250, projects=2, seed=1, ssl=server_tls) as fake:
        yield fake


@pytest.fixture
async def plain_fake() -> AsyncIterator[FakeModelLab]:
    async with FakeModelLab(runs=250, projects=2, seed=1) as fake:
        yield fake


@pytest.fixture
async def proxy() -> AsyncIterator[LoopbackProxy]:
    async with LoopbackProxy() as proxy:
        yield proxy


def connect(fake: FakeModelLab, **options: object) -> ModelLabClient:
    """A client of `fake` with its keys; `options` go to `ModelLabClient`."""
    return ModelLabClient(
        base_url=fake.url,
        api_key=fake.api_key,
        app_key=fake.app_key,
        **options,  # type: ignore[arg-type]
    )
