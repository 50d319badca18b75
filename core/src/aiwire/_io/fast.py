"""The default async transport: aiohttp's connection pool and C HTTP parser
under the httpx API, so the drivers see one kind of response whichever
transport runs.

aiohttp hands over everything the socket had in one read (many SSE events
at once) where httpcore hands over one HTTP chunk at a time: most of the CPU
per event of a stream. Its errors become httpx's, with the same meaning as
httpx's own transport gives them (a refused connection is a ``ConnectError``
carrying the operating system's error, a cut body a ``ReadError``), so a
fault ends a call the same way on either transport. Imported on the first
async call, never by ``import aiwire``.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx

__all__ = ["AiohttpTransport"]


def _mapped(exc: BaseException, *, reading: bool) -> Exception:
    """The httpx error for an aiohttp (or socket) error; ``reading``: the
    response head was in, so a timeout is a read timeout."""
    text = str(exc) or type(exc).__name__
    err: Exception
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        err = httpx.ProxyError(text)
    elif isinstance(exc, aiohttp.ConnectionTimeoutError):
        err = httpx.ConnectTimeout(text)
    elif isinstance(exc, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        err = (
            httpx.ReadTimeout(text)
            if reading or isinstance(exc, aiohttp.SocketTimeoutError)
            else httpx.ConnectTimeout(text)
        )
    elif isinstance(exc, aiohttp.ClientConnectorError):
        err = httpx.ConnectError(text)
    elif isinstance(exc, aiohttp.ServerDisconnectedError) and not reading:
        err = httpx.RemoteProtocolError("Server disconnected without sending a response.")
    elif isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError)):
        err = httpx.RemoteProtocolError("peer closed connection without sending complete message body")
    elif isinstance(exc, (aiohttp.ClientConnectionError, OSError)):
        err = httpx.ReadError(text)
    elif isinstance(exc, aiohttp.InvalidURL):
        err = httpx.UnsupportedProtocol(text)
    else:
        err = httpx.TransportError(text)
    err.__cause__ = exc
    return err


class _Body(httpx.AsyncByteStream):
    """A response body: each read hands over all the bytes that arrived."""

    __slots__ = ("_resp",)

    def __init__(self, resp: aiohttp.ClientResponse) -> None:
        self._resp = resp

    async def __aiter__(self) -> AsyncIterator[bytes]:
        read = self._resp.content.readany
        try:
            while True:
                chunk = await read()
                if not chunk:
                    return
                yield chunk
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            raise _mapped(exc, reading=True) from exc

    async def aclose(self) -> None:
        resp = self._resp
        if resp.content.is_eof():
            resp.release()  # read to its end: the connection goes back to the pool
        else:
            resp.close()  # cut short: the connection cannot serve another request


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx async transport on one aiohttp session, made on first use.

    ``limit``: connections at once (0: no cap). Proxies from the environment
    (``HTTP(S)_PROXY``, ``NO_PROXY``) apply when one is set; certificates
    come from ``ssl_context`` (httpx's default: certifi, or ``SSL_CERT_FILE``),
    made only when the first ``https`` request goes out.
    """

    def __init__(self, *, limit: int = 0, keepalive: float = 30.0, trust_env: bool = False) -> None:
        self._limit = limit
        self._keepalive = keepalive
        self._trust_env = trust_env
        self._session: aiohttp.ClientSession | None = None
        self._ssl: ssl.SSLContext | None = None

    def _new_session(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(limit=self._limit, keepalive_timeout=self._keepalive)
        # auto_decompress off: httpx decodes Content-Encoding (as with its own transport).
        return aiohttp.ClientSession(connector=connector, trust_env=self._trust_env, auto_decompress=False)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session
        if session is None or session.closed:
            session = self._session = self._new_session()
        t = request.extensions.get("timeout") or {}
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=t.get("connect"), sock_read=t.get("read"))
        ctx: Any = None
        if request.url.scheme == "https":
            ctx = self._ssl
            if ctx is None:
                ctx = self._ssl = httpx.create_ssl_context()
        try:
            body = request.content
        except httpx.RequestNotRead:
            body = await request.aread()
        try:
            resp = await session.request(
                request.method,
                str(request.url),
                headers=request.headers.multi_items(),
                data=body or None,
                allow_redirects=False,
                compress=None,
                timeout=timeout,
                ssl=ctx if ctx is not None else True,
                skip_auto_headers=("Accept-Encoding", "User-Agent", "Content-Type"),
            )
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            raise _mapped(exc, reading=False) from exc
        ext: dict[str, Any] = {"http_version": b"HTTP/1.1"}
        if resp.reason:
            ext["reason_phrase"] = resp.reason.encode()
        return httpx.Response(
            resp.status, headers=resp.raw_headers, stream=_Body(resp), request=request, extensions=ext
        )

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()
