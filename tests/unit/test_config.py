"""Resolving keys, site and origin, without a server."""

from __future__ import annotations

import pytest
from yarl import URL

from modellab_async import SITES, ConfigurationError, ModelLabClient
from modellab_async._core._config import Secret, check_key, parse_base_url
from modellab_async.resources._config import resolve_config, site_origin

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


@pytest.mark.parametrize(
    ("key", "found"),
    [
        ("abc123\n", r"a control character \(U\+000A\) at position 7 of 7"),
        ("abc\r\nX-Injected: 1", r"a control character \(U\+000D\) at position 4 of 18"),
        ("ab\x00c", r"a control character \(U\+0000\) at position 3 of 4"),
        ("abc\x7f", r"a control character \(U\+007F\) at position 4 of 4"),
        ("abc\t", r"a control character \(U\+0009\) at position 4 of 4"),
        (" abc", "a space at position 1 of 4"),
        ("abc ", "a space at position 4 of 4"),
        ("ab c", "a space at position 3 of 4"),
        ("abcé", "a non-ASCII character at position 4 of 4"),
        ("abc\u00a0", "a non-ASCII character at position 4 of 4"),
        ("abc\u2028", "a non-ASCII character at position 4 of 4"),
    ],
)
def test_a_key_that_is_not_printable_ascii_without_spaces_is_refused(key: str, found: str) -> None:
    with pytest.raises(ConfigurationError, match=f"^the key contains {found}; ") as caught:
        check_key(key, "the key")
    assert key not in str(caught.value)
    assert key not in repr(caught.value)


def test_a_printable_key_passes_as_it_is() -> None:
    key = "".join(map(chr, range(0x21, 0x7F)))  # every printable ASCII character but the space
    assert check_key(key, "the key") is key


@pytest.mark.parametrize(
    ("given", "environ", "named"),
    [
        ({"api_key": "bad\n"}, ENV, r"the API key \(as given to ModelLabClient\)"),
        ({}, {**ENV, "DD_API_KEY": "bad\n"}, r"the API key \(DD_API_KEY\)"),
        ({}, {**ENV, "DD_APP_KEY": "bad\x00"}, r"the application key \(DD_APP_KEY\)"),
        ({"app_key": " bad"}, ENV, r"the application key \(as given to ModelLabClient\)"),
    ],
)
def test_a_refused_key_names_which_key_and_where_it_came_from(
    given: dict[str, str], environ: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigurationError, match=f"^{named} contains") as caught:
        resolve(environ, **given)
    assert "bad" not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://user:hunter2@proxy.internal/dd",
        "https://:hunter2@proxy.internal",
        "https://hunter2@proxy.internal",
        "http://user:hunter2@127.0.0.1:8126",
        "ftp://user:hunter2@proxy.internal",
        "https://user:hunter2@proxy.internal/?a=1",
        URL("https://user:hunter2@proxy.internal"),
    ],
)
def test_a_base_url_with_a_user_or_password_is_refused_without_showing_it(url: str | URL) -> None:
    with pytest.raises(ConfigurationError, match="must not contain a user name or password") as c:
        parse_base_url(url, allow_insecure_http=False)
    assert "hunter2" not in str(c.value)


@pytest.mark.parametrize(
    ("url", "found"),
    [
        ("user:hunter2@proxy.internal", "has no host"),
        ("api.datadoghq.com", "has no host"),
        ("//proxy.internal", "has no scheme"),
        ("ftp://proxy.internal", "has the scheme 'ftp'"),
        ("https://user:hunter2@proxy.internal:port/", "not a valid URL: .*port"),
        ("https://user:hunter2@[::1/", "not a valid URL"),
    ],
)
def test_no_base_url_error_quotes_the_url(url: str, found: str) -> None:
    with pytest.raises(ConfigurationError, match=found) as caught:
        parse_base_url(url, allow_insecure_http=False)
    assert "hunter2" not in str(caught.value)
    assert caught.value.__suppress_context__ or caught.value.__context__ is None


def test_modellab_base_url_from_the_environment_wins_over_dd_site() -> None:
    environ = {**ENV, "MODELLAB_BASE_URL": "http://127.0.0.1:8126/", "DD_SITE": "datadoghq.eu"}
    assert resolve(environ).base_url == URL("http://127.0.0.1:8126")


@pytest.mark.parametrize(
    ("given", "origin"),
    [
        ({"base_url": "https://proxy.internal/dd"}, "https://proxy.internal/dd"),
        ({"site": "us5.datadoghq.com"}, "https://api.us5.datadoghq.com"),
    ],
)
def test_arguments_win_over_modellab_base_url(given: dict[str, str], origin: str) -> None:
    environ = {**ENV, "MODELLAB_BASE_URL": "http://127.0.0.1:8126"}
    assert resolve(environ, **given).base_url == URL(origin)


def test_modellab_base_url_follows_base_urls_rules_and_names_itself() -> None:
    environ = {**ENV, "MODELLAB_BASE_URL": "http://models.internal"}
    with pytest.raises(ConfigurationError, match="refusing to send keys over plain http"):
        resolve(environ)
    assert resolve(environ, allow_insecure_http=True).base_url == URL("http://models.internal")
    with pytest.raises(ConfigurationError, match=r"^MODELLAB_BASE_URL must be an absolute"):
        resolve({**ENV, "MODELLAB_BASE_URL": "models.internal"})


def test_an_empty_modellab_base_url_counts_as_unset() -> None:
    environ = {**ENV, "MODELLAB_BASE_URL": "", "DD_SITE": "datadoghq.eu"}
    assert resolve(environ).base_url == URL("https://api.datadoghq.eu")


def test_the_client_reaches_modellab_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELLAB_BASE_URL", "http://127.0.0.1:8126/prefix")
    client = ModelLabClient(api_key="a", app_key="b")
    assert client.base_url == URL("http://127.0.0.1:8126/prefix")
