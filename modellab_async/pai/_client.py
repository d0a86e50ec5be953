"""`PAIClient`: Alibaba Cloud PAI runs and experiments over the shared HTTP core."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Literal

from yarl import URL

from .._core._client import DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_CONCURRENCY, BaseClient
from .._core._config import check_key, parse_base_url
from .._core._hooks import Hooks
from .._core._retry import RetryPolicy
from .._transport import Transport, choose_transport
from ..errors import ConfigurationError
from ._dialect import PAIDialect
from ._resources import PAIExperiments, PAIRuns
from ._signing import Credentials, Signer

if TYPE_CHECKING:
    from ssl import SSLContext

    import aiohttp

__all__ = ["PAIClient"]

ACCESS_KEY_ID_ENV = "ALIBABA_CLOUD_ACCESS_KEY_ID"
ACCESS_KEY_SECRET_ENV = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"  # a variable's name
SECURITY_TOKEN_ENV = "ALIBABA_CLOUD_SECURITY_TOKEN"
#: An origin overriding the region's (a proxy, a local fake), as `endpoint` does.
ENDPOINT_ENV = "ALIBABA_CLOUD_PAI_ENDPOINT"
#: A region id as in `cn-hangzhou`, `ap-southeast-1` or `cn-shanghai-finance-1`.
_REGION_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _given_or_from_environment(value: str | None, env_name: str, what: str) -> str:
    """Return `value`, else `$env_name` (else ""), checked as a key that names its source."""
    found = value if value is not None else os.environ.get(env_name, "")
    source = env_name if value is None else "as given to PAIClient"
    return check_key(found, f"the Alibaba Cloud {what} ({source})")


def _credential(value: str | None, env_name: str, what: str) -> str:
    found = _given_or_from_environment(value, env_name, what)
    if not found:
        raise ConfigurationError(
            f"no Alibaba Cloud {what} given: pass it to PAIClient or set {env_name}"
        )
    return found


def _region_origin(region: str | None) -> str:
    if not region:
        raise ConfigurationError("give a region (such as cn-hangzhou) or an endpoint")
    if not _REGION_ID.fullmatch(region):
        raise ConfigurationError(
            "region must be a region id: lowercase letters, digits and hyphens, such as "
            f"cn-hangzhou or ap-southeast-1; got {region!r}"
        )
    return f"https://aiworkspace.{region}.aliyuncs.com"


def _origin(region: str | None, endpoint: str | URL | None, allow_insecure_http: bool) -> URL:
    """Return `endpoint`, else `$ALIBABA_CLOUD_PAI_ENDPOINT`, else the region's origin."""
    if endpoint is not None:
        return parse_base_url(endpoint, allow_insecure_http=allow_insecure_http, name="endpoint")
    if from_environment := os.environ.get(ENDPOINT_ENV):
        return parse_base_url(
            from_environment, allow_insecure_http=allow_insecure_http, name=ENDPOINT_ENV
        )
    return parse_base_url(
        _region_origin(region), allow_insecure_http=allow_insecure_http, name="endpoint"
    )


class PAIClient(BaseClient):
    """An asyncio client for Alibaba Cloud PAI runs and experiments (AIWorkspace 2021-02-04).

    Every request is signed with Alibaba Cloud's V3 signature (ACS3-HMAC-SHA256).
    Retries, the rate-limit gate, timeouts and errors work as in `ModelLabClient`,
    and the keyword-only arguments are `ModelLabClient`'s.

    Example:
        >>> async with PAIClient(region="cn-hangzhou") as pai:  # keys from the environment
        ...     async for run in pai.runs.list(workspace_id="145883", verbose=True):
        ...         print(run.run_id, run.name)

    Args:
        access_key_id: the AccessKey id; defaults to `$ALIBABA_CLOUD_ACCESS_KEY_ID`.
        access_key_secret: the AccessKey secret; defaults to
            `$ALIBABA_CLOUD_ACCESS_KEY_SECRET`.
        security_token: an STS token for temporary credentials; defaults to
            `$ALIBABA_CLOUD_SECURITY_TOKEN` when set.
        region: the region id (such as cn-hangzhou), as in
            `https://aiworkspace.<region>.aliyuncs.com`.
        endpoint: an origin overriding the region's (a proxy, a local fake); defaults
            to `$ALIBABA_CLOUD_PAI_ENDPOINT`, which also overrides `region`, as
            `AWS_ENDPOINT_URL` does in boto3.
    """

    def __init__(
        self,
        access_key_id: str | None = None,
        access_key_secret: str | None = None,
        security_token: str | None = None,
        region: str | None = None,
        endpoint: str | URL | None = None,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: float | aiohttp.ClientTimeout | None = None,
        retries: int | RetryPolicy = 5,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        allow_insecure_http: bool = False,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        transport: Transport | None = None,
        proxy: str | URL | None = None,
        ssl: SSLContext | Literal["system"] | None = None,
        signer: Signer | None = None,
        hooks: Hooks | None = None,
    ) -> None:
        try:
            origin = _origin(region, endpoint, allow_insecure_http)
            if signer is None:
                credentials = Credentials(
                    _credential(access_key_id, ACCESS_KEY_ID_ENV, "AccessKey id"),
                    _credential(access_key_secret, ACCESS_KEY_SECRET_ENV, "AccessKey secret"),
                    _given_or_from_environment(security_token, SECURITY_TOKEN_ENV, "STS token")
                    or None,
                )
                signer = Signer(credentials)
            transport = choose_transport(transport, session, timeout, proxy=proxy, ssl=ssl)
        except ConfigurationError as error:
            # As in `ModelLabClient`: no refused value nor half-built client in a
            # traceback rendered with its locals.
            del self, access_key_id, access_key_secret, security_token, endpoint, proxy
            raise error.with_traceback(None) from None
        super().__init__(
            PAIDialect(origin, signer),
            transport,
            retries=retries,
            max_concurrency=max_concurrency,
            max_body_size=max_body_size,
            hooks=hooks,
        )
        self.runs = PAIRuns(self)
        """Runs: list (token pages), get, and their metrics."""
        self.experiments = PAIExperiments(self)
        """Experiments: list (token pages)."""
