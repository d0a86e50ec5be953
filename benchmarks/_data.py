"""Build realistic Model Lab run documents and page bodies, deterministically from a seed.

A page body is rendered once as three parts: an opening, the `data` array and a
closing holding `links` and `meta`. The `data` arrays come from a small set of
distinct pages reused in turn, so listing a million runs costs no more memory
on the server than listing a thousand; the closings carry each page's own numbers.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

__all__ = [
    "PAGE_SIZE",
    "RUNS_PATH",
    "ChangingPages",
    "Listing",
    "PageBodies",
    "SingleRuns",
    "generate_runs",
    "sample_page",
]

PAGE_SIZE = 100
RUNS_PATH = "/api/v2/model-lab-api/runs"

Document = dict[str, Any]

_NOW = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)
_STATUSES = ("completed", "completed", "completed", "failed", "running", "killed", "paused")
_UNFINISHED = frozenset({"running", "paused"})
_MODELS = ("bert-base", "resnet50", "xgboost", "gpt2", "llama-3-8b", "t5-small", "vit-b16")
_DATASETS = ("imagenet-1k", "squad-v2", "clickstream-2026q1", "transactions", "librispeech")
_TEAMS = ("ml-platform", "risk", "growth", "vision", "nlp", "search")
_METRICS = (
    "accuracy",
    "f1",
    "precision",
    "recall",
    "loss",
    "val_loss",
    "learning_rate",
    "grad_norm",
    "throughput_samples_per_s",
    "gpu_memory_gb",
    "epoch_time_s",
    "auc",
)
_ADJECTIVES = ("gentle", "brave", "calm", "eager", "fancy", "jolly", "lucky", "silent", "witty")
_ANIMALS = ("lark", "otter", "panda", "lynx", "heron", "koala", "moose", "gecko", "finch")


def _timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _metric(rng: random.Random, key: str) -> Document:
    low = rng.uniform(0.0, 0.5)
    high = rng.uniform(low, 1.0)
    steps = rng.randrange(100, 50_000)
    return {
        "key": key,
        "count": steps,
        "min": low,
        "max": high,
        "mean": rng.uniform(low, high),
        "latest": rng.uniform(low, high),
        "stddev": rng.uniform(0.0, high - low),
        "first_step": 0,
        "last_step": steps - 1,
    }


def _run(rng: random.Random, run_id: int, owners: list[str]) -> Document:
    created = _NOW - timedelta(seconds=rng.randrange(1, 180 * 86_400))
    started = created + timedelta(seconds=rng.randrange(0, 120), microseconds=rng.randrange(10**6))
    duration = rng.uniform(60.0, 86_400.0)
    completed = started + timedelta(seconds=duration)
    status = rng.choice(_STATUSES)
    model = rng.choice(_MODELS)
    name = f"{rng.choice(_ADJECTIVES)}-{rng.choice(_ANIMALS)}-{rng.randrange(1000)}"
    project_id = rng.randrange(1, 40)
    params = [
        {"key": "learning_rate", "value": repr(rng.choice((1e-5, 3e-5, 1e-4, 3e-4, 1e-3)))},
        {"key": "batch_size", "value": str(rng.choice((16, 32, 64, 128, 256)))},
        {"key": "optimizer", "value": rng.choice(("adam", "adamw", "sgd", "lion"))},
        {"key": "model_name", "value": model},
        {"key": "epochs", "value": str(rng.randrange(1, 50))},
        {"key": "use_amp", "value": rng.choice(("true", "false"))},
    ]
    attributes: Document = {
        "project_id": project_id,
        "name": name,
        "description": f"Fine-tune {model} on {rng.choice(_DATASETS)} with a sweep.",
        "status": status,
        "mlflow_artifact_location": f"s3://ml-artifacts/projects/{project_id}/runs/{run_id}",
        "started_at": _timestamp(started),
        "created_at": _timestamp(created),
        "updated_at": _timestamp(completed + timedelta(seconds=1)),
        "completed_at": _timestamp(completed),
        "duration": duration,
        "owner_id": rng.choice(owners),
        "external_url": f"https://github.com/acme/experiments/pull/{rng.randrange(1, 9000)}",
        "tags": [
            {"key": "model", "value": model},
            {"key": "stage", "value": rng.choice(("dev", "staging", "prod"))},
            {"key": "team", "value": rng.choice(_TEAMS)},
            {"key": "dataset", "value": rng.choice(_DATASETS)},
        ],
        "params": params,
        "metric_summaries": [_metric(rng, key) for key in rng.sample(_METRICS, 7)],
        "is_pinned": rng.random() < 0.05,
        "has_children": rng.random() < 0.2,
        "descendant_match": False,
    }
    if status in _UNFINISHED:
        del attributes["completed_at"], attributes["duration"]
    return {"id": str(run_id), "type": "runs", "attributes": attributes}


def generate_runs(count: int, *, seed: int = 0, first_id: int = 1) -> list[Document]:
    """Return `count` run resources with ids from `first_id`, identical for the same seed."""
    rng = random.Random(seed)
    owners = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(8)]
    return [_run(rng, run_id, owners) for run_id in range(first_id, first_id + count)]


@dataclass(frozen=True)
class Listing:
    """A listing of `total` runs in pages of `size`, numbered from 0 as the service does."""

    total: int
    size: int = PAGE_SIZE
    first_number: int = 0

    @property
    def last_number(self) -> int:
        """The number of the last page (the first one when the listing is empty)."""
        return self.first_number + max(0, math.ceil(self.total / self.size) - 1)

    def page_length(self, number: int) -> int:
        """Return how many runs page `number` holds."""
        start = (number - self.first_number) * self.size
        return max(0, min(self.size, self.total - start))

    def meta(self, number: int) -> Document:
        """Return `meta.page` of page `number`, every field as the service sends it."""
        last = self.last_number
        return {
            "number": number,
            "size": self.size,
            "total": self.total,
            "first_number": self.first_number,
            "last_number": last,
            "next_number": number + 1 if number < last else None,
            "prev_number": number - 1 if number > self.first_number else None,
            "type": "number_size",
        }

    def links(self, origin: str, number: int) -> Document:
        """Return absolute `links` with literal brackets; `next`/`prev` only where they exist."""

        def link(page: int) -> str:
            return f"{origin}{RUNS_PATH}?page[number]={page}&page[size]={self.size}"

        links = {
            "self": f"{origin}{RUNS_PATH}",
            "first": link(self.first_number),
            "last": link(self.last_number),
        }
        if number < self.last_number:
            links["next"] = link(number + 1)
        if number > self.first_number:
            links["prev"] = link(number - 1)
        return links

    def closings(self, origin: str) -> list[bytes]:
        """Return what follows each page's `data` array: its `links` and `meta`, closed."""
        encode = msgspec.json.encode
        return [
            b',"links":'
            + encode(self.links(origin, number))
            + b',"meta":{"page":'
            + encode(self.meta(number))
            + b"}}"
            for number in range(self.first_number, self.last_number + 1)
        ]


