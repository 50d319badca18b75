"""The testing kit records as documented, in a user's own project.

A throwaway project in ``tmp_path`` (a provider plugin on the
``openai-completions`` api with a custom auth header, and a test marked
``@pytest.mark.vcr`` that passes no key) is run in a subprocess: recorded with
``pytest --record-mode=once`` against a loopback server, checked for the key,
then replayed with the server gone and no key set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

KEY = "sk-zephyr-Secret4242"

PLUGIN = """
import os
from aiwire.plugin import ProviderSpec, hookimpl

AIWIRE_PLUGIN_API = 2


@hookimpl
def register_providers(register):
    register(ProviderSpec(id="zephyr", api="openai-completions",
                          base_url=os.environ["ZEPHYR_BASE_URL"], env=("ZEPHYR_API_KEY",)))


@hookimpl
def prepare_request(request, call):
    if call.model.provider == "zephyr":  # a vendor that wants its key in its own header and the body
        request.headers["x-zephyr-key"] = call.credentials.api_key
        request.json["user"] = call.credentials.api_key
"""

CONFTEST = """
import pytest
import zephyr_plugin
from aiwire.testing import use_plugin


@pytest.fixture(autouse=True)
def zephyr():
    with use_plugin(zephyr_plugin, "zephyr"):
        yield
"""

TEST = """
import pytest
import aiwire


@pytest.mark.vcr
def test_hello():
    model = aiwire.custom_model("zephyr-1", provider="zephyr")
    with aiwire.stream_sync(model, "hello", max_retries=0) as events:
        message = events.result()
    assert message.stop_reason == "stop", message.error_message
    assert message.text == "Hello from Zephyr"
"""


def _sse(key: str) -> bytes:
    chunks = [
        {
            "id": "c1",
            "model": "zephyr-1",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hello"}}],
        },
        {"id": "c1", "model": "zephyr-1", "choices": [{"index": 0, "delta": {"content": " from Zephyr"}}]},
        # A server that echoes the caller's key (as some error bodies do): scrubbed by value.
        {
            "id": "c1",
            "model": "zephyr-1",
            "system_fingerprint": f"for {key}",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        },
    ]
    return b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks) + b"data: [DONE]\n\n"


class _Handler(BaseHTTPRequestHandler):
    seen: list[dict[str, str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        _Handler.seen.append(dict(self.headers))
        body = _sse(self.headers.get("x-zephyr-key", ""))
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join()


def _run(project: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("ZEPHYR_", "PYTEST_"))}
    full.update(env, PYTHONPATH=str(project), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error::ResourceWarning", *args],
        cwd=project,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.network
def test_record_once_scrubs_by_value_then_replays_offline(tmp_path: Path, server: ThreadingHTTPServer) -> None:
    project = tmp_path / "app"
    (project / "tests").mkdir(parents=True)
    (project / "zephyr_plugin.py").write_text(textwrap.dedent(PLUGIN))
    (project / "tests" / "conftest.py").write_text(textwrap.dedent(CONFTEST))
    (project / "tests" / "test_app.py").write_text(textwrap.dedent(TEST))
    base = {"ZEPHYR_BASE_URL": f"http://127.0.0.1:{server.server_address[1]}/v1"}

    recorded = _run(project, "--record-mode=once", env={**base, "ZEPHYR_API_KEY": KEY})
    assert recorded.returncode == 0, recorded.stdout + recorded.stderr
    assert _Handler.seen and _Handler.seen[-1]["x-zephyr-key"] == KEY  # the real key went out, not a fake one
    cassette = project / "tests" / "cassettes" / "test_app" / "test_hello.yaml"
    text = cassette.read_text()
    assert KEY not in text and "Secret4242" not in text
    assert "x-zephyr-key:\n      - REDACTED" in text  # the custom header, by value
    assert '"user":"REDACTED"' in text  # a body field no name rule knows
    assert "for REDACTED" in text  # the echo in the response

    server.shutdown()  # offline from here on
    calls = len(_Handler.seen)
    replayed = _run(project, env=base)  # no key in the environment, no --record-mode: replay
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert len(_Handler.seen) == calls

    # A request the cassette does not hold (the recorded one, sent twice) fails the test at teardown.
    twice = TEST.replace(
        "    assert message.text", "    aiwire.complete_sync(model, 'hello', max_retries=0)\n    assert message.text"
    )
    (project / "tests" / "test_app.py").write_text(textwrap.dedent(twice))
    extra = _run(project, env=base)
    assert extra.returncode == 1 and "a request is not in cassette" in extra.stdout, extra.stdout
    assert "--record-mode=rewrite" in extra.stdout

    cassette.unlink()
    missing = _run(project, env=base)
    assert missing.returncode == 1
    out = missing.stdout
    assert "test_hello.yaml is missing" in out and "tests/test_app.py::test_hello --record-mode=once" in out, out
