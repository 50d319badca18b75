"""The default async transport: HTTP/1.1 on asyncio's own connections.

Why aiwire has its own: a model API needs one request and one streamed
response per call, over keep-alive connections, and nothing of what general
clients bring beyond that. What that buys, measured in docs/performance.md:

- the first request leaves a fresh process before httpx or aiohttp could have
  been imported (this module needs only asyncio, which the caller has);
- each read hands the driver everything the socket brought (many SSE events
  at once), parsed in one loop over the bytes, not one call per HTTP chunk;
- per call, one protocol object and one response object, no request model.

It speaks HTTP/1.1 with ``Content-Length``, chunked or close-delimited
bodies, gzip/deflate bodies, TLS (certifi's CAs, or ``SSL_CERT_FILE`` /
``SSL_CERT_DIR``), ``HTTP(S)_PROXY`` / ``NO_PROXY`` (CONNECT tunnels for
https) and a keep-alive pool per event loop. Errors are
:mod:`aiwire._io.errors`' (httpx's names and meanings). A request whose
reused connection turns out closed by the server before any byte of the
response is sent once more on a new connection, as browsers do: the server
never read it.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, urlsplit

from aiwire._io.errors import (
    ConnectError,
    ConnectTimeout,
    ProxyError,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
    UnsupportedProtocol,
)
from aiwire._io.h1 import IDLE, H1Connection
from aiwire._wire.exchange import ResponseInfo

if TYPE_CHECKING:
    from aiwire._engine.exchange import Send

__all__ = ["LeanPool", "LeanResponse"]


class LeanResponse:
    """A response: its head, and its body as an async iterator of the bytes
    each read brought (decoded when the server compressed them)."""

    __slots__ = ("_conn", "_decode", "_read_timeout", "headers", "is_closed", "status", "url")

    def __init__(self, conn: H1Connection, url: str, read_timeout: float | None) -> None:
        self._conn = conn
        self.status = conn.status
        self.headers = conn.headers
        self.url = url
        self._read_timeout = read_timeout
        self.is_closed = False
        self._decode: _Inflate | None = _decoder(conn.headers)

    def info(self) -> ResponseInfo:
        return ResponseInfo(self.status, self.headers, self.url)

    def __aiter__(self) -> LeanResponse:
        return self

    async def __anext__(self) -> bytes:
        conn = self._conn
        while True:
            out = conn.out
            if out:
                data = out[0] if len(out) == 1 else b"".join(out)
                conn.out = []
                conn.size = 0
                if conn.paused:
                    conn.paused = False
                    if conn.transport is not None:
                        conn.transport.resume_reading()
                decode = self._decode
                if decode is not None:
                    if conn.eof:
                        self._decode = None  # flushed: the stream is over
                    data = decode(data, conn.eof)
                    if not data:
                        continue
                return data
            if conn.error is not None:
                raise conn.error
            if conn.eof:
                if self._decode is not None:
                    tail = self._decode(b"", True)
                    self._decode = None
                    if tail:
                        return tail
                self._release()
                raise StopAsyncIteration
            loop = asyncio.get_running_loop()
            fut = conn.waiter = loop.create_future()
            timeout = self._read_timeout
            timer = loop.call_later(timeout, _expire, fut) if timeout else None
            try:
                await fut
            finally:
                conn.waiter = None
                if timer is not None:
                    timer.cancel()

    async def aread(self) -> bytes:
        """The whole body."""
        parts = [chunk async for chunk in self]
        return b"".join(parts)

    def _release(self) -> None:
        if self.is_closed:
            return
        self.is_closed = True
        conn = self._conn
        if conn.eof and conn.keep and not conn.lost and conn.error is None:
            conn.pool._release(conn)
        else:
            conn.close()

    async def aclose(self) -> None:
        """Give the connection back (read to its end) or close it (cut short)."""
        self._release()


def _expire(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_exception(ReadTimeout("timed out"))


def _decoder(headers: list[tuple[str, str]]) -> _Inflate | None:
    enc = ""
    for name, value in headers:
        if name.lower() == "content-encoding":
            enc = value.strip().lower()
    if enc in ("gzip", "x-gzip", "deflate"):
        return _Inflate(enc != "deflate")
    return None  # identity, or one we do not know: handed over as is (as httpx does)


class _Inflate:
    """gzip or deflate (zlib-wrapped or, as some servers send it, raw)."""

    __slots__ = ("_d", "_raw_ok")

    def __init__(self, gzip: bool) -> None:
        import zlib

        self._d = zlib.decompressobj(zlib.MAX_WBITS | 32 if gzip else zlib.MAX_WBITS)
        self._raw_ok = not gzip

    def __call__(self, data: bytes, end: bool) -> bytes:
        import zlib

        try:
            out = self._d.decompress(data)
            if end:
                out += self._d.flush()
        except zlib.error as exc:
            if self._raw_ok:
                self._raw_ok = False
                self._d = zlib.decompressobj(-zlib.MAX_WBITS)
                return self(data, end)
            raise RemoteProtocolError(f"the compressed body is corrupt: {exc}") from exc
        self._raw_ok = False
        return out


# -- TLS and proxies -----------------------------------------------------------------------

_ssl_contexts: dict[tuple[str | None, str | None], ssl.SSLContext] = {}


def _ssl_key() -> tuple[str | None, str | None]:
    cafile = os.environ.get("SSL_CERT_FILE") or None
    return (cafile, None if cafile else os.environ.get("SSL_CERT_DIR") or None)


def _ssl_context() -> ssl.SSLContext:
    """httpx's default: ``SSL_CERT_FILE``, else ``SSL_CERT_DIR``, else certifi's CAs.
    Loading the CAs takes 20-100 ms of CPU: made once per setting."""
    key = _ssl_key()
    cafile, capath = key
    ctx = _ssl_contexts.get(key)
    if ctx is None:
        if cafile or capath:
            ctx = ssl.create_default_context(cafile=cafile, capath=capath)
        else:
            try:
                import certifi
            except ImportError:  # no certifi: the system's CAs
                ctx = ssl.create_default_context()
            else:
                ctx = ssl.create_default_context(cafile=certifi.where())
        ctx.set_alpn_protocols(["http/1.1"])
        _ssl_contexts[key] = ctx
    return ctx


def proxy_settings() -> dict[str, str]:
    """The proxy variables in force (``{}`` when none is set, without
    importing urllib.request)."""
    if not any(k.lower() in ("http_proxy", "https_proxy", "all_proxy") for k in os.environ):
        return {}
    import urllib.request

    return {k: v for k, v in urllib.request.getproxies().items() if k in ("http", "https", "all", "no")}


def _proxy_for(proxies: dict[str, str], scheme: str, host: str) -> SplitResult | None:
    url = proxies.get(scheme) or proxies.get("all")
    if not url:
        return None
    import urllib.request

    if urllib.request.proxy_bypass(host):  # NO_PROXY (and the system's settings where it has them)
        return None
    p = urlsplit(url if "://" in url else f"http://{url}")
    if p.scheme != "http" or not p.hostname:
        raise ProxyError(
            f"proxy {p.scheme}://{p.hostname}: only http:// proxies are supported here; use transport='httpx'"
        )
    return p


def _proxy_auth(p: SplitResult) -> list[tuple[str, str]]:
    if not p.username:
        return []
    import base64
    from urllib.parse import unquote

    token = base64.b64encode(f"{unquote(p.username)}:{unquote(p.password or '')}".encode()).decode()
    return [("Proxy-Authorization", f"Basic {token}")]


# -- the pool ---------------------------------------------------------------------------------


def _head_bytes(method: str, target: str, host: str, headers: Iterable[tuple[str, str]], body: bytes | None) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    seen_accept = seen_encoding = False
    for name, value in headers:
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name or ":" in name:
            raise ValueError(f"header {name!r} has a line break or colon in it; headers cannot carry them")
        low = name.lower()
        if low in ("host", "content-length", "transfer-encoding", "connection"):
            continue  # ours to set
        seen_accept = seen_accept or low == "accept"
        seen_encoding = seen_encoding or low == "accept-encoding"
        lines.append(f"{name}: {value}")
    if not seen_accept:
        lines.append("Accept: */*")
    if not seen_encoding:
        lines.append("Accept-Encoding: gzip, deflate")
    if body is not None or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body) if body else 0}")
    lines.append("\r\n")
    try:
        return "\r\n".join(lines).encode("latin-1")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"a header value has a character HTTP headers cannot carry ({exc.object[exc.start : exc.end]!r})"
        ) from None


class LeanPool:
    """Keep-alive connections of one event loop, by origin (and proxy).

    ``keepalive``: seconds an idle connection is kept. No cap on connections.
    """

    def __init__(self, *, keepalive: float = 30.0) -> None:
        self.keepalive = keepalive
        self.is_closed = False
        self._idle: dict[Any, list[H1Connection]] = {}
        self._proxies = proxy_settings()

    async def send_call(self, send: Send) -> LeanResponse:
        """Send the engine's request (connect within 30 s at most, or ``timeout``)."""
        req = send.request
        t = send.timeout
        return await self.send(
            req.method,
            req.url,
            req.headers.items(),
            send.body,
            connect_timeout=min(t, 30.0) if t else 30.0,
            read_timeout=t,
        )

    async def send(
        self,
        method: str,
        url: str,
        headers: Iterable[tuple[str, str]],
        body: bytes | None,
        *,
        connect_timeout: float | None,
        read_timeout: float | None,
    ) -> LeanResponse:
        """Send a request; returns once the response head is in."""
        if self.is_closed:
            raise RuntimeError("this connection pool is closed")
        u = urlsplit(url)
        scheme = u.scheme.lower()
        if scheme not in ("http", "https"):
            raise UnsupportedProtocol(f"Request URL has an unsupported protocol '{scheme}://'.")
        host = u.hostname
        if not host:
            raise UnsupportedProtocol(f"Request URL {url!r} has no host.")
        port = u.port or (443 if scheme == "https" else 80)
        default_port = port == (443 if scheme == "https" else 80)
        hostname = f"[{host}]" if ":" in host else host
        authority = hostname if default_port else f"{hostname}:{port}"
        target = u.path or "/"
        if u.query:
            target = f"{target}?{u.query}"
        proxy = _proxy_for(self._proxies, scheme, host) if self._proxies else None
        extra: list[tuple[str, str]] = []
        if proxy is not None and scheme == "http":
            target = f"http://{authority}{target}"  # absolute form: the proxy forwards it
            extra = _proxy_auth(proxy)
        data = _head_bytes(method, target, authority, [*headers, *extra] if extra else headers, body)
        key = (scheme, host, port, proxy.geturl() if proxy is not None else None)
        for attempt in (0, 1):
            conn, reused = await self._acquire(key, scheme, host, port, proxy, connect_timeout)
            head = conn.begin(data, body, no_body=method == "HEAD")
            try:
                await _within(head, read_timeout)
            except (RemoteProtocolError, ReadError):
                conn.close()
                if reused and attempt == 0 and not conn.got_bytes:
                    continue  # the server closed it while idle and never read this request
                raise
            except BaseException:
                conn.close()
                raise
            return LeanResponse(conn, url, read_timeout)
        raise AssertionError("unreachable")

    async def _acquire(
        self, key: Any, scheme: str, host: str, port: int, proxy: SplitResult | None, timeout: float | None
    ) -> tuple[H1Connection, bool]:
        idle = self._idle.get(key)
        if idle:
            now = asyncio.get_running_loop().time()
            while idle:
                conn = idle.pop()
                if conn.lost or conn.transport is None or conn.transport.is_closing():
                    continue
                if now - conn.idle_since > self.keepalive:
                    conn.close()
                    continue
                return conn, True
        return await self._connect(key, scheme, host, port, proxy, timeout), False

    async def _connect(
        self, key: Any, scheme: str, host: str, port: int, proxy: SplitResult | None, timeout: float | None
    ) -> H1Connection:
        loop = asyncio.get_running_loop()
        ctx = None
        if scheme == "https":
            # In a worker thread the first time: the loop's other tasks never stall on it.
            ctx = _ssl_contexts.get(_ssl_key()) or await asyncio.to_thread(_ssl_context)
        conn = H1Connection(self, key)
        tls_now = ctx is not None and proxy is None
        try:
            coro = loop.create_connection(
                lambda: conn,
                (proxy.hostname or host) if proxy is not None else host,
                (proxy.port or 80) if proxy is not None else port,
                ssl=ctx if tls_now else None,
                server_hostname=host if tls_now else None,
                # Happy eyeballs (RFC 8305) for names: IPv6 and IPv4 raced. An address has one route.
                happy_eyeballs_delay=None if _literal(host if proxy is None else proxy.hostname or host) else 0.25,
            )
            await (asyncio.wait_for(coro, timeout) if timeout else coro)
            if proxy is not None and ctx is not None:
                await asyncio.wait_for(self._tunnel(conn, host, port, proxy, ctx), timeout)
        except asyncio.TimeoutError:
            conn.close()
            raise ConnectTimeout("timed out") from None
        except ProxyError:
            conn.close()
            raise
        except (OSError, ssl.SSLError) as exc:
            conn.close()
            err: Exception = (ProxyError if proxy is not None else ConnectError)(str(exc) or type(exc).__name__)
            raise err from exc
        return conn

    async def _tunnel(self, conn: H1Connection, host: str, port: int, proxy: SplitResult, ctx: ssl.SSLContext) -> None:
        authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}"]
        lines += [f"{k}: {v}" for k, v in _proxy_auth(proxy)]
        try:
            await conn.begin(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), None, no_body=True)
        except (RemoteProtocolError, ReadError) as exc:
            raise ProxyError(f"the proxy closed the tunnel: {exc}") from exc
        if not 200 <= conn.status < 300:
            raise ProxyError(f"the proxy answered {conn.status} {conn.reason} to CONNECT {authority}")
        conn.state = IDLE
        loop = asyncio.get_running_loop()
        assert conn.transport is not None
        conn.transport = await loop.start_tls(conn.transport, conn, ctx, server_hostname=host)

    def _release(self, conn: H1Connection) -> None:
        if self.is_closed or conn.transport is None or conn.transport.is_closing():
            conn.close()
            return
        conn.state = IDLE
        conn.idle_since = asyncio.get_running_loop().time()
        conn.head = None
        if conn.paused:
            conn.paused = False
            conn.transport.resume_reading()
        self._idle.setdefault(conn.key, []).append(conn)

    def _forget(self, conn: H1Connection) -> None:
        idle = self._idle.get(conn.key)
        if idle and conn in idle:
            idle.remove(conn)

    async def aclose(self) -> None:
        """Close every idle connection; connections in use close when their
        response is closed."""
        self.is_closed = True
        idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()
        if idle:
            await asyncio.sleep(0)  # let the transports run connection_lost


def _literal(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return False
    return True


async def _within(fut: asyncio.Future[None], timeout: float | None) -> None:
    if not timeout:
        await fut
        return
    loop = asyncio.get_running_loop()
    timer = loop.call_later(timeout, _expire, fut)
    try:
        await fut
    finally:
        timer.cancel()
