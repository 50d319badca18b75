"""Claude on Vertex AI (``vertex-anthropic``): the Anthropic Messages request
in Vertex AI's envelope, compared with the official anthropic SDK's
``AnthropicVertex`` client, signed in with a service account against a local
token endpoint, and real recorded Anthropic responses decoded through it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from _embedding_recordings import CONFORMANCE
from vertex_helpers import TokenServer

import aiwire

pytestmark = [pytest.mark.network, pytest.mark.usefixtures("vertex_env")]
RECORDED = CONFORMANCE / "anthropic-messages"
STREAM = RECORDED / "test_anthropic__test_anthropic_model_thinking_part_stream.json"
WHOLE = RECORDED / "test_anthropic__test_anthropic_model_instructions.json"
needs = pytest.mark.skipif(not STREAM.exists(), reason=f"conformance recordings not found at {RECORDED}")
MODEL = "claude-sonnet-4-5@20250929"


def _answer(path: Path, seen: list[httpx.Request]) -> httpx.MockTransport:
    rec = json.loads(path.read_text())
    ctype = "text/event-stream" if rec["streaming"] else "application/json"

    def handle(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        # a streamed body, as the network gives it
        return httpx.Response(
            200, headers={"content-type": ctype}, stream=httpx.ByteStream(rec["response"]["body_text"].encode())
        )

    return httpx.MockTransport(handle)


def _sdk_request(stream: bool) -> tuple[str, dict[str, Any]]:
    """The path and body the official AnthropicVertex client sends for the same
    call (to a loopback server standing in for Vertex AI's host)."""
    import http.server
    import threading

    from anthropic import AnthropicVertex

    seen: list[tuple[str, dict[str, Any]]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append((self.path, json.loads(self.rfile.read(int(self.headers["content-length"])))))
            payload = b'{"type": "error", "error": {"type": "invalid_request_error", "message": "stop here"}}'
            self.send_response(400)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = AnthropicVertex(
            access_token="ya29.sdk",
            project_id="my-proj",
            region="us-east5",
            base_url=f"http://127.0.0.1:{server.server_address[1]}/v1",
            max_retries=0,
        )
        with pytest.raises(Exception, match="stop here"):
            client.messages.create(
                model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hi"}], stream=stream
            )
        client.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    return seen[0]


@needs
@pytest.mark.parametrize("stream", [True, False])
def test_request_matches_the_official_vertex_client(
    stream: bool, service_account: Path, token_server: TokenServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "my-proj")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "us-east5")
    seen: list[httpx.Request] = []
    transport = _answer(STREAM if stream else WHOLE, seen)
    model = aiwire.get_model("google-vertex-anthropic", MODEL)
    if stream:
        s = aiwire.stream_sync(model, "hi", max_tokens=64, transport=transport)
        list(s)
        msg = s.result()
    else:
        msg = aiwire.complete_sync(model, "hi", max_tokens=64, transport=transport)
    assert msg.stop_reason == "stop", msg.error_message
    ours, (sdk_path, sdk_body) = seen[0], _sdk_request(stream)
    assert ours.url.path == sdk_path
    assert str(ours.url).endswith(
        f"/publishers/anthropic/models/{MODEL}:{'streamRawPredict' if stream else 'rawPredict'}"
    )
    assert ours.headers["authorization"] == "Bearer ya29.token-1"
    assert "x-api-key" not in ours.headers
    body = json.loads(ours.content)
    # Anthropic's Vertex AI guide requires "vertex-2023-10-16"; this SDK release sends its own API
    # version date there instead. Both put it in the body, never in a header.
    assert body["anthropic_version"] == "vertex-2023-10-16" and sdk_body["anthropic_version"]
    assert "anthropic-version" not in ours.headers
    assert "model" not in body and "model" not in sdk_body
    # the same turn (ours in block form, with Anthropic's prompt-cache marker)
    assert [m["role"] for m in body["messages"]] == [m["role"] for m in sdk_body["messages"]] == ["user"]
    assert body["messages"][0]["content"][0]["text"] == sdk_body["messages"][0]["content"] == "hi"
    assert body["max_tokens"] == sdk_body["max_tokens"]
    assert body.get("stream", False) == sdk_body.get("stream", False) == stream


@needs
def test_a_recorded_stream_decodes_with_thinking(service_account: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "p")
    seen: list[httpx.Request] = []
    model = aiwire.get_model("google-vertex-anthropic", MODEL)
    events = list(aiwire.stream_sync(model, "think", transport=_answer(STREAM, seen)))
    final = events[-1]
    assert isinstance(final, aiwire.events.Done)
    assert final.message.thinking and final.message.text and final.message.usage is not None
    assert final.message.usage.cost.total > 0  # priced from the catalog
    assert str(seen[0].url).startswith("https://aiplatform.googleapis.com/v1/projects/p/locations/global/")


def test_vertex_errors_are_read(service_account: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "p")

    def handle(request: httpx.Request) -> httpx.Response:
        body: dict[str, Any] = {
            "error": {"code": 404, "message": "Publisher Model was not found", "status": "NOT_FOUND"}
        }
        return httpx.Response(404, json=body)

    msg = aiwire.complete_sync(
        aiwire.get_model("google-vertex-anthropic", MODEL), "hi", transport=httpx.MockTransport(handle), max_retries=0
    )
    assert msg.stop_reason == "error" and msg.error_status == 404
    assert "Publisher Model was not found" in (msg.error_message or "")


def test_no_credentials_names_the_fix() -> None:
    with pytest.raises(aiwire.errors.MissingCredentialsError, match="gcloud auth application-default login"):
        aiwire.complete_sync(aiwire.get_model("google-vertex-anthropic", MODEL), "hi")
