"""Decoding one 100-run page into typed objects, and what `gc=False` saves.

Measured in this process (decoding does no I/O): each decoder is timed in
turn, the order rotating between repetitions.
"""

from __future__ import annotations

import gc
import json
import operator
import time
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any, get_args, get_origin

import msgspec

from modellab_async.models import Page, Run

from ._data import PAGE_SIZE, sample_page
from ._harness import Spread, spread
from ._report import Section, check, seconds, show, show_seconds, table
from ._settings import Settings

__all__ = ["DECODERS", "SlimRun", "run", "with_gc"]

Decode = Callable[[bytes], object]


class _RunSummary(msgspec.Struct, gc=False):
    name: str
    status: str
    updated_at: str


class SlimRun(msgspec.Struct, gc=False):
    """The fields a typical pipeline reads: what `Paginator.decode_into` is for."""

    id: str
    attributes: _RunSummary


def with_gc(type_: Any, clones: dict[Any, Any] | None = None) -> Any:
    """Return `type_` with every msgspec Struct in it rebuilt with `gc=True`, else identical.

    Handles what the models use: Structs (generic ones through their
    parametrised alias), `list[...]`, unions and plain types. Fields keep
    their names, wire names, types (rebuilt likewise) and defaults.
    """
    clones = {} if clones is None else clones
    if type_ in clones:
        return clones[type_]
    origin = get_origin(type_)
    struct = origin if origin is not None else type_
    if isinstance(struct, type) and issubclass(struct, msgspec.Struct):
        config = struct.__struct_config__
        fields = msgspec.structs.fields(type_)
        clone = msgspec.defstruct(
            f"{struct.__name__}WithGC",
            [_field_spec(field, clones) for field in fields],
            kw_only=True,  # as the library's `Model` base; StructConfig does not expose it
            frozen=config.frozen,
            forbid_unknown_fields=config.forbid_unknown_fields,
            rename={field.name: field.encode_name for field in fields},
            gc=True,
        )
        clones[type_] = clone
        return clone
    if origin is list:
        return list[with_gc(get_args(type_)[0], clones)]  # type: ignore[misc]
    if isinstance(type_, types.UnionType):
        return reduce(operator.or_, (with_gc(arg, clones) for arg in get_args(type_)))
    return type_


def _field_spec(
    field: msgspec.structs.FieldInfo, clones: dict[Any, Any]
) -> tuple[str, Any] | tuple[str, Any, Any]:
    kind = with_gc(field.type, clones)
    if field.default is not msgspec.NODEFAULT:
        return (field.name, kind, field.default)
    if field.default_factory is not msgspec.NODEFAULT:
        return (field.name, kind, msgspec.field(default_factory=field.default_factory))
    return (field.name, kind)


def _msgspec(type_: Any) -> Decode:
    return msgspec.json.Decoder(type_).decode


def _pydantic() -> Decode:
    from ._pydantic_models import RunsPage  # noqa: PLC0415  # only this scenario needs pydantic

    return RunsPage.model_validate_json


def _official() -> Decode:
    from ._official import page_decoder  # noqa: PLC0415  # only this scenario needs it

    return page_decoder()


@dataclass(frozen=True)
class Decoder:
    """One way of turning a page body into objects; `build` returns the decode function."""

    name: str
    label: str
    build: Callable[[], Decode]


DECODERS = (
    Decoder("modellab", "modellab_async models (msgspec, gc=False)", lambda: _msgspec(Page[Run])),
    Decoder("gc", "the same models rebuilt with gc=True", lambda: _msgspec(with_gc(Page[Run]))),
    Decoder(
        "slim",
        "a slim model: id, name, status, updated_at (`decode_into`)",
        lambda: _msgspec(Page[SlimRun]),
    ),
    Decoder(
        "raw",
        "each run kept as raw JSON (`decode_into(msgspec.Raw)`)",
        lambda: _msgspec(Page[msgspec.Raw]),
    ),
    Decoder("pydantic", "pydantic v2 models of the same schema", _pydantic),
    Decoder("official", "datadog-api-client models (`deserialize`)", _official),
    Decoder("json", "`json.loads` into dicts (reference, untyped)", lambda: json.loads),
)


def _time_per_call(decode: Decode, body: bytes, loops: int) -> float:
    start = time.perf_counter()
    for _ in range(loops):
        decode(body)
    return (time.perf_counter() - start) / loops


