"""The keys stay secret and the client stays on its origin, under faults and redirects.

Beyond tests/integration/test_client.py: every fault kind of the fault table,
redirects, foreign pagination links under concurrency and faults, plain http,
oversized bodies, and artifact paths that try to climb out of a folder.
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest
from aiohttp import web
from yarl import URL

from modellab_async import (
    ConfigurationError,
    DecodeError,
    ModelLabClient,
    ModelLabError,
    ServerError,
    UnsafeRedirectError,
)
from modellab_async.pai import PAIClient
from modellab_async.testing import FakeModelLab, Fault, ProxyErrorPage
from modellab_async.testing import ServerError as ServerFault
from tests.reference import server_order
from tests.resilience.support import (
    API_KEY,
    APP_KEY,
    FAILING_CASES,
    PATIENT,
    SPENT,
    FaultCase,
    case_id,
    connect,
    leaked_keys,
)
from tests.scripted import API, Listing, ScriptedServer

pytestmark = pytest.mark.anyio


@pytest.fixture
async def small_fake() -> AsyncIterator[FakeModelLab]:
    async with FakeModelLab(
        runs=600, projects=3, seed=8, api_key=API_KEY, app_keys=[APP_KEY]
    ) as fake:
        yield fake


@pytest.fixture
async def scripted() -> AsyncIterator[ScriptedServer]:
    async with ScriptedServer() as server:
        yield server


@pytest.fixture
async def elsewhere() -> AsyncIterator[ScriptedServer]:
    """Another origin, which must never hear from the client."""
    async with ScriptedServer() as server:
        yield server


def chain(error: BaseException) -> Iterator[BaseException]:
    """Yield the error and every cause and context behind it, each once."""
    seen: set[int] = set()
    stack = [error]
    while stack:
        current = stack.pop()
        if id(current) not in seen:
            seen.add(id(current))
            yield current
            stack += [e for e in (current.__cause__, current.__context__) if e is not None]


def error_texts(error: BaseException) -> list[str]:
    """Everything an application may print or ship about an error."""
    texts = ["".join(traceback.format_exception(error))]
    for link in chain(error):
        texts += [str(link), repr(link), repr(getattr(link, "__dict__", {}))]
    return texts


def log_texts(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every record, formatted with its arguments and any traceback attached to it."""
    return [caplog.handler.format(record) for record in caplog.records]


async def collect_error(listing: AsyncIterator[object]) -> ModelLabError:
    with anyio.fail_after(20), pytest.raises(ModelLabError) as caught:
        async for _ in listing:
            pass
    return caught.value


