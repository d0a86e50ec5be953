"""The modellab_fake fixture and marker, in inner pytest sessions under anyio and pytest-asyncio."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

# Shared by the inner sessions' tests: the first page of a listing, as the fake serves it.
_INNER_CONFTEST = """
import aiohttp


async def first_page(fake, path="/runs"):
    headers = {"DD-API-KEY": fake.api_key, "DD-APPLICATION-KEY": fake.app_key}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.get(f"{fake.url}/api/v2/model-lab-api{path}") as response:
            return response.status, response.headers, await response.json()
"""

_DEFAULT_FAKE = """
import pytest

from modellab_async.testing import FakeModelLab


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def check(fake):
    from conftest import first_page

    assert isinstance(fake, FakeModelLab)
    status, _, body = await first_page(fake)
    assert status == 200
    assert body["meta"]["page"]["total"] == len(fake.runs())
    assert len(fake.dataset.runs) == 200


@pytest.mark.anyio
async def test_under_anyio(modellab_fake):
    await check(modellab_fake)
"""

_UNDER_PYTEST_ASYNCIO = """

@pytest.mark.asyncio
async def test_under_pytest_asyncio(modellab_fake):
    await check(modellab_fake)
"""

_CONFIGURED_FAKE = """
import pytest

from modellab_async.testing import Fault, RateLimit, ServerError, generate_dataset

pytestmark = [
    pytest.mark.modellab_fake(
        runs=7,
        projects=1,
        seed=5,
        page_base=1,
        rate_limit=RateLimit(50, 10.0),
        faults=[Fault(ServerError(status=503), route="list_runs", times=1)],
    ),
    pytest.mark.{plugin},
]


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.parametrize("attempt", [1, 2])
async def test_the_marker_chooses_the_fake(modellab_fake, attempt):
    from conftest import first_page

    expected = generate_dataset(runs=7, projects=1, seed=5)
    assert [run.name for run in modellab_fake.runs()] == [
        run.name for run in expected.runs if run.deleted_at is None
    ]
    # Each test gets a fresh plan from the list of faults: each first sees the 503.
    assert (await first_page(modellab_fake))[0] == 503
    status, headers, body = await first_page(modellab_fake)
    assert status == 200
    assert headers["X-RateLimit-Limit"] == "50"
    assert body["meta"]["page"]["first_number"] == 1


@pytest.mark.modellab_fake(runs=3, projects=1)
async def test_the_closest_marker_wins(modellab_fake):
    assert len(modellab_fake.dataset.runs) == 3
"""

_STRICT = "[pytest]\nfilterwarnings = error\nasyncio_default_fixture_loop_scope = function\n"


def _needs_pytest_asyncio() -> None:
    pytest.importorskip("pytest_asyncio")


def test_anyio_plugin_alone(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(_INNER_CONFTEST)
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    pytester.makepyfile(test_inner=_DEFAULT_FAKE)
    result = pytester.runpytest("-p", "no:asyncio", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_anyio_and_pytest_asyncio_in_strict_mode(pytester: pytest.Pytester) -> None:
    _needs_pytest_asyncio()
    pytester.makeconftest(_INNER_CONFTEST)
    pytester.makeini(_STRICT)
    pytester.makepyfile(test_inner=_DEFAULT_FAKE + _UNDER_PYTEST_ASYNCIO)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_pytest_asyncio_in_auto_mode(pytester: pytest.Pytester) -> None:
    _needs_pytest_asyncio()
    pytester.makeconftest(_INNER_CONFTEST)
    pytester.makeini(_STRICT + "asyncio_mode = auto\n")
    unmarked = _DEFAULT_FAKE.replace("@pytest.mark.anyio\n", "").replace("under_anyio", "unmarked")
    pytester.makepyfile(test_inner=unmarked)
    result = pytester.runpytest("-p", "no:anyio", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize("plugin", ["anyio", "asyncio"])
def test_the_marker_configures_the_fake(pytester: pytest.Pytester, plugin: str) -> None:
    if plugin == "asyncio":
        _needs_pytest_asyncio()
    pytester.makeconftest(_INNER_CONFTEST)
    pytester.makeini(_STRICT if plugin == "asyncio" else "[pytest]\nfilterwarnings = error\n")
    pytester.makepyfile(test_inner=_CONFIGURED_FAKE.replace("{plugin}", plugin))
    options = ["--strict-markers", "-p", "no:cacheprovider"]
    result = pytester.runpytest(*options, *([] if plugin == "asyncio" else ["-p", "no:asyncio"]))
    result.assert_outcomes(passed=3)


def test_a_synchronous_test_is_told_what_to_mark(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner="def test_sync(modellab_fake):\n    pass\n")
    result = pytester.runpytest("-p", "no:asyncio", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*mark the test with @pytest.mark.anyio*pytest.mark.asyncio*"])
