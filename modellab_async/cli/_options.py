"""Options shared by commands: listing filters (one table for runs and projects) and output.

Each filter option is named after the keyword argument of `runs.list` or
`projects.list` that it feeds, and its callback converts the command-line
value to what that argument takes, so a listing command passes them on as is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import click

from .. import RunStatus
from ..resources.projects import SORT_FIELDS as PROJECT_SORT_FIELDS
from ..resources.runs import SORT_FIELDS as RUN_SORT_FIELDS
from ._output import Format

__all__ = [
    "LISTING_OPTIONS",
    "PROJECT_OPTIONS",
    "RUN_OPTIONS",
    "choice",
    "listing_options",
    "output_options",
]

F = TypeVar("F", bound=Callable[..., Any])


def _key_values(_ctx: click.Context, _param: click.Parameter, value: Sequence[str]) -> str | None:
    """Join repeated `--tag k:v` values into the `k:v,k2:v2` form the library takes."""
    return ",".join(value) if value else None


def _id_list(
    _ctx: click.Context, _param: click.Parameter, value: Sequence[int]
) -> list[int] | None:
    return list(value) if value else None


_ID = click.IntRange(min=1)


def choice(values: Iterable[str]) -> click.Choice[str]:
    """Return a case-insensitive choice among `values` (`--status Completed` is `completed`)."""
    return click.Choice(list(values), case_sensitive=False)


def _sort_option(fields: Iterable[str]) -> Callable[[F], F]:
    names = ", ".join(sorted(fields))
    return click.option(
        "--sort", metavar="FIELD", help=f"FIELD, or -FIELD for descending: one of {names}."
    )


#: Every listing option, keyed by the library keyword argument it feeds (`project_sort`
#: feeds `sort` with the fields projects sort by).
LISTING_OPTIONS: dict[str, Callable[[F], F]] = {
    "ids": click.option(
        "--id",
        "ids",
        type=_ID,
        multiple=True,
        callback=_id_list,
        help="Only this run (repeatable).",
    ),
    "query": click.option("--query", "-q", help="Text searched in names and descriptions."),
    "owner_id": click.option("--owner", "owner_id", metavar="UUID", help="The owner's id."),
    "status": click.option("--status", type=choice(str(s) for s in RunStatus), help="Run status."),
    "project_id": click.option("--project", "project_id", type=_ID, help="Runs of this project."),
    "tags": click.option(
        "--tag",
        "tags",
        metavar="KEY:VALUE",
        multiple=True,
        callback=_key_values,
        help="A tag every result has (repeatable).",
    ),
    "params": click.option(
        "--param",
        "params",
        metavar="KEY:VALUE",
        multiple=True,
        callback=_key_values,
        help="A param every run has; VALUE may be a comparison such as '>0.5' (repeatable).",
    ),
    "parent_run_id": click.option("--parent", "parent_run_id", type=_ID, help="Children of a run."),
    "root_only": click.option("--root-only", is_flag=True, help="Only runs without a parent."),
    "pinned_first": click.option(
        "--pinned-first/--no-pinned-first", default=None, help="Pinned runs first."
    ),
    "include_pinned": click.option(
        "--include-pinned", is_flag=True, default=None, help="Add every pinned run."
    ),
    "include_descendant_matches": click.option(
        "--include-descendant-matches",
        is_flag=True,
        default=None,
        help="Add runs whose descendants match.",
    ),
    "sort": _sort_option(RUN_SORT_FIELDS),
    "project_sort": _sort_option(PROJECT_SORT_FIELDS),
    "limit": click.option("--limit", type=click.IntRange(min=0), help="Stop after this many."),
    "page_size": click.option(
        "--page-size", type=click.IntRange(1, 100), help="Items per request (default 100)."
    ),
    "start_page": click.option(
        "--start-page", type=click.IntRange(min=0), help="Page number to start from."
    ),
    "concurrency": click.option(
        "--concurrency",
        type=click.IntRange(min=1),
        default=1,
        show_default=True,
        help="Pages fetched at once.",
    ),
}

RUN_OPTIONS = tuple(name for name in LISTING_OPTIONS if name != "project_sort")
PROJECT_OPTIONS = ("query", "owner_id", "tags", "project_sort", "limit", "page_size", "start_page")


def listing_options(names: Sequence[str]) -> Callable[[F], F]:
    """Add the listing options `names` (keys of `LISTING_OPTIONS`) to a command, in order."""

    def decorate(command: F) -> F:
        for name in reversed(names):
            command = LISTING_OPTIONS[name](command)
        return command

    return decorate


def output_options(*, parquet: bool = False) -> Callable[[F], F]:
    """Add `--format` and `--output`, passed as `fmt` and `output` (see `Output.resolve`).

    Listings of runs and projects (`parquet=True`) may also be written as Parquet.
    """
    formats = [f for f in Format if parquet or f is not Format.PARQUET]
    format_option = click.option(
        "--format",
        "fmt",
        type=choice(str(f) for f in formats),
        help="Output format (default: table on a terminal, else jsonl).",
    )
    output_option = click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False, allow_dash=True),
        default="-",
        show_default=True,
        help="File to write; - is stdout.",
    )

    def decorate(command: F) -> F:
        return format_option(output_option(command))

    return decorate
