"""A loopback HTTP server standing in for a vendor's api in end-to-end tests.

It records every request exactly as it arrived (method, target, each header
line in order with its spelling, body bytes) and answers from a table of
canned replies by path. Replies are written from the vendors' documented
wire formats; nothing here talks to a real vendor.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

# What aiwire's own transport (the default for async calls) adds beside Host
# and Content-Length: the encodings it decodes itself, and no Connection line
# (keep-alive is HTTP/1.1's default).
TRANSPORT_HEADERS = [("accept-encoding", "gzip, deflate")]


def httpx_headers() -> list[tuple[str, str]]:
    """What httpx adds (logins' own requests go through it): every decoder it
    has (zstd when the zstandard package is installed), and keep-alive."""
    import httpx

    with httpx.Client() as client:
        return [("accept-encoding", client.headers["accept-encoding"]), ("connection", "keep-alive")]


@dataclass
class Arrived:
    method: str
    target: str  # path and query, as on the request line
    headers: list[tuple[str, str]]  # every header line, in order, as spelled
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def header_dict(self) -> dict[str, str]:
        """Header lines by lower-case name; a name sent twice is an error."""
        out: dict[str, str] = {}
        for name, value in self.headers:
            key = name.lower()
            assert key not in out, f"header {name!r} sent twice"
            out[key] = value
        return out


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"


Route = Callable[[Arrived], Reply]


@dataclass
class VendorServer:
    routes: dict[str, Route] = field(default_factory=dict)
    arrived: list[Arrived] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def sse(*events: tuple[str | None, Any], done: bool = False) -> bytes:
    """An SSE body: ``(event name or None, JSON data)`` pairs."""
    out = []
    for name, data in events:
        head = f"event: {name}\n" if name else ""
        out.append(f"{head}data: {json.dumps(data, separators=(',', ':'))}\n\n")
    if done:
        out.append("data: [DONE]\n\n")
    return "".join(out).encode()


def sse_reply(body: bytes) -> Reply:
    return Reply(body=body, content_type="text/event-stream")


def json_reply(data: Any, status: int = 200) -> Reply:
    return Reply(status=status, body=json.dumps(data).encode())


def _handler(owner: VendorServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            arrived = Arrived(self.command, self.path, list(self.headers.items()), body)
            owner.arrived.append(arrived)
            route = owner.routes.get(arrived.path)
            reply = route(arrived) if route else json_reply({"error": {"message": "no such route"}}, 404)
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def running_vendor() -> Iterator[VendorServer]:
    """Body of a fixture: a started server, stopped after the test."""
    server = VendorServer()
    try:
        yield server
    finally:
        server.stop()
