"""`PAIClient`: Alibaba Cloud PAI runs and experiments over the shared HTTP core."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from yarl import URL

from .._config import parse_base_url
from .._http import DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_CONCURRENCY, BaseClient
from .._retry import RetryPolicy
from .._transport import Transport, choose_transport
from ..errors import ConfigurationError
from ._dialect import PAIDialect
from ._resources import PAIExperiments, PAIRuns
from ._signing import Credentials, Signer

if TYPE_CHECKING:
    import aiohttp

__all__ = ["PAIClient"]

ACCESS_KEY_ID_ENV = "ALIBABA_CLOUD_ACCESS_KEY_ID"
ACCESS_KEY_SECRET_ENV = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"  # a variable's name
SECURITY_TOKEN_ENV = "ALIBABA_CLOUD_SECURITY_TOKEN"


def _credential(value: str | None, env_name: str, what: str) -> str:
    found = value if value is not None else os.environ.get(env_name, "")
    if not found:
        raise ConfigurationError(
            f"no Alibaba Cloud {what} given: pass it to PAIClient or set {env_name}"
        )
    return found


class PAIClient(BaseClient):
    """An asyncio client for Alibaba Cloud PAI runs and experiments (AIWorkspace 2021-02-04).

    Every request is signed with Alibaba Cloud's V3 signature (ACS3-HMAC-SHA256).
    Retries, the rate-limit gate, timeouts and errors work as in `ModelLabClient`.

    Example:
        >>> async with PAIClient(region="cn-hangzhou") as pai:  # keys from the environment
        ...     async for run in pai.runs.list(workspace_id="145883", verbose=True):
        ...         print(run.run_id, run.name)

    Args:
        access_key_id, access_key_secret: the AccessKey pair; default to
            `$ALIBABA_CLOUD_ACCESS_KEY_ID` and `$ALIBABA_CLOUD_ACCESS_KEY_SECRET`.
        security_token: an STS token for temporary credentials; defaults to
            `$ALIBABA_CLOUD_SECURITY_TOKEN` when set.
        region: the region, as in `https://aiworkspace.<region>.aliyuncs.com`.
        endpoint: an origin overriding the region's (a proxy, a local fake).
        The other arguments are `ModelLabClient`'s.
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
        signer: Signer | None = None,
    ) -> None:
        if endpoint is None:
            if not region:
                raise ConfigurationError("give a region (such as cn-hangzhou) or an endpoint")
            endpoint = f"https://aiworkspace.{region}.aliyuncs.com"
        origin = parse_base_url(endpoint, allow_insecure_http=allow_insecure_http)
        if signer is None:
            credentials = Credentials(
                _credential(access_key_id, ACCESS_KEY_ID_ENV, "AccessKey id"),
                _credential(access_key_secret, ACCESS_KEY_SECRET_ENV, "AccessKey secret"),
                security_token or os.environ.get(SECURITY_TOKEN_ENV) or None,
            )
            signer = Signer(credentials)
        super().__init__(
            PAIDialect(origin, signer),
            choose_transport(transport, session, timeout),
            retries=retries,
            max_concurrency=max_concurrency,
            max_body_size=max_body_size,
        )
        self.runs = PAIRuns(self)
        """Runs: list (token pages), get, and their metrics."""
        self.experiments = PAIExperiments(self)
        """Experiments: list (token pages)."""
