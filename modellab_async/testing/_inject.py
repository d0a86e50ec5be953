"""Carry out fault effects on the HTTP exchange; the routes never see them."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Callable, Sequence

import msgspec
from aiohttp import web
from aiohttp.typedefs import Handler

from ._faults import (
    ConnectionReset,
    FaultEffect,
    Latency,
    PageDrift,
    ProxyErrorPage,
    ServerError,
    SlowBody,
    TooManyRequests,
    TruncatedBody,
)
from ._render import TOO_MANY_REQUESTS, server_error_document

BodyEffect = ConnectionReset | TruncatedBody | SlowBody

_PROXY_PAGE = """<html>
<head><title>{status} {reason}</title></head>
<body>
<center><h1>{status} {reason}</h1></center>
<hr><center>nginx</center>
</body>
</html>
"""


async def respond_with_faults(
    effects: Sequence[FaultEffect],
    request: web.Request,
    handler: Handler,
    *,
    delays: Sequence[float],
    drift: Callable[[int], None],
) -> web.StreamResponse:
    """Serve `request` through `handler`, with the effects that fired for it.

    Delays and drift apply first; the first effect that replaces the response
    wins over the route; the first body effect then reshapes what the route sent.
    """
    for delay in delays:
        await asyncio.sleep(delay)
    for effect in effects:
        if isinstance(effect, PageDrift):
            drift(effect.runs)
    for effect in effects:
        if isinstance(effect, TooManyRequests | ServerError | ProxyErrorPage):
            return _replacement(effect)
    response = await handler(request)
    body_effect = next((e for e in effects if isinstance(e, BodyEffect)), None)
    if body_effect is None or not isinstance(response, web.Response):
        return response
    return await _reshape(body_effect, request, response)


def jitter_delays(effects: Sequence[FaultEffect], draw: Callable[[float], float]) -> list[float]:
    """Return the delay of each latency effect; `draw(jitter)` picks the random share."""
    return [
        effect.seconds + (draw(effect.jitter) if effect.jitter else 0.0)
        for effect in effects
        if isinstance(effect, Latency)
    ]


def _replacement(effect: TooManyRequests | ServerError | ProxyErrorPage) -> web.Response:
    if isinstance(effect, TooManyRequests):
        return web.Response(
            status=429,
            body=msgspec.json.encode(TOO_MANY_REQUESTS),
            content_type="application/json",
            headers={"Retry-After": str(effect.retry_after)},
        )
    if isinstance(effect, ServerError):
        document = server_error_document(effect.status, "injected fault")
        return web.Response(
            status=effect.status,
            body=msgspec.json.encode(document),
            content_type="application/json",
        )
    reason = web.Response(status=effect.status).reason
    page = _PROXY_PAGE.format(status=effect.status, reason=reason)
    return web.Response(status=effect.status, text=page, content_type="text/html")


async def _reshape(
    effect: BodyEffect, request: web.Request, response: web.Response
) -> web.StreamResponse:
    body = response.body
    if not isinstance(body, bytes):
        return response
    if isinstance(effect, TruncatedBody):
        keep = len(body) // 2 if effect.keep_bytes is None else effect.keep_bytes
        return web.Response(status=response.status, headers=_headers(response), body=body[:keep])
    stream = web.StreamResponse(status=response.status, headers=_headers(response))
    stream.content_length = len(body)
    await stream.prepare(request)
    if isinstance(effect, ConnectionReset):
        sent = len(body) // 2 if effect.after_bytes is None else effect.after_bytes
        await stream.write(body[:sent])
        _reset(request)
        return stream
    for start in range(0, len(body), effect.chunk_size):
        if start:
            await asyncio.sleep(effect.delay)
        await stream.write(body[start : start + effect.chunk_size])
    await stream.write_eof()
    return stream


def _headers(response: web.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower() != "content-length"}


def _reset(request: web.Request) -> None:
    """Abort the connection with a TCP reset rather than an orderly close."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # A zero linger time makes close() send RST, as a crashed peer or proxy does.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
