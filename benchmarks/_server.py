"""A loopback page server for the benchmarks, run in its own process.

It answers `GET /api/v2/model-lab-api/runs?page[size]=100&page[number]=N` and
`GET /api/v2/model-lab-api/runs/{id}` with pre-rendered bytes, after an optional
added latency (with jitter), and optionally under a rate limit announced by
Datadog's `X-RateLimit-*` headers, answering 429 past it. A `changing` server
lists distinct runs newest first and moves a share of them to the front on
`POST /bench/touch?share=0.01`; `link_origin` names another server in the
pages' links; `GET /_bench/stats` tells what it served. It listens on 127.0.0.1 only and stops by itself: after a
deadline, after a number of requests, on SIGTERM, or when its parent closes
its stdin (so a crashed runner leaves no server behind).

Run by `page_server()`; by hand: `python -m benchmarks._server --total 1000`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import msgspec
from aiohttp import web

from modellab_async.testing import RateLimit
from modellab_async.testing._ratelimit import FixedWindowLimiter
from modellab_async.testing._render import TOO_MANY_REQUESTS

from ._data import RUNS_PATH, ChangingPages, Listing, PageBodies, SingleRuns

__all__ = ["TOUCH_PATH", "ServedStats", "ServerConfig", "page_server", "served_stats"]

TOUCH_PATH = "/bench/touch"

_READY = "listening on "
_STARTUP_SECONDS = 60.0
_STOP_SECONDS = 5.0
_JSON_HEADERS = {"Content-Type": "application/json"}
STATS_PATH = "/_bench/stats"


@dataclass(frozen=True)
class ServerConfig:
    """What one server serves, and when it gives up on its own."""

    total: int
    latency: float = 0.0
    jitter: float = 0.0
    """Each response waits `latency` plus or minus up to this much, uniformly."""
    rate_limit: int = 0
    """Requests allowed per window of `rate_period` seconds; 0 for no limit."""
    rate_period: float = 10.0
    max_seconds: float = 900.0
    max_requests: int = 2_000_000
    seed: int = 0
    changing: bool = False
    link_origin: str | None = None

    def argv(self) -> list[str]:
        """Return the command line that starts this server."""
        return [
            sys.executable,
            "-m",
            "benchmarks._server",
            f"--total={self.total}",
            f"--latency={self.latency}",
            f"--jitter={self.jitter}",
            f"--rate-limit={self.rate_limit}",
            f"--rate-period={self.rate_period}",
            f"--max-seconds={self.max_seconds}",
            f"--max-requests={self.max_requests}",
            f"--seed={self.seed}",
            *(["--changing"] if self.changing else []),
            *([f"--link-origin={self.link_origin}"] if self.link_origin else []),
        ]


def _bad_request(detail: str) -> web.Response:
    error = {"status": "400", "title": "Bad Request", "detail": detail}
    body = msgspec.json.encode({"errors": [error]})
    return web.Response(status=400, body=body, headers=_JSON_HEADERS)


class ServedStats(msgspec.Struct, frozen=True):
    """What a server answered: requests, the 429s among them, the most handled at once."""

    requests: int = 0
    rate_limited: int = 0
    max_in_flight: int = 0


def _since_first_call() -> Callable[[], float]:
    """Return a clock that reads 0 at its first call, so windows start with the first request."""
    start: float | None = None

    def clock() -> float:
        nonlocal start
        now = time.monotonic()
        if start is None:
            start = now
        return now - start

    return clock


class _App:
    """The request handlers over pre-rendered bodies; counts requests to bound its life."""

    def __init__(self, config: ServerConfig, origin: str, done: asyncio.Event) -> None:
        self._config = config
        self._listing = Listing(total=config.total)
        pages = ChangingPages if config.changing else PageBodies
        self._pages = pages(self._listing, config.link_origin or origin, seed=config.seed)
        self._runs = SingleRuns(origin, seed=config.seed)
        self._done = done
        self._rng = random.Random(config.seed)
        self._limiter = (
            FixedWindowLimiter(
                RateLimit(config.rate_limit, config.rate_period, clock=_since_first_call())
            )
            if config.rate_limit
            else None
        )
        self._served = 0
        self._rate_limited = 0
        self._in_flight = 0
        self._max_in_flight = 0

    async def _answer(self, body: bytes) -> web.Response:
        self._served += 1
        if self._served >= self._config.max_requests:
            self._done.set()
        # Counted on arrival, as a service counts: requests still being answered have
        # spent their share of the window already. A 429 goes back at once.
        decision = self._limiter.hit("benchmark") if self._limiter is not None else None
        headers = _JSON_HEADERS if decision is None else {**_JSON_HEADERS, **decision.headers}
        if decision is not None and not decision.allowed:
            self._rate_limited += 1
            return web.Response(
                status=429, body=msgspec.json.encode(TOO_MANY_REQUESTS), headers=headers
            )
        config = self._config
        self._in_flight += 1
        self._max_in_flight = max(self._max_in_flight, self._in_flight)
        try:
            if config.latency > 0:
                jitter = self._rng.uniform(-config.jitter, config.jitter)
                await asyncio.sleep(max(0.0, config.latency + jitter))
        finally:
            self._in_flight -= 1
        return web.Response(body=body, headers=headers)

    async def stats(self, _: web.Request) -> web.Response:
        """Tell what this server answered so far (not counted itself)."""
        stats = ServedStats(self._served, self._rate_limited, self._max_in_flight)
        return web.Response(body=msgspec.json.encode(stats), headers=_JSON_HEADERS)

    async def list_runs(self, request: web.Request) -> web.Response:
        """Serve one page of the listing (numbered from 0), or the runs `filter[id]` names."""
        query = request.query
        size = query.get("page[size]", "25")
        if size != str(self._listing.size):
            return _bad_request(f"this server only serves page[size]={self._listing.size}")
        if "filter[id]" in query:
            ids = query["filter[id]"].split(",")
            if not all(run_id.isdigit() for run_id in ids) or len(ids) > self._listing.size:
                return _bad_request("filter[id] must list at most page[size] run ids")
            return await self._answer(self._runs.batch([int(run_id) for run_id in ids]))
        try:
            number = int(query.get("page[number]", self._listing.first_number))
        except ValueError:
            return _bad_request("page[number] must be an integer")
        body = self._pages.body(number)
        if body is None:
            return _bad_request(f"page[number] must be within 0..{self._listing.last_number}")
        return await self._answer(body)

    async def touch(self, request: web.Request) -> web.Response:
        """Give a share of the runs (`share`, e.g. 0.01) a newer `updated_at`."""
        if not isinstance(self._pages, ChangingPages):
            return _bad_request("this server's runs do not change")
        try:
            share = float(request.query["share"])
        except (KeyError, ValueError):
            return _bad_request("share must be a number")
        if not 0 < share <= 1:
            return _bad_request("share must be within (0, 1]")
        return await self._answer(msgspec.json.encode({"touched": self._pages.touch(share)}))

    async def get_run(self, request: web.Request) -> web.Response:
        """Serve one run document; every positive integer id exists."""
        run_id = request.match_info["run_id"]
        if not run_id.isdigit() or int(run_id) == 0:
            return _bad_request("run_id must be a positive integer")
        return await self._answer(self._runs.body(int(run_id)))


def _watch_parent(done: asyncio.Event) -> None:
    """Set `done` once stdin reaches end-of-file: the parent closed it, or died."""
    loop = asyncio.get_running_loop()
    fd = sys.stdin.fileno()

    def on_readable() -> None:
        if not os.read(fd, 4096):
            loop.remove_reader(fd)
            done.set()

    loop.add_reader(fd, on_readable)


async def serve(config: ServerConfig) -> None:
    """Serve until the deadline, the request budget, SIGTERM or the parent's going away."""
    done = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, done.set)
    _watch_parent(done)
    sock = socket.create_server(("127.0.0.1", 0), backlog=256)
    port = sock.getsockname()[1]
    handlers = _App(config, f"http://127.0.0.1:{port}", done)
    app = web.Application()
    app.router.add_get(RUNS_PATH, handlers.list_runs)
    app.router.add_get(RUNS_PATH + "/{run_id}", handlers.get_run)
    app.router.add_post(TOUCH_PATH, handlers.touch)
    app.router.add_get(STATS_PATH, handlers.stats)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        print(f"{_READY}{port}", flush=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), timeout=config.max_seconds)
    finally:
        await runner.cleanup()
        sock.close()


