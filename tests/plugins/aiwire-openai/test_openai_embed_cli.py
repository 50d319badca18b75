"""``aiwire embed -m openai/text-embedding-3-small "hello"`` against a loopback
server speaking OpenAI's ``/embeddings`` (base64 float32, as OpenAI answers)."""

from __future__ import annotations

import base64
import http.server
import json
import os
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from aiwire._cli.main import main

pytestmark = pytest.mark.network


def _vector(text: str, dims: int) -> list[float]:
    return [float(len(text)) + i / 4 for i in range(dims)]  # exact in float32


class _Server:
    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], Any]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                outer.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                dims = body.get("dimensions") or 8
                data = [
                    {
                        "object": "embedding",
                        "index": i,
                        "embedding": base64.b64encode(struct.pack(f"<{dims}f", *_vector(t, dims))).decode(),
                    }
                    for i, t in enumerate(body["input"])
                ]
                n = sum(len(t.split()) for t in body["input"])
                payload = json.dumps(
                    {
                        "object": "list",
                        "data": data,
                        "model": body["model"],
                        "usage": {"prompt_tokens": n, "total_tokens": n},
                    }
                ).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server()
    s.thread.start()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()
    s.thread.join()


def test_embed_hello_prints_json(
    server: _Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-loopback-123456")
    code = main(["embed", "-m", "openai/text-embedding-3-small", "--base-url", server.url, "hello"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert data["model"] == "openai/text-embedding-3-small" and data["dimensions"] == 8 and data["count"] == 1
    assert data["vectors"] == [_vector("hello", 8)]
    assert data["usage"]["input"] == 1
    headers, body = server.requests[0]
    assert headers["authorization"] == "Bearer sk-loopback-123456"
    assert body == {"model": "text-embedding-3-small", "input": ["hello"], "encoding_format": "base64"}
    assert "openai/text-embedding-3-small: 1 vectors of 8, 1 tokens" in err
    assert "sk-loopback" not in out + err


def test_stdin_lines_and_the_compact_format(
    server: _Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setattr(sys, "stdin", io.StringIO("first line\n\nsecond\n"))
    code = main(
        ["embed", "-m", "openai/text-embedding-3-small", "--base-url", server.url, "-f", "base64", "--dimensions", "4"]
    )
    out, _ = capsys.readouterr()
    assert code == 0
    lines = out.splitlines()
    assert [list(struct.unpack("<4f", base64.b64decode(line))) for line in lines] == [
        _vector("first line", 4),
        _vector("second", 4),
    ]
    assert server.requests[0][1]["dimensions"] == 4 and server.requests[0][1]["input"] == ["first line", "second"]


def test_jsonl_and_batches(
    server: _Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    texts = [f"t{i}" for i in range(5)]
    code = main(
        [
            "embed",
            "-m",
            "openai/text-embedding-3-small",
            "--base-url",
            server.url,
            "-f",
            "jsonl",
            "--batch-size",
            "2",
            *texts,
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["index"] for r in rows] == list(range(5))
    assert [r["embedding"] for r in rows] == [_vector(t, 8) for t in texts]
    assert "3 requests" in err


def test_errors_exit_non_zero(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert main(["embed", "-m", "openai/text-embedding-3-small", "x"]) == 2
    assert "OPENAI_API_KEY" in capsys.readouterr().err
    assert main(["embed", "-m", "openai/text-embedding-3-small", "--input-type", "query", "x"]) == 2


def test_the_installed_command(server: _Server) -> None:
    env = {**os.environ, "OPENAI_API_KEY": "sk-test"}
    exe = os.path.join(os.path.dirname(sys.executable), "aiwire")
    proc = subprocess.run(
        [exe, "embed", "-m", "openai/text-embedding-3-small", "--base-url", server.url, "hello"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["vectors"] == [_vector("hello", 8)]


def test_openai_base_url_points_embed_at_the_server(
    server: _Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the command, as written: no flag, the endpoint from $OPENAI_BASE_URL
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    assert main(["embed", "-m", "openai/text-embedding-3-small", "hello"]) == 0
    assert json.loads(capsys.readouterr().out)["vectors"] == [_vector("hello", 8)]
    assert server.requests[0][1]["input"] == ["hello"]
