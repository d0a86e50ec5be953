"""Every error survives pickling unchanged: pipelines send them between processes."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest

from modellab_async import Checkpoint, errors
from modellab_async.models.jsonapi import ErrorObject, ErrorSource

CLASSES = [
    cls
    for cls in (getattr(errors, name) for name in errors.__all__)
    if isinstance(cls, type) and issubclass(cls, errors.ModelLabError)
]
CHECKPOINT = Checkpoint(query=(("page[size]", "10"),), page=3, offset=2, last_id="42")


def make(cls: type[errors.ModelLabError]) -> errors.ModelLabError:
    error: errors.ModelLabError
    if issubclass(cls, errors.APIError):
        problem = ErrorObject(
            status="404", title="Not found", detail="no run 7", source=ErrorSource(parameter="id")
        )
        error = cls(
            404,
            [problem, "and a plain one"],
            request_id="req-1",
            method="GET",
            path="/api/v2/model-lab-api/runs/7",
            headers={"Retry-After": "3"},
            code="NotFound",
        )
    else:
        error = cls("GET /api/v2/model-lab-api/runs: it went wrong")
    error.checkpoint = CHECKPOINT
    return error


def state(error: BaseException) -> tuple[Any, ...]:
    return type(error), str(error), repr(error), error.args, vars(error)


def test_every_error_class_is_covered() -> None:
    assert errors.APIError in CLASSES
    assert errors.RequestTimeoutError in CLASSES
    assert len(CLASSES) == len(errors.__all__)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_an_error_survives_pickling_unchanged(cls: type[errors.ModelLabError]) -> None:
    error = make(cls)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert state(pickle.loads(pickle.dumps(error, protocol))) == state(error)
    assert state(copy.deepcopy(error)) == state(error)


def test_an_api_error_keeps_every_attribute_through_pickling() -> None:
    error = make(errors.NotFoundError)
    assert isinstance(error, errors.NotFoundError)
    again = pickle.loads(pickle.dumps(error))
    assert isinstance(again, errors.NotFoundError)
    assert str(again).startswith("HTTP 404 for GET /api/v2/model-lab-api/runs/7: Not found")
    assert (again.status, again.errors, again.request_id) == (404, error.errors, "req-1")
    assert (again.method, again.path, again.code) == ("GET", error.path, "NotFound")
    assert again.headers == {"Retry-After": "3"}
    assert again.checkpoint == CHECKPOINT
