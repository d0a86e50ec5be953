"""Fixtures for the PAI tests: a small fake, and signed requests over plain aiohttp.

`SignedSession` does what the PAI client will: sign with `Signer`, send the
signed query string byte for byte, decode pages, raise `api_error` on errors.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import msgspec
import pytest
from yarl import URL

from modellab_async._core._params import Query
from modellab_async.pai._signing import QueryParams, SignedRequest, Signer
from modellab_async.pai.models import api_error
from modellab_async.testing._pai import FakePAI

PageT = TypeVar("PageT")

RUNS = 60
EXPERIMENTS = 4
SEED = 7


@dataclass(frozen=True)
class Answer:
    """A response, read whole."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return msgspec.json.decode(self.body)


class SignedSession:
    """Send requests to a `FakePAI`, signed as the PAI client will sign them."""

    def __init__(self, session: aiohttp.ClientSession, fake: FakePAI, signer: Signer) -> None:
        self.session = session
        self.fake = fake
        self.signer = signer

    def sign(self, action: str, path: str, query: QueryParams = ()) -> SignedRequest:
        return self.signer.sign("GET", self.fake.host, path, action=action, query=query)

    async def send(self, path: str, query_string: str, headers: Mapping[str, str]) -> Answer:
        url = URL(f"{self.fake.url}{path}?{query_string}", encoded=True)
        async with self.session.get(url, headers=headers) as response:
            return Answer(response.status, dict(response.headers), await response.read())

    async def get(self, action: str, path: str, query: QueryParams = ()) -> Answer:
        signed = self.sign(action, path, query)
        return await self.send(path, signed.query_string, signed.headers)

    def fetcher(
        self, action: str, path: str, page_type: type[PageT]
    ) -> Callable[[Query], Awaitable[PageT]]:
        """Return a paginator `fetch` for one listing."""
        decoder = msgspec.json.Decoder(page_type)

        async def fetch(query: Query) -> PageT:
            answer = await self.get(action, path, query)
            if answer.status != 200:
                raise api_error(answer.status, answer.body, method="GET", path=path)
            return decoder.decode(answer.body)

        return fetch


@pytest.fixture
async def fake() -> AsyncIterator[FakePAI]:
    async with FakePAI(runs=RUNS, experiments=EXPERIMENTS, seed=SEED) as fake:
        yield fake


@pytest.fixture
async def pai(fake: FakePAI) -> AsyncIterator[SignedSession]:
    async with aiohttp.ClientSession() as session:
        yield SignedSession(session, fake, Signer(fake.credentials))