@pytest.mark.parametrize("concurrency", [1, 8])
@pytest.mark.parametrize("case", FAILING_CASES, ids=case_id)
async def test_no_fault_puts_a_key_in_an_error_a_log_or_a_traceback(
    small_fake: FakeModelLab,
    caplog: pytest.LogCaptureFixture,
    case: FaultCase,
    concurrency: int,
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger: every library's records
    small_fake.faults.add(case.relentless(after=2))
    async with connect(small_fake.url, retries=SPENT, timeout=case.timeout) as client:
        listing = client.runs.list(page_size=100, concurrency=concurrency)
        error = await collect_error(aiter(listing))
        texts = [repr(client), repr(client.stats), repr(listing.checkpoint)]
    assert type(error) is case.error
    assert any("retry 2 of 2" in record.getMessage() for record in caplog.records)
    assert leaked_keys(*texts, *error_texts(error), *log_texts(caplog)) == []


@pytest.mark.parametrize(
    "case",
    [
        # Errors raised from a status are raised in `_exchange`; body errors after it.
        pytest.param(case, id=case_id(case))
        for case in FAILING_CASES
        if case.error is not None
    ],
)
async def test_no_fault_puts_a_key_in_a_traceback_rendered_with_its_locals(
    small_fake: FakeModelLab, case: FaultCase
) -> None:
    small_fake.faults.add(case.relentless(after=0))
    async with connect(small_fake.url, retries=SPENT, timeout=case.timeout) as client:
        error = await collect_error(aiter(client.runs.list(page_size=100)))
    rendered = traceback.TracebackException.from_exception(error, capture_locals=True)
    assert leaked_keys("".join(rendered.format())) == []


async def test_redirects_then_faults_put_no_key_anywhere(
    scripted: ScriptedServer, elsewhere: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    async def hop_then_fail(request: web.Request) -> web.StreamResponse:
        if request.path.endswith("/runs/1"):  # same origin: followed, keys and all
            raise web.HTTPTemporaryRedirect(f"{API}/runs/2")
        if request.path.endswith("/runs/2"):
            return web.Response(
                text="<h1>502 Bad Gateway</h1>", status=502, content_type="text/html"
            )
        raise web.HTTPFound(f"{elsewhere.url}{API}/runs/1")  # another origin: refused

    scripted.handler = hop_then_fail
    errors = []
    async with connect(scripted.url, retries=SPENT) as client:
        for run_id, expected in ((1, ServerError), (3, UnsafeRedirectError)):
            with pytest.raises(expected) as caught:
                await client.runs.get(run_id)
            errors.append(caught.value)
    assert [seen.path.rsplit("/", 1)[1] for seen in scripted.seen] == ["1", "2"] * 3 + ["3"]
    assert all(seen.headers["DD-API-KEY"] == API_KEY for seen in scripted.seen)
    assert elsewhere.seen == []
    texts = [text for error in errors for text in error_texts(error)]
    assert leaked_keys(*texts, *log_texts(caplog)) == []


@pytest.mark.parametrize("concurrency", [1, 8])
async def test_a_listing_redirected_to_another_origin_stops_there_with_a_checkpoint(
    scripted: ScriptedServer, elsewhere: ScriptedServer, concurrency: int
) -> None:
    listing = Listing(500, default_size=50)

    async def redirect_page_4(request: web.Request) -> web.Response:
        if request.query.get("page[number]") == "4":
            raise web.HTTPTemporaryRedirect(f"{elsewhere.url}{request.path_qs}")
        return await listing.handler(request)

    scripted.handler = redirect_page_4
    async with connect(scripted.url, retries=SPENT) as client:
        runs = client.runs.list(page_size=50, concurrency=concurrency)
        error = await collect_error(aiter(runs))
    assert isinstance(error, UnsafeRedirectError)
    assert error.checkpoint is not None
    assert (error.checkpoint.page, error.checkpoint.last_id) == (3, "200")
    assert elsewhere.seen == []
    assert leaked_keys(*error_texts(error)) == []


@pytest.mark.parametrize(
    ("concurrency", "faults"),
    [(1, False), (8, False), (8, True)],
    ids=["sequential", "concurrency=8", "concurrency=8-with-faults"],
)
async def test_links_to_another_origin_are_never_followed(
    elsewhere: ScriptedServer, concurrency: int, faults: bool
) -> None:
    async with FakeModelLab(
        runs=1000, projects=3, seed=3, link_host=elsewhere.url, api_key=API_KEY, app_keys=[APP_KEY]
    ) as fake:
        expected = await server_order(fake)
        if faults:
            fake.faults.add(Fault(ServerFault(503), route="list_runs", probability=0.2))
            fake.faults.add(Fault(ProxyErrorPage(502), route="list_runs", probability=0.1))
        async with connect(fake.url, retries=PATIENT) as client:
            with anyio.fail_after(20):
                first = await anext(aiter(client.runs.list(page_size=50, limit=50).pages()))
                ids = [
                    run.id async for run in client.runs.list(page_size=50, concurrency=concurrency)
                ]
            retries = client.stats.retries
    assert first.links is not None
    assert first.links.next is not None
    assert first.links.next.startswith(f"{elsewhere.url}{API}/runs?")  # every page points away
    assert ids == expected
    assert elsewhere.seen == []
    assert (retries > 0) == faults


def rendered_with_locals(error: BaseException) -> str:
    """The error's traceback below the test's own frame, rendered with every frame's locals."""
    assert error.__traceback__ is not None
    below_the_test = error.__traceback__.tb_next
    return "".join(
        traceback.TracebackException(
            type(error), error, below_the_test, capture_locals=True
        ).format()
    )


#: Clients configured with a key (here the distinctive test keys) that cannot be sent.
REFUSED_CONFIGURATIONS: dict[str, Callable[[str], ModelLabClient | PAIClient]] = {
    "API key with a newline": lambda url: ModelLabClient(API_KEY + "\n", APP_KEY, base_url=url),
    "application key with CRLF": lambda url: ModelLabClient(
        API_KEY, APP_KEY + "\r\nX-Injected: 1", base_url=url
    ),
    "API key with NUL": lambda url: ModelLabClient(API_KEY + "\x00", APP_KEY, base_url=url),
    "API key, non-ASCII": lambda url: ModelLabClient(API_KEY + "é", APP_KEY, base_url=url),
    "API key from DD_API_KEY with a newline": lambda url: ModelLabClient(
        app_key=APP_KEY, base_url=url
    ),
    "password in base_url": lambda url: ModelLabClient(
        API_KEY, APP_KEY, base_url=url.replace("://", f"://user:{APP_KEY}@")
    ),
    "PAI AccessKey secret with a newline": lambda url: PAIClient(
        "LTAI5t", API_KEY + "\n", endpoint=url
    ),
    "PAI AccessKey id with CRLF": lambda url: PAIClient(API_KEY + "\r\n", APP_KEY, endpoint=url),
    "PAI STS token with a tab": lambda url: PAIClient(
        "LTAI5t", "secret", security_token=API_KEY + "\t", endpoint=url
    ),
    "password in PAI endpoint": lambda url: PAIClient(
        "LTAI5t", "secret", endpoint=url.replace("://", f"://user:{API_KEY}@")
    ),
}


@pytest.mark.parametrize("configuration", REFUSED_CONFIGURATIONS)
async def test_a_refused_key_never_reaches_the_server_nor_any_rendering_of_the_error(
    scripted: ScriptedServer, monkeypatch: pytest.MonkeyPatch, configuration: str
) -> None:
    async def anything(request: web.Request) -> web.Response:
        return web.json_response({})

    scripted.handler = anything
    monkeypatch.setenv("DD_API_KEY", API_KEY + "\n")
    with anyio.fail_after(10), pytest.raises(ConfigurationError) as caught:
        async with REFUSED_CONFIGURATIONS[configuration](scripted.url) as client:
            await client.runs.get("1")
    error = caught.value
    assert scripted.seen == []
    assert leaked_keys(*error_texts(error), rendered_with_locals(error)) == []


class RecordingTransport:
    """A transport that records what it is asked to send and answers 200 `{}`."""

    def __init__(self) -> None:
        self.sent: list[URL] = []

    @asynccontextmanager
    async def open(
        self, method: str, url: URL, headers: Mapping[str, str], *, stream: bool = False
    ) -> AsyncIterator[_Answer]:
        self.sent.append(url)
        yield _Answer()

    async def aclose(self) -> None:
        pass


class _Answer:
    status = 200
    headers: Mapping[str, str] = {}

    async def read(self, max_bytes: int) -> bytes:
        return b'{"data": {"id": "1", "type": "projects", "attributes": {}}}'

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        yield await self.read(0)


@pytest.mark.parametrize(
    "base_url",
    [
        "http://api.datadoghq.com",
        "http://example.com:8080/proxy",
        "http://10.0.0.7",
        "http://192.168.1.20:8126",
        "http://[2001:db8::1]",
        "http://0.0.0.0:8126",
        "http://localhost.example.com",
        "http://127.0.0.1.nip.io",
    ],
)
async def test_plain_http_to_a_host_off_this_machine_is_refused_before_sending(
    base_url: str,
) -> None:
    transport = RecordingTransport()
    with pytest.raises(ConfigurationError, match="plain http"):
        ModelLabClient(API_KEY, APP_KEY, base_url=base_url, transport=transport)
    assert transport.sent == []
    # The same client, once the caller vouches for the network, does send.
    async with ModelLabClient(
        API_KEY, APP_KEY, base_url=base_url, transport=transport, allow_insecure_http=True
    ) as client:
        with pytest.raises(DecodeError):  # the canned answer is no project
            await client.projects.get(1)
    assert [url.host for url in transport.sent] == [URL(base_url).host]


async def test_a_page_over_max_body_size_is_refused_not_retried(
    small_fake: FakeModelLab,
) -> None:
    async with ModelLabClient(
        API_KEY, APP_KEY, base_url=small_fake.url, retries=PATIENT, max_body_size=20_000
    ) as client:
        assert (
            len(await client.runs.list(page_size=10, limit=50).collect()) == 50
        )  # small pages fit
        small_fake.requests.clear()
        listing = client.runs.list(page_size=100)
        error = await collect_error(aiter(listing))
    assert isinstance(error, DecodeError)
    assert "20000-byte limit" in str(error)
    assert error.checkpoint == listing.checkpoint
    assert len(small_fake.requests) == 1


@pytest.mark.parametrize("status", [200, 503])
async def test_an_endless_body_is_cut_off_at_max_body_size(
    scripted: ScriptedServer, status: int
) -> None:
    written = 0

    async def endless(request: web.Request) -> web.StreamResponse:
        nonlocal written
        response = web.StreamResponse(status=status, headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        while True:  # until the client hangs up
            await response.write(b"[" * 65536)
            written += 65536

    scripted.handler = endless
    async with ModelLabClient(
        API_KEY, APP_KEY, base_url=scripted.url, retries=SPENT, max_body_size=1_000_000
    ) as client:
        with anyio.fail_after(10), pytest.raises(ModelLabError) as caught:
            await client.runs.get(1)
    if status == 200:
        assert type(caught.value) is DecodeError
        assert "1000000-byte limit" in str(caught.value)
        assert len(scripted.seen) == 1
    else:  # still the server's error, retried as such; only its excerpt is cut
        assert isinstance(caught.value, ServerError)
        assert caught.value.status == status
        assert caught.value.body_excerpt.startswith("[[[")
        assert len(scripted.seen) == SPENT.retries + 1
    assert written < 50_000_000 * len(scripted.seen)


CONTENT = b"artifact bytes\n" * 1000


@pytest.mark.parametrize(
    ("artifact_path", "name"),
    [
        ("../../etc/passwd", "passwd"),
        ("runs/1/../../../../../../tmp/evil.sh", "evil.sh"),
        ("/etc/passwd", "passwd"),
        ("..\\..\\Windows\\win.ini", "win.ini"),
        ("%2e%2e/%2e%2e/passwd", "passwd"),
        ("./.bashrc", ".bashrc"),
    ],
)
async def test_download_into_a_folder_never_writes_outside_it(
    scripted: ScriptedServer, tmp_path: Path, artifact_path: str, name: str
) -> None:
    async def content(request: web.Request) -> web.Response:
        return web.Response(body=CONTENT, content_type="application/octet-stream")

    scripted.handler = content
    inbox = tmp_path / "jail" / "inbox"
    inbox.mkdir(parents=True)
    async with connect(scripted.url) as client:
        written = await client.artifacts.download(1, artifact_path, inbox)
    assert written == inbox / name
    assert written.read_bytes() == CONTENT
    assert scripted.seen[0].query["artifact_path"] == artifact_path  # sent as given
    assert sorted(tmp_path.rglob("*")) == [tmp_path / "jail", inbox, written]


@pytest.mark.parametrize("artifact_path", ["..", "runs/..", "a\\..", "runs\\1\\..\\.."])
async def test_download_refuses_a_path_naming_no_file(
    scripted: ScriptedServer, tmp_path: Path, artifact_path: str
) -> None:
    async with connect(scripted.url) as client:
        with pytest.raises(ValueError, match="names no file"):
            await client.artifacts.download(1, artifact_path, tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert scripted.seen == []


async def test_download_replaces_a_planted_symlink_instead_of_writing_through_it(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    async def content(request: web.Request) -> web.Response:
        return web.Response(body=CONTENT, content_type="application/octet-stream")

    scripted.handler = content
    outside = tmp_path / "precious"
    outside.write_bytes(b"keep me")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "passwd").symlink_to(outside)
    async with connect(scripted.url) as client:
        written = await client.artifacts.download(1, "../../etc/passwd", inbox)
    assert outside.read_bytes() == b"keep me"
    assert not written.is_symlink()
    assert written.read_bytes() == CONTENT
    assert os.listdir(inbox) == ["passwd"]
