"""Validate call arguments and encode them as Model Lab query parameters; perform no I/O.

Every function raises `ValueError` or `TypeError` with the argument's name, so a
bad call fails before any request is sent.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping

__all__ = [
    "MAX_PAGE_SIZE",
    "Query",
    "boolean",
    "build_query",
    "choice",
    "id_list",
    "id_sequence",
    "key_values",
    "non_negative",
    "optional_id",
    "page_size",
    "positive",
    "positive_id",
    "required_text",
    "sort_order",
    "text",
]

#: A query string as ordered (name, value) pairs; names keep their literal brackets.
Query = tuple[tuple[str, str], ...]

MAX_PAGE_SIZE = 100
_DIGITS = re.compile(r"[0-9]+")
_KEY_VALUE = re.compile(r"[^,:]+:[^,]*")


def build_query(*pairs: tuple[str, str | None]) -> Query:
    """Build a query from pairs, dropping the ones whose value is `None`."""
    return tuple((name, value) for name, value in pairs if value is not None)


def positive_id(value: int | str, name: str) -> str:
    """Check an id (a positive integer, or a string of digits such as `"42"`) and encode it."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"{name} must be a positive integer, got {type(value).__name__}")
    text = value.strip() if isinstance(value, str) else str(value)
    if not _DIGITS.fullmatch(text) or int(text) <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return str(int(text))


def positive(value: int, name: str) -> int:
    """Check a count that must be at least 1, such as a concurrency."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return value


def non_negative(value: int, name: str) -> int:
    """Check a count or page number that may be zero."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def page_size(value: int) -> int:
    """Check a page size: 1 to 100, the service's maximum."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"page_size must be an int, got {type(value).__name__}")
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {value}")
    return value


def optional_id(value: int | str | None, name: str) -> str | None:
    """Check an id that may be left out."""
    return None if value is None else positive_id(value, name)


def choice(
    value: str | None, allowed: Collection[str], name: str, *, required: bool = False
) -> str | None:
    """Check that a string is one of the documented values."""
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(sorted(allowed))}; got {value!r}")
    return str(value)


def sort_order(value: str | None, fields: Collection[str]) -> str | None:
    """Check a sort: a documented field, optionally prefixed with `-` for descending."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"sort must be a str, got {type(value).__name__}")
    if value.removeprefix("-") not in fields:
        raise ValueError(
            f"sort must be one of {', '.join(sorted(fields))}, optionally prefixed with '-'; "
            f"got {value!r}"
        )
    return value


def text(value: str | None, name: str) -> str | None:
    """Check an optional free-text argument."""
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    return value


def required_text(value: object, name: str) -> str:
    """Check a free-text argument that must not be empty."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty str, got {value!r}")
    return value


def boolean(value: bool | None, name: str) -> str | None:
    """Encode a flag as the `true` / `false` the service expects."""
    if value is None:
        return None
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return "true" if value else "false"


def _scalar(value: object, name: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise TypeError(f"{name} values must be str, int, float or bool, got {type(value).__name__}")


def _is_key(key: object) -> bool:
    return isinstance(key, str) and bool(key) and "," not in key and ":" not in key


def key_values(value: Mapping[str, object] | str | None, name: str) -> str | None:
    """Encode tags or params: `{"model": "opus", "lr": ">0.5"}` -> `model:opus,lr:>0.5`.

    A string is taken as already encoded (`"model:opus,lr:>0.5"`) and checked for shape.
    """
    if value is None:
        return None
    if isinstance(value, str):
        if not all(_KEY_VALUE.fullmatch(part.strip()) for part in value.split(",")):
            raise ValueError(f"{name} must look like 'key:value,key2:value2'; got {value!r}")
        return value
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a dict or a 'key:value,...' string")
    if not value:
        return None
    encoded = []
    for key, item in value.items():
        text = _scalar(item, name)
        if not _is_key(key):
            raise ValueError(
                f"{name} keys must be non-empty strings without ',' or ':'; got {key!r}"
            )
        if "," in text:
            raise ValueError(f"{name} values must not contain ','; got {text!r} for {key!r}")
        encoded.append(f"{key}:{text}")
    return ",".join(encoded)


def id_sequence(ids: Iterable[int | str], name: str = "ids") -> list[str]:
    """Check every id of a collection, before anything is sent."""
    if isinstance(ids, (str, bytes)):
        raise TypeError(f"{name} must be a list of ids, not a single string")
    return [positive_id(one, name) for one in ids]


def id_list(ids: Iterable[int | str] | None, name: str = "ids") -> str | None:
    """Encode ids as the comma-separated list of `filter[id]`: `[1, 2]` -> `1,2`."""
    if ids is None:
        return None
    encoded = id_sequence(ids, name)
    if not encoded:
        raise ValueError(f"{name} must not be empty")
    return ",".join(encoded)
