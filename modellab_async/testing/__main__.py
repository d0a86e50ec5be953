"""Serve a fake Model Lab API from the command line until interrupted.

python -m modellab_async.testing --port 8126 --runs 10000 --rate-limit 100/10
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Sequence

from ._faults import FaultPlan
from ._ratelimit import RateLimit
from ._server import FakeModelLab


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m modellab_async.testing",
        description="Serve a fake Model Lab API (v2, preview) until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument("--port", type=int, default=8126, help="port (0 picks a free one)")
    parser.add_argument("--runs", type=int, default=1000, help="number of generated runs")
    parser.add_argument("--projects", type=int, default=10, help="number of generated projects")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated data")
    parser.add_argument(
        "--page-base", type=int, choices=(0, 1), default=0, help="number of the first page"
    )
    parser.add_argument("--link-host", help="origin written in pagination links")
    parser.add_argument(
        "--rate-limit",
        type=RateLimit.parse,
        metavar="N/PERIOD",
        help="allow N requests per API key every PERIOD seconds",
    )
    return parser


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeModelLab(
        runs=args.runs,
        projects=args.projects,
        seed=args.seed,
        page_base=args.page_base,
        link_host=args.link_host,
        rate_limit=args.rate_limit,
        faults=FaultPlan(seed=args.seed),
        host=args.host,
        port=args.port,
    )
    async with fake:
        sys.stdout.write(
            f"Fake Model Lab API serving {args.runs} runs at {fake.url}\n"
            f"DD_API_KEY={fake.api_key}\n"
            f"DD_APP_KEY={fake.app_key}\n"
            "Press Ctrl-C to stop.\n"
        )
        sys.stdout.flush()
        await asyncio.Event().wait()


def main(argv: Sequence[str] | None = None) -> None:
    """Parse `argv` and serve until Ctrl-C."""
    args = _parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
