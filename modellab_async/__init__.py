"""An asyncio-native, typed client for the Datadog Model Lab API (v2, preview).

Example:
    >>> from modellab_async import ModelLabClient
    >>> async with ModelLabClient() as client:  # keys from DD_API_KEY / DD_APP_KEY
    ...     async for run in client.runs.list(project_id=7, status="completed"):
    ...         print(run.id, run.attributes.name)
"""

from ._blocking._surface import BlockingBasePaginator
from ._core._hooks import (
    Hooks,
    ListingProgress,
    Operation,
    OperationScope,
    RequestSent,
    ResponseReceived,
    RetryScheduled,
    Throttled,
)
from ._core._retry import RetryPolicy
from ._core._throttle import ClientStats
from ._engine._bulk import Result
from ._engine._checkpoint import Checkpoint, ListingStats
from ._engine._paginator import BasePaginator
from ._transport import ResponseStream, Transport
from ._version import __version__
from .errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    CertificateError,
    ClientStateError,
    ConfigurationError,
    DecodeError,
    MalformedBodyError,
    ModelLabError,
    NotFoundError,
    PaginationError,
    PermissionDeniedError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    TransportError,
    UnsafeRedirectError,
)
from .models import (
    FacetKeys,
    FacetType,
    FacetValues,
    Page,
    Project,
    ProjectArtifacts,
    Run,
    RunArtifacts,
    RunStatus,
)
from .resources._blocking import BlockingChanges, BlockingModelLabClient, BlockingPaginator
from .resources._client import ModelLabClient
from .resources._config import SITES
from .resources._paginator import Changes, Paginator

__all__ = [
    "SITES",
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "BasePaginator",
    "BlockingBasePaginator",
    "BlockingChanges",
    "BlockingModelLabClient",
    "BlockingPaginator",
    "CertificateError",
    "Changes",
    "Checkpoint",
    "ClientStateError",
    "ClientStats",
    "ConfigurationError",
    "DecodeError",
    "FacetKeys",
    "FacetType",
    "FacetValues",
    "Hooks",
    "ListingProgress",
    "ListingStats",
    "MalformedBodyError",
    "ModelLabClient",
    "ModelLabError",
    "NotFoundError",
    "Operation",
    "OperationScope",
    "Page",
    "PaginationError",
    "Paginator",
    "PermissionDeniedError",
    "Project",
    "ProjectArtifacts",
    "RateLimitError",
    "RequestSent",
    "RequestTimeoutError",
    "ResponseReceived",
    "ResponseStream",
    "Result",
    "RetryPolicy",
    "RetryScheduled",
    "Run",
    "RunArtifacts",
    "RunStatus",
    "ServerError",
    "Throttled",
    "Transport",
    "TransportError",
    "UnsafeRedirectError",
    "__version__",
]
