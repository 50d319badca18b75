"""The recorded embeddings traffic in ``../shared/conformance`` (read in place,
never copied), and a mock transport that answers an SDK with a recording, so
that an official SDK and aiwire decode the very same bytes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

CONFORMANCE = Path(__file__).resolve().parents[1].parent / "shared" / "conformance"


def recordings(api: str) -> list[Path]:
    folder = CONFORMANCE / api
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def needs(api: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(not recordings(api), reason=f"conformance recordings not found at {CONFORMANCE / api}")


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def body(rec: dict[str, Any]) -> bytes:
    return str(rec["response"]["body_text"]).encode()


def replay(rec: dict[str, Any], seen: list[httpx.Request] | None = None) -> httpx.MockTransport:
    """A transport answering every request with the recorded response."""

    def handle(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            request.read()
            seen.append(request)
        resp = rec["response"]
        return httpx.Response(resp["status"], headers={"content-type": "application/json"}, content=body(rec))

    return httpx.MockTransport(handle)


def sent_json(request: httpx.Request) -> Any:
    return json.loads(request.content)


def ids(paths: list[Path]) -> Callable[[Path], str]:
    return lambda p: p.stem.split("__")[-1]


class serve:
    """A loopback HTTP server answering every POST with the recorded response,
    for SDKs that do not take an httpx transport. ``bodies`` keeps what came in."""

    def __init__(self, rec: dict[str, Any]) -> None:
        import http.server
        import threading

        self.bodies: list[Any] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                outer.bodies.append(json.loads(raw) if raw else None)
                payload = body(rec)
                self.send_response(rec["response"]["status"])
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> serve:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