def _loops_for(decode: Decode, body: bytes, budget: float) -> int:
    """Return how many calls fill about `budget` seconds (at least 1, at most 10,000)."""
    once = _time_per_call(decode, body, 1)
    return max(1, min(10_000, int(budget / max(once, 1e-9))))


def _time_retained(decode: Decode, body: bytes, pages: int) -> float:
    """Decode `pages` pages and keep them all, as `collect()` would; return the seconds."""
    gc.collect()
    start = time.perf_counter()
    kept = [decode(body) for _ in range(pages)]
    elapsed = time.perf_counter() - start
    del kept
    return elapsed


def _interleaved(
    decoders: Sequence[tuple[str, Decode]],
    repetitions: int,
    measure: Callable[[str, Decode], float],
) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {name: [] for name, _ in decoders}
    for repetition in range(repetitions):
        shift = repetition % len(decoders)
        for name, decode in (*decoders[shift:], *decoders[:shift]):
            timings[name].append(measure(name, decode))
    return timings


def _ratio(timings: dict[str, list[float]], slow: str, fast: str) -> Spread | None:
    return spread([a / b for a, b in zip(timings[slow], timings[fast], strict=True)])


def run(settings: Settings, progress: Callable[[str], None]) -> Section:
    """Time each decoder on one page, then the gc pair on many retained pages."""
    body = sample_page()
    decoders = [(d.name, d.build()) for d in DECODERS]
    loops = {name: _loops_for(decode, body, settings.decode_seconds) for name, decode in decoders}
    by_decoder = dict(decoders)
    per_page = _interleaved(
        decoders,
        settings.repetitions,
        lambda name, decode: _time_per_call(decode, body, loops[name]),
    )
    progress(f"decode: {', '.join(f'{n} {seconds(min(t))}' for n, t in per_page.items())}")
    pair = [(name, by_decoder[name]) for name in ("modellab", "gc")]
    retained = _interleaved(
        pair,
        settings.repetitions,
        lambda _, decode: _time_retained(decode, body, settings.retained_pages),
    )
    rows = [
        [
            d.label,
            show_seconds(spread(per_page[d.name])),
            show(spread([PAGE_SIZE / t for t in per_page[d.name]]), suffix="/s"),
            show(_ratio(per_page, d.name, "modellab"), ".1f", "x"),
        ]
        for d in DECODERS
    ]
    official = _ratio(per_page, "official", "modellab")
    gc_cost = _ratio(retained, "gc", "modellab")
    target = check(
        "page decode >= 50x faster than the official client's models",
        official,
        50.0,
        show(official, ",.0f", "x"),
    )
    retained_runs = settings.retained_pages * PAGE_SIZE
    intro = (
        f"One {len(body) / 1000:.0f} KB page of 100 runs, decoded from bytes; "
        f"{settings.repetitions} interleaved repetitions of about "
        f"{settings.decode_seconds:g} s each (at least one call)."
    )
    gc_text = (
        f"Decoding {settings.retained_pages:,} pages and keeping all {retained_runs:,} runs "
        f"alive (as `collect()` does): gc=False {show_seconds(spread(retained['modellab']))}, "
        f"gc=True {show_seconds(spread(retained['gc']))}; gc=True costs "
        f"{show(gc_cost, '.2f', 'x')} the time."
    )
    header = ["decoder", "time per page", "runs/s", "vs modellab_async"]
    body_text = f"{intro}\n\n{table(header, rows)}\n\n{gc_text}"
    summary = (
        ("Page decode: modellab_async vs official client models", show(official, ",.0f", "x")),
        (
            "Page decode: modellab_async vs pydantic v2",
            show(_ratio(per_page, "pydantic", "modellab"), ".1f", "x"),
        ),
        (f"gc=True vs gc=False, {retained_runs:,} runs kept", show(gc_cost, ".2f", "x")),
        (
            "Page decode: `decode_into` a slim model vs the full models",
            show(_ratio(per_page, "modellab", "slim"), ".1f", "x"),
        ),
        (
            "Page decode: `decode_into(msgspec.Raw)` vs the full models",
            show(_ratio(per_page, "modellab", "raw"), ".1f", "x"),
        ),
    )
    return Section("Decoding one page", body_text, (target,), summary)
