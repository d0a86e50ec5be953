"""`modellab` behind a proxy and a private CA: --proxy, --ca-bundle, or the environment alone."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from modellab_async.testing import FakeModelLab
from tests.cli.conftest import Modellab, threaded

from .proxy import LoopbackProxy


@pytest.fixture
def tls_fake(server_tls: ssl.SSLContext) -> Iterator[FakeModelLab]:
    """The fake over HTTPS on a loop of its own, as the CLI starts its own."""
    with threaded(FakeModelLab(runs=20, projects=1, ssl=server_tls)) as fake:
        yield fake


@pytest.fixture
def proxy() -> Iterator[LoopbackProxy]:
    with threaded(LoopbackProxy()) as proxy:
        yield proxy


@pytest.fixture
def modellab(tls_fake: FakeModelLab) -> Modellab:
    return Modellab(url=tls_fake.url, api_key=tls_fake.api_key, app_key=tls_fake.app_key)


def test_proxy_and_ca_bundle_work_before_or_after_the_command(
    modellab: Modellab, tls_fake: FakeModelLab, proxy: LoopbackProxy, ca_file: str
) -> None:
    options = ("--proxy", proxy.url, "--ca-bundle", ca_file)
    for args in ((*options, "runs", "get", "3"), ("runs", "get", "3", *options)):
        result = modellab.invoke(*args)
        assert result.exit_code == 0, result.stderr
        assert '"id":"3"' in result.stdout
    assert [r.status for r in tls_fake.requests] == [200, 200]
    port = tls_fake.url.rsplit(":", 1)[1]
    assert proxy.request_lines == [f"CONNECT 127.0.0.1:{port} HTTP/1.1".encode()] * 2
    assert tls_fake.api_key.encode() not in proxy.everything_seen


def test_the_environment_alone_sets_the_proxy_and_the_ca(
    modellab: Modellab, proxy: LoopbackProxy, ca_file: str
) -> None:
    result = modellab.invoke(
        "runs", "get", "3", env={"HTTPS_PROXY": proxy.url, "SSL_CERT_FILE": ca_file}
    )
    assert result.exit_code == 0, result.stderr
    assert len(proxy.request_lines) == 1


def test_an_untrusted_certificate_is_one_line_and_no_retries(modellab: Modellab) -> None:
    result = modellab.invoke("runs", "get", "3")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: GET /api/v2/model-lab-api/runs/3: the certificate of")
    assert "trust its CA" in result.stderr
    assert "gave up" not in result.stderr


def test_a_proxy_that_is_not_an_http_url_is_a_usage_error(modellab: Modellab) -> None:
    result = modellab.invoke(
        "--proxy", "socks5://alice:proxy-secret@127.0.0.1:1080", "runs", "get", "3"
    )
    assert result.exit_code == 2
    assert "Invalid value for '--proxy': the proxy must be an http:// or https:// URL" in (
        result.stderr
    )
    assert "proxy-secret" not in result.stderr


def test_a_ca_bundle_that_holds_no_certificate_is_a_usage_error(
    modellab: Modellab, tmp_path: Path
) -> None:
    not_pem = tmp_path / "notes.txt"
    not_pem.write_text("not a certificate\n")
    result = modellab.invoke("--ca-bundle", str(not_pem), "runs", "get", "3")
    assert result.exit_code == 2
    assert f"Error: --ca-bundle: {not_pem} holds no PEM certificate" in result.stderr
