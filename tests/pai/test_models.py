"""PAI wire models decode the documented bodies; error answers map onto the library's errors.

`list_runs_doc_example.json` is the ListRuns example of PAI's API reference,
verbatim; the `*_handwritten.json` samples follow the field names of Alibaba
Cloud's AIWorkspace 2021-02-04 SDK models, with plausible values.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from modellab_async.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from modellab_async.pai.models import (
    ErrorBody,
    ExperimentsPage,
    MetricsPage,
    Run,
    RunsPage,
    api_error,
    decode_error_body,
    error_class_for_code,
)

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def test_the_documented_list_runs_example_decodes() -> None:
    page = msgspec.json.decode(sample("list_runs_doc_example.json"), type=RunsPage)
    assert page.request_id == "ADF6D849-*****-7E7030F0CE53"  # spelt `requestId`
    assert (page.total, page.next_page_token, page.next_token) == (1, 0, "0")
    [run] = page.items
    assert run.id == run.run_id == "run-1qJhzJ2YXgX****"
    assert run.request_id == "5A14FA81-DD4E-******-6343FE44B941"  # spelt `RequestId`
    assert (run.name, run.experiment_id, run.workspace_id) == (
        "testrun",
        "exp-1zpfthdx******",
        "145883",
    )
    assert (run.source_type, run.source_id) == ("TrainingService", "train9s0afvjkf")
    assert (run.owner_id, run.user_id, run.accessibility) == ("1631044****3440", "", "PRIVATE")
    assert run.gmt_create_time == datetime(2021, 1, 30, 12, 51, 33, 28000, tzinfo=UTC)
    assert run.gmt_modified_time == run.gmt_create_time
    assert run.labels is not None
    assert run.labels[0].run_id == ""
    assert run.labels[0].gmt_create_time == ""  # left as text: the example sends it empty
    assert run.params is not None
    assert run.params[0].value == ""
    assert run.metrics is not None
    assert (run.metrics[0].value, run.metrics[0].step, run.metrics[0].timestamp) == (0.0, 0, 0)


def test_get_run_answers_a_run_with_its_request_id() -> None:
    run = msgspec.json.decode(sample("get_run_handwritten.json"), type=Run)
    assert run.request_id == "5A14FA81-DD4E-******-6343FE44B941"
    assert run.labels is not None
    assert (run.labels[0].key, run.labels[0].value) == ("is_evaluation", "true")
    assert run.metrics is not None
    assert run.metrics[0].id == "loss@100@1611998400000"


def test_a_run_without_details_reads_none_not_empty() -> None:
    run = msgspec.json.decode(b'{"RunId": "run-1"}', type=Run)
    assert (run.labels, run.params, run.metrics, run.name) == (None, None, None, None)


def test_list_run_metrics_pages_by_token_and_has_no_total() -> None:
    page = msgspec.json.decode(sample("list_run_metrics_handwritten.json"), type=MetricsPage)
    assert [metric.step for metric in page.items] == [1, 2]
    assert (page.total, page.next_token) == (None, "21347")


def test_list_experiment_decodes_labels_and_the_latest_run() -> None:
    page = msgspec.json.decode(sample("list_experiment_handwritten.json"), type=ExperimentsPage)
    [experiment] = page.items
    assert experiment.id == "exp-890waerw09a0f"
    assert experiment.tensorboard_log_uri == "oss://bucket/tensorboard/"
    assert experiment.labels is not None
    assert experiment.labels[0].experiment_id == "exp-890waerw09a0f"
    assert experiment.latest_run is not None
    assert experiment.latest_run.name == "testrun"
    assert (page.total, page.next_token) == (5, "0")


@pytest.mark.parametrize(("token", "text"), [(None, None), (0, "0"), (42, "42"), ("abc", "abc")])
def test_tokens_may_be_numbers_or_text(token: int | str | None, text: str | None) -> None:
    body = msgspec.json.encode({"Runs": [], "NextPageToken": token})
    assert msgspec.json.decode(body, type=RunsPage).next_token == text


def test_with_items_keeps_everything_but_the_items() -> None:
    page = msgspec.json.decode(sample("list_runs_doc_example.json"), type=RunsPage)
    emptied = page.with_items([])
    assert emptied.items == []
    assert emptied.runs == []
    assert (emptied.total, emptied.next_token, emptied.request_id) == (1, "0", page.request_id)
    assert len(page.items) == 1


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("Throttling.User", 400, RateLimitError),  # the gateway documents 400 for throttling
        ("Throttling.Api", 429, RateLimitError),
        ("Throttling", 400, RateLimitError),
        ("SignatureDoesNotMatch", 400, AuthenticationError),
        ("IncompleteSignature", 400, AuthenticationError),
        ("InvalidAccessKeyId.NotFound", 404, AuthenticationError),
        ("InvalidAccessKeyId.Inactive", 400, AuthenticationError),
        ("InvalidSecurityToken.Expired", 400, AuthenticationError),
        ("InvalidTimeStamp.Expired", 400, AuthenticationError),
        ("SignatureNonceUsed", 400, AuthenticationError),
        ("Forbidden.RAM", 403, PermissionDeniedError),
        ("NoPermission", 403, PermissionDeniedError),
        ("InternalError", 500, ServerError),
        ("ServiceUnavailable", 503, ServerError),
        ("Run.NotFound", 404, NotFoundError),  # unknown codes: by status
        ("InvalidParameter.PageToken", 400, BadRequestError),
        ("Whatever", 502, ServerError),
        (None, 418, APIError),
        ("ThrottlingLike", 400, BadRequestError),  # a family is a whole dotted prefix
    ],
)
def test_error_class_for_code(code: str | None, status: int, expected: type[APIError]) -> None:
    assert error_class_for_code(code, status) is expected


def test_an_error_answer_keeps_code_message_and_request_id_visible() -> None:
    error = api_error(
        400, sample("error_signature_handwritten.json"), method="GET", path="/api/v1/runs"
    )
    assert type(error) is AuthenticationError
    assert str(error) == (
        "HTTP 400 for GET /api/v1/runs: SignatureDoesNotMatch: Specified signature is not "
        "matched with our calculation. (request id 7B2E8A8C-3C1A-5B5E-9F14-2D4C6F0E1A2B)"
    )
    assert error.request_id == "7B2E8A8C-3C1A-5B5E-9F14-2D4C6F0E1A2B"


def test_a_body_that_is_not_pai_json_keeps_its_start_and_the_header_request_id() -> None:
    error = api_error(
        502, b"<html>502 Bad Gateway</html>", headers={"X-Acs-Request-Id": "from-header"}
    )
    assert type(error) is ServerError
    assert error.body_excerpt == "<html>502 Bad Gateway</html>"
    assert error.request_id == "from-header"


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b"{}", b'{"Other": 1}'])
def test_decode_error_body_refuses_what_is_not_an_error_body(body: bytes) -> None:
    assert decode_error_body(body) is None


def test_decode_error_body_reads_every_part() -> None:
    assert decode_error_body(sample("error_signature_handwritten.json")) == ErrorBody(
        code="SignatureDoesNotMatch",
        message="Specified signature is not matched with our calculation.",
        request_id="7B2E8A8C-3C1A-5B5E-9F14-2D4C6F0E1A2B",
        host_id="aiworkspace.cn-hangzhou.aliyuncs.com",
        recommend="https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch&product=AIWorkSpace",
    )
