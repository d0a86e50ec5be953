"""List runs from a local fake Model Lab server with the async client, end to end.

Run it with `python examples/list_runs.py`: it starts the bundled fake server
on 127.0.0.1 with a seeded dataset, then streams runs through the public API.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from modellab_async import ModelLabClient, Run
from modellab_async.testing import FakeModelLab


def final_accuracy(run: Run) -> float:
    """Return the last recorded accuracy of a run, 0 if it recorded none."""
    summaries = run.attributes.metric_summaries
    return max((m.latest or 0.0 for m in summaries if m.key == "accuracy"), default=0.0)


async def main() -> None:
    """Start a fake server and walk through a few listings against it."""
    # 1. A fake Model Lab API on a free loopback port, with 5,000 generated runs.
    async with FakeModelLab(runs=5_000, projects=5, seed=7) as fake:
        # 2. The client, pointed at it; against the real API, drop base_url and
        #    set DD_API_KEY, DD_APP_KEY (and DD_SITE) instead.
        async with ModelLabClient(
            api_key=fake.api_key, app_key=fake.app_key, base_url=fake.url
        ) as client:
            # 3. Every run, 100 per request, 4 pages in flight, in the server's order.
            statuses: Counter[str] = Counter()
            async for run in client.runs.list(concurrency=4):
                statuses[run.attributes.status] += 1
            print(f"{sum(statuses.values())} runs:", dict(statuses.most_common()))

            # 4. The five completed runs of project 1 with the best final accuracy.
            completed = await client.runs.list(project_id=1, status="completed").collect()

            for run in sorted(completed, key=final_accuracy, reverse=True)[:5]:
                params = {p.key: p.value for p in run.attributes.params or []}
                print(f"  run {run.id:>5}  accuracy={final_accuracy(run):.3f}  {params}")

            # 5. The facets of that project.
            keys = await client.runs.facet_keys(1)
            print("facet keys:", keys.attributes.parameters, keys.attributes.tags)
        print(f"{len(fake.requests)} requests served by the fake server")


if __name__ == "__main__":
    asyncio.run(main())
