"""Argument validation and query encoding, without a server."""

from __future__ import annotations

import pytest

from modellab_async._core import _params as p


@pytest.mark.parametrize(
    ("value", "expected"), [(1, "1"), (42, "42"), ("42", "42"), (" 7 ", "7"), ("007", "7")]
)
def test_positive_ids_are_accepted_as_ints_or_digit_strings(
    value: int | str, expected: str
) -> None:
    assert p.positive_id(value, "run_id") == expected


@pytest.mark.parametrize("value", [0, -1, "0", "-3", "4.5", "abc", "", "1e3"])
def test_bad_ids_raise_value_error_naming_the_argument(value: int | str) -> None:
    with pytest.raises(ValueError, match="run_id must be a positive integer"):
        p.positive_id(value, "run_id")


@pytest.mark.parametrize("value", [True, 4.0, None, b"1"])
def test_ids_of_the_wrong_type_raise_type_error(value: object) -> None:
    with pytest.raises(TypeError, match="run_id"):
        p.positive_id(value, "run_id")  # type: ignore[arg-type]


def test_optional_id() -> None:
    assert p.optional_id(None, "x") is None
    assert p.optional_id("5", "x") == "5"


@pytest.mark.parametrize("size", [1, 50, 100])
def test_page_sizes_from_1_to_100(size: int) -> None:
    assert p.page_size(size) == size


@pytest.mark.parametrize("size", [0, 101, -5])
def test_page_sizes_out_of_range(size: int) -> None:
    with pytest.raises(ValueError, match="between 1 and 100"):
        p.page_size(size)


@pytest.mark.parametrize("value", [True, "10", 2.0])
def test_counts_must_be_ints(value: object) -> None:
    with pytest.raises(TypeError):
        p.non_negative(value, "limit")  # type: ignore[arg-type]


def test_counts_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="limit must be >= 0"):
        p.non_negative(-1, "limit")


def test_choice() -> None:
    assert p.choice("tag", {"tag"}, "facet_type") == "tag"
    assert p.choice(None, {"tag"}, "facet_type") is None
    with pytest.raises(ValueError, match="facet_type must be one of metric, tag"):
        p.choice("nope", {"tag", "metric"}, "facet_type")
    with pytest.raises(TypeError):
        p.choice(None, {"tag"}, "facet_type", required=True)
    with pytest.raises(TypeError):
        p.choice(3, {"tag"}, "facet_type")  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["name", "-name", "duration", "-updated_at"])
def test_sort_accepts_documented_fields_with_optional_minus(value: str) -> None:
    assert p.sort_order(value, {"name", "duration", "updated_at"}) == value


@pytest.mark.parametrize("value", ["+name", "--name", "size", "", "name,-duration"])
def test_sort_rejects_other_fields(value: str) -> None:
    with pytest.raises(ValueError, match="sort must be one of"):
        p.sort_order(value, {"name", "duration"})


def test_sort_none_and_wrong_type() -> None:
    assert p.sort_order(None, {"name"}) is None
    with pytest.raises(TypeError):
        p.sort_order(1, {"name"})  # type: ignore[arg-type]


def test_booleans_go_out_as_true_and_false() -> None:
    assert p.boolean(True, "x") == "true"
    assert p.boolean(False, "x") == "false"
    assert p.boolean(None, "x") is None
    with pytest.raises(TypeError, match="x must be a bool"):
        p.boolean(1, "x")  # type: ignore[arg-type]


def test_key_values_from_a_dict() -> None:
    encoded = p.key_values(
        {"lr": ">0.5", "batch": 32, "amp": True, "beta": 0.9, "opt": "adam"}, "params"
    )
    assert encoded == "lr:>0.5,batch:32,amp:true,beta:0.9,opt:adam"
    assert p.key_values({}, "tags") is None
    assert p.key_values(None, "tags") is None


@pytest.mark.parametrize(
    "raw", ["model:opus", "model:opus,stage:prod", "lr:>0.5,ok:true", "lr:<=1e-3"]
)
def test_key_values_raw_strings_pass_through(raw: str) -> None:
    assert p.key_values(raw, "params") == raw


@pytest.mark.parametrize("raw", ["model", "model:opus,", ":opus", "a:b,,c:d"])
def test_key_values_raw_strings_are_checked(raw: str) -> None:
    with pytest.raises(ValueError, match="key:value"):
        p.key_values(raw, "tags")


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({"a,b": "x"}, ValueError),
        ({"a:b": "x"}, ValueError),
        ({"": "x"}, ValueError),
        ({"a": "x,y"}, ValueError),
        ({"a": None}, TypeError),
        ({"a": [1]}, TypeError),
        (["a:b"], TypeError),
    ],
)
def test_key_values_dicts_are_checked(value: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        p.key_values(value, "tags")  # type: ignore[arg-type]


def test_id_lists() -> None:
    assert p.id_list([1, "2", 3]) == "1,2,3"
    assert p.id_list(iter([5])) == "5"
    assert p.id_list(None) is None
    with pytest.raises(ValueError, match="must not be empty"):
        p.id_list([])
    with pytest.raises(TypeError, match="not a single string"):
        p.id_list("1,2")
    with pytest.raises(ValueError, match="positive integer"):
        p.id_list([1, 0])


def test_text() -> None:
    assert p.text(None, "q") is None
    assert p.text("x", "q") == "x"
    with pytest.raises(TypeError):
        p.text(1, "q")  # type: ignore[arg-type]
    assert p.required_text("x", "q") == "x"
    with pytest.raises(ValueError, match="non-empty"):
        p.required_text("", "q")


def test_build_query_drops_missing_values_and_keeps_order() -> None:
    assert p.build_query(("b", "1"), ("a", None), ("c", "")) == (("b", "1"), ("c", ""))
