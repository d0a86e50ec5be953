"""Jobs and their host: outcomes, cancellation, closing; no server involved."""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest

from modellab_async import ClientStateError
from modellab_async._core._tasks import Job, TaskHost, settle

pytestmark = pytest.mark.anyio


async def test_a_job_hands_over_its_result_or_its_error(host: TaskHost) -> None:
    async def answer() -> int:
        await anyio.lowlevel.checkpoint()
        return 42

    async def fail() -> int:
        raise ValueError("no")

    assert await host.spawn(Job[int](), answer).wait() == 42
    failed = host.spawn(Job[int](), fail)
    with pytest.raises(ValueError, match="no"):
        await failed.wait()
    with pytest.raises(ValueError, match="no"):  # as often as asked
        await failed.wait()
    assert failed.done


async def test_a_job_cancelled_before_it_starts_never_runs(host: TaskHost) -> None:
    ran = False

    async def call() -> None:
        nonlocal ran
        ran = True

    job = host.spawn(Job[None](), call)
    job.cancel()
    with pytest.raises(ClientStateError, match="cancelled"):
        await job.wait()
    assert not ran


async def test_cancelling_a_wait_leaves_the_job_running(host: TaskHost) -> None:
    release = anyio.Event()

    async def slow() -> str:
        await release.wait()
        return "done"

    job = host.spawn(Job[str](), slow)
    with anyio.move_on_after(0.01):
        await job.wait()
    assert not job.done
    release.set()
    with anyio.fail_after(5):
        assert await job.wait() == "done"


async def test_settle_stops_every_job_even_while_being_cancelled(host: TaskHost) -> None:
    stopped: list[int] = []

    def forever(number: int) -> Job[None]:
        async def call() -> None:
            try:
                await anyio.sleep_forever()
            finally:
                with anyio.CancelScope(shield=True):
                    await anyio.sleep(0.01)  # cleanup that takes a moment
                stopped.append(number)

        return host.spawn(Job[None](), call)

    jobs = [forever(number) for number in range(3)]
    await anyio.lowlevel.checkpoint()
    with anyio.CancelScope() as scope:
        scope.cancel()
        await settle(jobs)
    assert sorted(stopped) == [0, 1, 2]
    assert all(job.done for job in jobs)


async def test_closing_the_host_cancels_its_jobs_and_refuses_new_ones() -> None:
    host = TaskHost()
    with pytest.raises(ClientStateError, match="closed"):
        host.spawn(Job[None](), anyio.sleep_forever)
    await host.start()
    job = host.spawn(Job[None](), anyio.sleep_forever)
    await anyio.lowlevel.checkpoint()
    with anyio.fail_after(5):
        await host.aclose()
    assert job.done
    with pytest.raises(ClientStateError, match="cancelled"):
        await job.wait()
    with pytest.raises(ClientStateError, match="closed"):
        host.spawn(Job[None](), anyio.sleep_forever)