@contextlib.contextmanager
def page_server(config: ServerConfig) -> Iterator[str]:
    """Start a server process, yield its origin (`http://127.0.0.1:PORT`), always stop it."""
    process = subprocess.Popen(
        config.argv(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], _STARTUP_SECONDS)
        line = process.stdout.readline() if ready else ""
        if not line.startswith(_READY):
            raise RuntimeError(f"the page server did not start (got {line!r})")
        yield f"http://127.0.0.1:{int(line.removeprefix(_READY))}"
    finally:
        if process.stdin is not None:
            process.stdin.close()  # the server's signal to stop
        try:
            process.wait(timeout=_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def served_stats(origin: str) -> ServedStats:
    """Ask the server at `origin` what it has answered."""
    with urllib.request.urlopen(origin + STATS_PATH, timeout=_STOP_SECONDS) as response:
        return msgspec.json.decode(response.read(), type=ServedStats)


def main(argv: list[str] | None = None) -> None:
    """Parse the command line of `ServerConfig.argv` and serve."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks._server", description=__doc__)
    parser.add_argument("--total", type=int, required=True, help="runs in the listing")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per response")
    parser.add_argument("--jitter", type=float, default=0.0, help="latency varies by up to this")
    parser.add_argument("--rate-limit", type=int, default=0, help="requests per window; 0: none")
    parser.add_argument("--rate-period", type=float, default=ServerConfig.rate_period)
    parser.add_argument("--max-seconds", type=float, default=ServerConfig.max_seconds)
    parser.add_argument("--max-requests", type=int, default=ServerConfig.max_requests)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--changing", action="store_true", help="distinct runs that can change")
    parser.add_argument("--link-origin", help="the origin written in pagination links")
    args = parser.parse_args(argv)
    config = ServerConfig(
        total=args.total,
        latency=args.latency,
        jitter=args.jitter,
        rate_limit=args.rate_limit,
        rate_period=args.rate_period,
        max_seconds=args.max_seconds,
        max_requests=args.max_requests,
        seed=args.seed,
        changing=args.changing,
        link_origin=args.link_origin,
    )
    asyncio.run(serve(config))


if __name__ == "__main__":
    main()
