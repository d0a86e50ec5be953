"""Resolving keys, site and origin, without a server."""

from __future__ import annotations

import pytest
from yarl import URL

from modellab_async import SITES, ConfigurationError, ModelLabClient
from modellab_async._config import Secret, parse_base_url, resolve_config, site_origin

ENV = {"DD_API_KEY": "env-api", "DD_APP_KEY": "env-app"}


def resolve(environ: dict[str, str] | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
    arguments: dict[str, object] = {
        "api_key": None,
        "app_key": None,
        "site": None,
        "base_url": None,
        "allow_insecure_http": False,
    }
    arguments.update(kwargs)
    return resolve_config(environ=ENV if environ is None else environ, **arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("site", "origin"),
    [
        ("datadoghq.com", "https://api.datadoghq.com"),
        ("app.datadoghq.com", "https://api.datadoghq.com"),
        ("us3.datadoghq.com", "https://api.us3.datadoghq.com"),
        ("us5.datadoghq.com", "https://api.us5.datadoghq.com"),
        ("datadoghq.eu", "https://api.datadoghq.eu"),
        ("app.datadoghq.eu", "https://api.datadoghq.eu"),
        ("ap1.datadoghq.com", "https://api.ap1.datadoghq.com"),
        ("ap2.datadoghq.com", "https://api.ap2.datadoghq.com"),
        ("uk1.datadoghq.com", "https://api.uk1.datadoghq.com"),
        ("ddog-gov.com", "https://api.ddog-gov.com"),
        ("app.ddog-gov.com", "https://api.ddog-gov.com"),
        ("us2.ddog-gov.com", "https://api.us2.ddog-gov.com"),
        ("  US3.DatadogHQ.com ", "https://api.us3.datadoghq.com"),
    ],
)
def test_every_site_maps_to_its_api_host(site: str, origin: str) -> None:
    assert site_origin(site) == URL(origin)


def test_nine_sites() -> None:
    assert len(SITES) == 9


def test_unknown_site_lists_the_known_ones() -> None:
    with pytest.raises(
        ConfigurationError, match=r"unknown Datadog site 'example\.com'; use one of datadoghq\.com"
    ):
        site_origin("example.com")


def test_keys_and_site_come_from_the_environment() -> None:
    config = resolve({**ENV, "DD_SITE": "datadoghq.eu"})
    assert config.api_key.reveal() == "env-api"
    assert config.app_key.reveal() == "env-app"
    assert config.base_url == URL("https://api.datadoghq.eu")


def test_arguments_win_over_the_environment() -> None:
    config = resolve(
        {**ENV, "DD_SITE": "datadoghq.eu"}, api_key="a", app_key="b", site="us5.datadoghq.com"
    )
    assert (config.api_key.reveal(), config.app_key.reveal()) == ("a", "b")
    assert config.base_url == URL("https://api.us5.datadoghq.com")


def test_default_site_is_datadoghq_com() -> None:
    assert resolve().base_url == URL("https://api.datadoghq.com")


def test_base_url_wins_over_site() -> None:
    assert resolve(site="datadoghq.eu", base_url="https://proxy.internal/dd/").base_url == URL(
        "https://proxy.internal/dd"
    )


@pytest.mark.parametrize(
    ("env_name", "what"), [("DD_API_KEY", "API key"), ("DD_APP_KEY", "application key")]
)
def test_a_missing_key_names_the_variable_to_set(env_name: str, what: str) -> None:
    environ = {k: v for k, v in ENV.items() if k != env_name}
    with pytest.raises(ConfigurationError, match=f"no Datadog {what} given: .* set the {env_name}"):
        resolve(environ)


def test_an_empty_key_counts_as_missing() -> None:
    with pytest.raises(ConfigurationError):
        resolve(api_key="")


def test_client_construction_reports_a_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DD_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="DD_API_KEY"):
        ModelLabClient(app_key="x")


@pytest.mark.parametrize(
    "url", ["ftp://host", "api.datadoghq.com", "https://", "https://h/?a=1", "https://h/#x"]
)
def test_bad_base_urls(url: str) -> None:
    with pytest.raises(ConfigurationError):
        parse_base_url(url, allow_insecure_http=False)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8126", "http://localhost:1", "http://[::1]:80"])
def test_plain_http_is_allowed_on_loopback(url: str) -> None:
    assert parse_base_url(url, allow_insecure_http=False) == URL(url)


def test_plain_http_elsewhere_needs_an_explicit_opt_in() -> None:
    with pytest.raises(ConfigurationError, match="allow_insecure_http=True"):
        parse_base_url("http://proxy.internal", allow_insecure_http=False)
    assert parse_base_url("http://proxy.internal", allow_insecure_http=True) == URL(
        "http://proxy.internal"
    )


@pytest.mark.parametrize("timeout", [0, -1, True])
def test_timeouts_must_be_positive_seconds(timeout: float) -> None:
    with pytest.raises(ValueError, match="timeout"):
        ModelLabClient("a", "b", timeout=timeout)


def test_secrets_hide_themselves() -> None:
    secret = Secret("hunter2")
    assert "hunter2" not in repr(secret)
    assert "hunter2" not in str(secret)
    assert "hunter2" not in repr(resolve(api_key="hunter2"))
    assert secret == Secret("hunter2")
    assert secret != "hunter2"
    assert hash(secret) == hash(Secret("hunter2"))
