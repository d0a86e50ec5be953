"""The official `datadog-api-client`, synchronous and asynchronous, walking pages by number.

Only the variants that measure it import this module, so no other variant's
peak RSS pays for its import.
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable
from typing import cast

from datadog_api_client import ApiClient, AsyncApiClient, Configuration
from datadog_api_client.v2.api.model_lab_api_api import ModelLabAPIApi
from datadog_api_client.v2.model.model_lab_runs_response import ModelLabRunsResponse

from ._data import PAGE_SIZE
from ._harness import Job

__all__ = ["list_async", "list_sync", "page_decoder"]

# Using a preview ("unstable") operation warns on every call.
warnings.filterwarnings("ignore", message="Using unstable operation", category=UserWarning)


def configuration(origin: str) -> Configuration:
    """Point the client at `origin`, with the preview operation enabled."""
    # datadog-api-client leaves some constructors unannotated.
    config = Configuration(host=origin)  # type: ignore[no-untyped-call]
    # The unversioned key: `v2.`-prefixed keys raise KeyError in its __setitem__ (2.62.0).
    config.unstable_operations["list_model_lab_runs"] = True
    config.api_key["apiKeyAuth"] = "benchmark"
    config.api_key["appKeyAuth"] = "benchmark"
    return config


def _api(api_client: ApiClient) -> ModelLabAPIApi:
    return ModelLabAPIApi(api_client)  # type: ignore[no-untyped-call]


def _pages(job: Job) -> range:
    return range(-(-job.items // PAGE_SIZE))


def list_sync(job: Job) -> int:
    """List runs page by page with `ApiClient`, following `meta.page.next_number`."""
    count = 0
    number: int | None = 0
    with ApiClient(configuration(job.origin)) as api_client:
        api = _api(api_client)
        for _ in _pages(job):
            if number is None:
                break
            page = api.list_model_lab_runs(page_size=PAGE_SIZE, page_number=number)
            count += len(page.data)
            number = page.meta.page.next_number
    return count


async def list_async(job: Job) -> int:
    """List runs page by page with `AsyncApiClient`, following `meta.page.next_number`."""
    count = 0
    number: int | None = 0
    async with AsyncApiClient(configuration(job.origin)) as api_client:
        api = _api(api_client)
        for _ in _pages(job):
            if number is None:
                break
            # Under an AsyncApiClient the API methods return coroutines; their hints do not say so.
            call = api.list_model_lab_runs(page_size=PAGE_SIZE, page_number=number)
            page = await cast(Awaitable[ModelLabRunsResponse], call)
            count += len(page.data)
            number = page.meta.page.next_number
    return count


def page_decoder() -> Callable[[bytes], object]:
    """Return what the client does to a page body: decode the text, build its models."""
    api_client = ApiClient(configuration("http://127.0.0.1"))
    response_type = (ModelLabRunsResponse,)
    check_type = api_client.configuration.check_return_type

    def decode(body: bytes) -> object:
        # The client reads the body as text before deserializing it.
        return api_client.deserialize(body.decode(), response_type, check_type)

    return decode
