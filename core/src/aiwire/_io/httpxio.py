"""httpx behind the drivers: the blocking driver's client, and async calls
that pick httpx's transport, the aiohttp one, a transport object or the
user's own ``httpx.AsyncClient``. Imported only on those paths: the default
async path never imports httpx.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from aiwire._engine.exchange import Send
from aiwire._wire.exchange import ResponseInfo

__all__ = ["LIMITS", "HttpxResponse", "HttpxSender", "body_chunks", "http_request", "response_info"]

LIMITS = httpx.Limits(max_connections=None, max_keepalive_connections=200, keepalive_expiry=30)


def http_request(client: httpx.Client | httpx.AsyncClient, send: Send, read_timeout: float | None) -> httpx.Request:
    req = send.request
    t = send.timeout
    timeout = httpx.Timeout(t, connect=min(t, 30.0) if t else 30.0, read=read_timeout)
    return client.build_request(req.method, req.url, headers=req.headers, content=send.body, timeout=timeout)


def body_chunks(resp: httpx.Response, *, aio: bool = True) -> Any:
    """The body's chunks as they arrive: raw, or decoded when the server
    compressed them (``Content-Encoding: gzip``; some proxies compress SSE)."""
    enc = resp.headers.get("content-encoding")
    if enc and enc.strip().lower() != "identity":
        return resp.aiter_bytes() if aio else resp.iter_bytes()
    return resp.aiter_raw() if aio else resp.iter_raw()


def response_info(response: httpx.Response) -> ResponseInfo:
    return ResponseInfo(response.status_code, response.headers.multi_items(), str(response.url))


class HttpxResponse:
    """An httpx response as the async driver reads one (see :class:`aiwire._io.lean.LeanResponse`)."""

    __slots__ = ("r",)

    def __init__(self, r: httpx.Response) -> None:
        self.r = r

    def info(self) -> ResponseInfo:
        return response_info(self.r)

    def __aiter__(self) -> AsyncIterator[bytes]:
        it: AsyncIterator[bytes] = body_chunks(self.r)
        return it

    async def aread(self) -> bytes:
        return await self.r.aread()

    @property
    def is_closed(self) -> bool:
        return self.r.is_closed

    async def aclose(self) -> None:
        await self.r.aclose()


class HttpxSender:
    """An ``httpx.AsyncClient`` with the lean pool's ``send``; ``owned``: closed
    with the pool (not a user's client)."""

    __slots__ = ("client", "owned")

    def __init__(self, client: httpx.AsyncClient, *, owned: bool = True) -> None:
        self.client = client
        self.owned = owned

    async def send_call(self, send: Send) -> HttpxResponse:
        request = http_request(self.client, send, send.timeout)
        return HttpxResponse(await self.client.send(request, stream=True))

    @property
    def is_closed(self) -> bool:
        return self.client.is_closed

    async def aclose(self) -> None:
        if self.owned:
            await self.client.aclose()
