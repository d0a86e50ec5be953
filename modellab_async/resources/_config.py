"""Model Lab's settings: the Datadog sites, and the keys and origin from arguments or environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from yarl import URL

from .._core._config import Secret, check_key, parse_base_url
from ..errors import ConfigurationError

__all__ = [
    "API_KEY_ENV",
    "APP_KEY_ENV",
    "BASE_URL_ENV",
    "SITES",
    "SITE_ENV",
    "ClientConfig",
    "resolve_config",
    "site_origin",
]

#: Datadog site name -> API origin: the eight sites of the docs plus uk1 from the spec.
SITES: Mapping[str, str] = {
    "datadoghq.com": "https://api.datadoghq.com",
    "us3.datadoghq.com": "https://api.us3.datadoghq.com",
    "us5.datadoghq.com": "https://api.us5.datadoghq.com",
    "datadoghq.eu": "https://api.datadoghq.eu",
    "ap1.datadoghq.com": "https://api.ap1.datadoghq.com",
    "ap2.datadoghq.com": "https://api.ap2.datadoghq.com",
    "uk1.datadoghq.com": "https://api.uk1.datadoghq.com",
    "ddog-gov.com": "https://api.ddog-gov.com",
    "us2.ddog-gov.com": "https://api.us2.ddog-gov.com",
}

API_KEY_ENV = "DD_API_KEY"
APP_KEY_ENV = "DD_APP_KEY"
SITE_ENV = "DD_SITE"
#: An origin overriding `DD_SITE` (a proxy, a local fake), as `base_url` does.
BASE_URL_ENV = "MODELLAB_BASE_URL"


@dataclass(frozen=True)
class ClientConfig:
    """Everything the client needs to reach the API, resolved once at construction."""

    api_key: Secret
    app_key: Secret
    base_url: URL


def site_origin(site: str) -> URL:
    """Return the API origin of a Datadog site name, with or without a leading `app.`.

    >>> site_origin("app.datadoghq.eu")
    URL('https://api.datadoghq.eu')
    """
    name = site.strip().lower().removeprefix("https://").rstrip("/").removeprefix("app.")
    try:
        return URL(SITES[name])
    except KeyError:
        known = ", ".join(SITES)
        raise ConfigurationError(
            f"unknown Datadog site {site!r}; use one of {known}, or pass base_url=..."
        ) from None


def _key(value: str | None, env_name: str, what: str, environ: Mapping[str, str]) -> Secret:
    key = value if value is not None else environ.get(env_name, "")
    if not key:
        raise ConfigurationError(
            f"no Datadog {what} given: pass it to ModelLabClient or set the {env_name} "
            "environment variable"
        )
    source = env_name if value is None else "as given to ModelLabClient"
    return Secret(check_key(key, f"the {what} ({source})"))


def resolve_config(
    *,
    api_key: str | None,
    app_key: str | None,
    site: str | None,
    base_url: str | URL | None,
    allow_insecure_http: bool,
    environ: Mapping[str, str] | None = None,
) -> ClientConfig:
    """Resolve arguments, then the environment, then defaults.

    The origin is the first of: `base_url`, `site`, `$MODELLAB_BASE_URL`,
    `$DD_SITE`, datadoghq.com. The keys are `api_key` and `app_key`, else
    `$DD_API_KEY` and `$DD_APP_KEY`.
    """
    env = os.environ if environ is None else environ
    if base_url is not None:
        origin = parse_base_url(base_url, allow_insecure_http=allow_insecure_http)
    elif site:
        origin = site_origin(site)
    elif env_base_url := env.get(BASE_URL_ENV):
        origin = parse_base_url(
            env_base_url, allow_insecure_http=allow_insecure_http, name=BASE_URL_ENV
        )
    else:
        origin = site_origin(env.get(SITE_ENV) or "datadoghq.com")
    return ClientConfig(
        api_key=_key(api_key, API_KEY_ENV, "API key", env),
        app_key=_key(app_key, APP_KEY_ENV, "application key", env),
        base_url=origin,
    )