class PageBodies:
    """Pre-rendered page bodies of a listing: a few distinct `data` arrays, every page's numbers.

    Only pages of full length reuse the distinct arrays; a short last page gets
    a prefix of one of them.
    """

    def __init__(self, listing: Listing, origin: str, *, distinct: int = 8, seed: int = 0) -> None:
        self.listing = listing
        runs = generate_runs(listing.size * distinct, seed=seed)
        encode = msgspec.json.encode
        size = listing.size
        self._arrays = [encode(runs[i * size : (i + 1) * size]) for i in range(distinct)]
        last = listing.last_number
        short = listing.page_length(last)
        self._last_array = encode(runs[:short]) if short < size else None
        self._closings = listing.closings(origin)

    def body(self, number: int) -> bytes | None:
        """Return the body of page `number`, or `None` if the listing has no such page."""
        index = number - self.listing.first_number
        if not 0 <= index < len(self._closings):
            return None
        array = self._arrays[index % len(self._arrays)]
        if self._last_array is not None and number == self.listing.last_number:
            array = self._last_array
        return b"".join((b'{"data":', array, self._closings[index]))


class ChangingPages:
    """Pages of distinct runs, newest `updated_at` first, some of which `touch` changes.

    Run ids are unique (1 to `total`), as a copy keyed on them needs. Each run
    is one of a few pre-rendered runs with its id and `updated_at` spliced in,
    so bodies cost little memory. `touch(share)` moves that share of the runs,
    evenly spread, to the front with a newer `updated_at`, as changes do on the
    service's `-updated_at` order.
    """

    _ID = "@ID@"
    _UPDATED = "@UPDATED@"

    def __init__(self, listing: Listing, origin: str, *, distinct: int = 8, seed: int = 0) -> None:
        self.listing = listing
        self._templates = [
            self._template(run) for run in generate_runs(listing.size * distinct, seed=seed)
        ]
        self._order = list(range(1, listing.total + 1))
        self._stamps = [b""] + [
            _timestamp(_NOW - timedelta(seconds=position)).encode()
            for position in range(listing.total)
        ]
        self._touched = 0
        self._closings = listing.closings(origin)

    @classmethod
    def _template(cls, run: Document) -> tuple[bytes, bytes, bytes]:
        marked = {
            **run,
            "id": cls._ID,
            "attributes": {**run["attributes"], "updated_at": cls._UPDATED},
        }
        head, _, rest = msgspec.json.encode(marked).partition(cls._ID.encode())
        middle, _, tail = rest.partition(cls._UPDATED.encode())
        return head, middle, tail

    def touch(self, share: float) -> int:
        """Give `share` of the runs a newer `updated_at`, moving them to the front; return how many."""
        step = max(1, round(1 / share))
        touched = self._order[::step]
        self._touched += 1
        moment = _NOW + timedelta(hours=self._touched)
        for position, run_id in enumerate(touched):
            self._stamps[run_id] = _timestamp(moment - timedelta(microseconds=position)).encode()
        moved = set(touched)
        self._order = touched + [run_id for run_id in self._order if run_id not in moved]
        return len(touched)

    def body(self, number: int) -> bytes | None:
        """Return the body of page `number`, or `None` if the listing has no such page."""
        index = number - self.listing.first_number
        if not 0 <= index < len(self._closings):
            return None
        start = index * self.listing.size
        runs = []
        for run_id in self._order[start : start + self.listing.size]:
            head, middle, tail = self._templates[run_id % len(self._templates)]
            runs.append(b"".join((head, str(run_id).encode(), middle, self._stamps[run_id], tail)))
        return b'{"data":[' + b",".join(runs) + b"]" + self._closings[index]


