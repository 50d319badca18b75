"""A user's own httpx client, handed to ``aiwire.AsyncClient`` / ``aiwire.Client``,
is the one that sends the requests: its proxy and its default headers apply.

The proxy is a plain-HTTP forward proxy on loopback, written here: it receives
absolute-form requests (``POST http://127.0.0.1:PORT/stream HTTP/1.1``),
records them and forwards them to the fault server.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from _faultserver import FaultServer, Reply, ok

import aiwire
from aiwire import events as ev

pytestmark = pytest.mark.network

needs_client = pytest.mark.skipif(
    not hasattr(aiwire, "AsyncClient") or not hasattr(aiwire, "Client"), reason="needs aiwire.AsyncClient (Core 2)"
)


@dataclass
class Proxied:
    line: str
    headers: dict[str, str] = field(default_factory=dict)


class ForwardProxy:
    """A loopback HTTP/1.1 forward proxy: one request per client connection.

    It rewrites the absolute-form target to origin form, sends the request to
    the origin with ``connection: close`` and relays the response until the
    origin closes. Sockets time out and the proxy stops by itself after
    ``lifetime`` seconds, so a broken test cannot hang the suite.
    """

    def __init__(self, lifetime: float = 30.0) -> None:
        self.requests: list[Proxied] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port: int = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._deadline = time.monotonic() + lifetime
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set() and time.monotonic() < self._deadline:
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._relay, args=(conn,), daemon=True).start()

    def _relay(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        with conn:
            buf = b""
            while b"\r\n\r\n" not in buf:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
            head, _, rest = buf.partition(b"\r\n\r\n")
            line, *header_lines = head.decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
            self.requests.append(Proxied(line, headers))
            method, target, version = line.split(" ")
            url = httpx.URL(target)  # absolute form: http://host:port/path
            length = int(headers.get("content-length", "0"))
            while len(rest) < length:
                data = conn.recv(65536)
                if not data:
                    return
                rest += data
            keep = {k: v for k, v in headers.items() if k not in ("proxy-connection", "connection", "keep-alive")}
            out = [f"{method} {url.raw_path.decode()} {version}", *(f"{k}: {v}" for k, v in keep.items())]
            out.append("connection: close")
            assert url.host and url.port
            with socket.create_connection((url.host, url.port), timeout=10) as upstream:
                upstream.sendall(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + rest[:length])
                while data := upstream.recv(65536):
                    conn.sendall(data)


def closing(reply: Reply) -> Reply:
    """``reply``, after which the fault server closes the connection (the proxy
    relays until the origin closes)."""
    return Reply(
        status=reply.status,
        headers={**reply.headers, "connection": "close"},
        ops=[*reply.ops, ("close",)],
        chunked=reply.chunked,
    )


def whole(text: str) -> Reply:
    body = b'{"content": [{"type": "text", "text": "%s"}], "stop_reason": "stop"}' % text.encode()
    return Reply(headers={"content-type": "application/json"}, ops=[("send", body)], chunked=False)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    s = FaultServer(lifetime=30)
    yield s
    s.close()


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    p = ForwardProxy(lifetime=30)
    yield p
    p.close()


def model(server: FaultServer) -> aiwire.Model:
    return aiwire.custom_model("faux-1", api="faux", base_url=server.url)


def assert_proxied(proxy: ForwardProxy, server: FaultServer, path: str) -> None:
    """The last request went through the proxy, in absolute form, with the client's header."""
    seen = proxy.requests[-1]
    assert seen.line == f"POST {server.url}{path} HTTP/1.1", seen.line
    assert seen.headers.get("x-custom") == "1", seen.headers
    assert server.requests[-1]["headers"].get("x-custom") == "1"
    assert server.requests[-1]["line"].startswith(f"POST {path} ")


def test_the_proxy_forwards(server: FaultServer, proxy: ForwardProxy) -> None:
    """The harness itself: a plain httpx client through the proxy reaches the fault server."""
    server.script(closing(whole("direct")))
    with httpx.Client(proxy=proxy.url, headers={"x-custom": "1"}) as http:
        response = http.post(f"{server.url}/stream", json={"stream": False})
    assert response.json()["content"][0]["text"] == "direct"
    assert_proxied(proxy, server, "/stream")


@needs_client
async def test_async_client_streams_through_the_users_http_client(server: FaultServer, proxy: ForwardProxy) -> None:
    server.script(closing(ok("through the proxy")))
    http = httpx.AsyncClient(proxy=proxy.url, headers={"x-custom": "1"})
    client_type: Any = aiwire.AsyncClient
    async with client_type(http_client=http) as client:
        s = client.stream(model(server), "hi")
        events = [e async for e in s]
    assert isinstance(events[0], ev.Start) and isinstance(events[-1], ev.Done)
    assert s.message.text == "through the proxy"
    assert len(proxy.requests) == 1
    assert_proxied(proxy, server, "/stream")
    await http.aclose()


@needs_client
def test_sync_client_streams_and_completes_through_the_users_http_client(
    server: FaultServer, proxy: ForwardProxy
) -> None:
    server.script(closing(ok("streamed")), closing(whole("completed")))
    http = httpx.Client(proxy=proxy.url, headers={"x-custom": "1"})
    client_type: Any = aiwire.Client
    with client_type(http_client=http) as client:
        s = client.stream(model(server), "hi")
        events = list(s)
        assert isinstance(events[0], ev.Start) and isinstance(events[-1], ev.Done)
        assert s.message.text == "streamed"
        assert_proxied(proxy, server, "/stream")
        msg = client.complete(model(server), "hi")
        assert msg.text == "completed", msg.error_message
        assert_proxied(proxy, server, "/stream")  # the faux api posts both kinds to /stream
    assert len(proxy.requests) == 2
    http.close()