class SingleRuns:
    """Pre-rendered runs by id: a few distinct runs reused, each with the asked-for id spliced in.

    They serve `GET /runs/{id}` and `GET /runs?filter[id]=1,2,...` (one page of
    the runs asked for, as `get_many` batches them).
    """

    def __init__(self, origin: str, *, distinct: int = 16, seed: int = 0) -> None:
        self._origin = origin
        self._parts: list[tuple[bytes, bytes]] = []
        for run in generate_runs(distinct, seed=seed):
            marker = b'"id":"' + run["id"].encode()
            head, _, tail = msgspec.json.encode(run).partition(marker)
            self._parts.append((head + b'"id":"', tail))

    def _resource(self, run_id: int) -> bytes:
        head, tail = self._parts[run_id % len(self._parts)]
        return b"".join((head, str(run_id).encode(), tail))

    def body(self, run_id: int) -> bytes:
        """Return the document of run `run_id` (a positive integer)."""
        return b'{"data":' + self._resource(run_id) + b"}"

    def batch(self, run_ids: list[int]) -> bytes:
        """Return the one page listing exactly `run_ids`, as `filter[id]` asks."""
        listing = Listing(total=len(run_ids), size=max(PAGE_SIZE, len(run_ids)))
        closing = {"links": listing.links(self._origin, 0), "meta": {"page": listing.meta(0)}}
        resources = b",".join(self._resource(run_id) for run_id in run_ids)
        return b'{"data":[' + resources + b"]," + msgspec.json.encode(closing)[1:]


def sample_page(*, seed: int = 0, origin: str = "http://127.0.0.1:8000") -> bytes:
    """Return one full 100-run page body, the input of the decode benchmark."""
    listing = Listing(total=10 * PAGE_SIZE)
    body = PageBodies(listing, origin, distinct=1, seed=seed).body(0)
    assert body is not None  # page 0 of a non-empty listing always exists
    return body
