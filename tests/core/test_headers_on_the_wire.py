"""Every request, for every provider and every login, carries each header once.

The requests go through the real drivers (``stream``, ``stream_sync``,
``complete``, ``complete_sync``, ``generate_images``) to a loopback HTTP/1.1
server that records the raw request head, line by line, and answers a small
valid reply in each api's wire format. Header names are compared
case-insensitively, as HTTP does: ``authorization`` from a codec and
``Authorization`` from a login are the same header, and must be one line.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

import aiwire
from aiwire.auth import StoredLogin, default_store
from aiwire.types import Model

pytestmark = pytest.mark.network

AUTH_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "x-goog-api-key"})
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


# -- the server ------------------------------------------------------------------------


class Seen(msgspec.Struct):
    """One request as it came off the socket."""

    line: str
    headers: list[tuple[str, str]]
    body: bytes

    def names(self) -> list[str]:
        return [name.lower() for name, _ in self.headers]

    def get(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name), None)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def _sse(events: list[Any]) -> bytes:
    out = []
    for e in events:
        if isinstance(e, tuple):
            out.append(f"event: {e[0]}\ndata: {json.dumps(e[1])}\n\n")
        else:
            out.append(f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n")
    return "".join(out).encode()


def _anthropic(stream: bool) -> tuple[str, bytes]:
    usage = {"input_tokens": 3, "output_tokens": 1}
    if not stream:
        msg = {"id": "msg_1", "type": "message", "role": "assistant", "model": "m", "content": [], "usage": usage}
        return "application/json", json.dumps(
            {**msg, "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn"}
        ).encode()
    start = {"id": "msg_1", "type": "message", "role": "assistant", "model": "m", "content": [], "usage": usage}
    return "text/event-stream", _sse(
        [
            ("message_start", {"type": "message_start", "message": start}),
            (
                "content_block_start",
                {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            ),
            (
                "content_block_delta",
                {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "hi"}},
            ),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "message_delta",
                {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 1}},
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
    )


def _chat(stream: bool) -> tuple[str, bytes]:
    usage = {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}
    if not stream:
        choice = {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}
        return "application/json", json.dumps({"id": "c1", "choices": [choice], "usage": usage}).encode()
    chunk = {"id": "c1", "object": "chat.completion.chunk"}
    return "text/event-stream", _sse(
        [
            {**chunk, "choices": [{"index": 0, "delta": {"role": "assistant", "content": "hi"}}]},
            {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
            {**chunk, "choices": [], "usage": usage},
            "[DONE]",
        ]
    )


def _responses(stream: bool) -> tuple[str, bytes]:
    usage = {"input_tokens": 3, "output_tokens": 1, "total_tokens": 4}
    item = {"id": "msg_1", "type": "message", "role": "assistant", "content": []}
    done = {**item, "content": [{"type": "output_text", "text": "hi", "annotations": []}]}
    response = {"id": "resp_1", "status": "completed", "usage": usage, "output": [done]}
    if not stream:
        return "application/json", json.dumps(response).encode()

    def e(kind: str, **fields: Any) -> tuple[str, dict[str, Any]]:
        return (kind, {"type": kind, **fields})

    return "text/event-stream", _sse(
        [
            e("response.created", response={"id": "resp_1", "status": "in_progress"}),
            e("response.output_item.added", output_index=0, item=item),
            e("response.output_text.delta", item_id="msg_1", output_index=0, content_index=0, delta="hi"),
            e("response.output_item.done", output_index=0, item=done),
            e("response.completed", response=response),
        ]
    )


def _gemini_chunk() -> dict[str, Any]:
    return {
        "candidates": [{"content": {"role": "model", "parts": [{"text": "hi"}]}, "finishReason": "STOP"}],
        "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 1, "totalTokenCount": 4},
    }


def _gemini(stream: bool, envelope: bool) -> tuple[str, bytes]:
    chunk = {"response": _gemini_chunk()} if envelope else _gemini_chunk()
    if not stream:
        return "application/json", json.dumps(chunk).encode()
    return "text/event-stream", _sse([chunk])


def _images() -> tuple[str, bytes]:
    return "application/json", json.dumps({"created": 1, "data": [{"b64_json": PNG}]}).encode()


def answer(path: str, body: Any) -> tuple[str, bytes]:
    """A small valid reply in the wire format the request path belongs to."""
    stream = isinstance(body, dict) and body.get("stream") is True
    if path.endswith("/messages"):
        return _anthropic(stream)
    if path.endswith("/chat/completions"):
        return _chat(stream)
    if path.endswith("/responses"):
        return _responses(stream)
    if path.endswith("/images/generations"):
        return _images()
    if ":streamGenerateContent" in path or ":generateContent" in path:
        return _gemini(":streamGenerateContent" in path, envelope="/v1internal:" in path)
    raise AssertionError(f"no wire format for {path}")


class WireServer:
    """Loopback HTTP/1.1 on an ephemeral port: one thread, one request per
    connection, every socket with a timeout, gone after ``lifetime`` seconds.
    Records each request's head as raw ``(name, value)`` lines."""

    def __init__(self, lifetime: float = 60.0) -> None:
        self.seen: list[Seen] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._deadline = time.monotonic() + lifetime
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set() and time.monotonic() < self._deadline:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(5)
                with contextlib.suppress(OSError):
                    self._one(conn)

    def _one(self, conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            more = conn.recv(65536)
            if not more:
                return
            data += more
        head, _, body = data.partition(b"\r\n\r\n")
        line, *raw = head.decode("latin-1").split("\r\n")
        headers = [(k.strip(), v.strip()) for k, _, v in (h.partition(":") for h in raw)]
        length = int(next((v for k, v in headers if k.lower() == "content-length"), "0"))
        while len(body) < length:
            more = conn.recv(65536)
            if not more:
                break
            body += more
        seen = Seen(line, headers, body)
        self.seen.append(seen)
        ctype, payload = answer(line.split(" ")[1].split("?")[0], seen.json())
        conn.sendall(
            f"HTTP/1.1 200 OK\r\ncontent-type: {ctype}\r\ncontent-length: {len(payload)}\r\n"
            "connection: close\r\n\r\n".encode()
            + payload
        )


@pytest.fixture
def server() -> Iterator[WireServer]:
    srv = WireServer()
    yield srv
    srv.close()


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("AIWIRE_HOME", str(tmp_path))
    for var in ("GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_PROJECT_ID"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


# -- the check -------------------------------------------------------------------------


def assert_each_header_once(seen: Seen) -> None:
    names = seen.names()
    twice = sorted({n for n in names if names.count(n) > 1})
    assert not twice, f"{seen.line}: header(s) sent twice: {twice}"
    auth = [n for n in names if n in AUTH_HEADERS]
    assert len(auth) == 1, f"{seen.line}: expected one credential header, got {auth}"
    assert not [n for n in names if n.startswith("x-aiwire")], f"{seen.line}: internal marker on the wire"


async def run_every_way(server: WireServer, model: Model, **options: Any) -> list[Seen]:
    """``stream``, ``stream_sync``, ``complete`` and ``complete_sync`` once each;
    every reply must decode to ``hi``, and every request have each header once."""
    before = len(server.seen)
    messages = [
        await aiwire.stream(model, "hello", **options).result(),
        aiwire.stream_sync(model, "hello", **options).result(),
        await aiwire.complete(model, "hello", **options),
        aiwire.complete_sync(model, "hello", **options),
    ]
    for msg in messages:
        assert msg.stop_reason == "stop", msg.error_message
        assert msg.text == "hi"
    seen = server.seen[before:]
    assert len(seen) == 4
    for one in seen:
        assert_each_header_once(one)
    return seen


def at(model: Model | str, server: WireServer) -> Model:
    m = aiwire.get_model(model) if isinstance(model, str) else model
    return msgspec.structs.replace(m, base_url=server.url)


# -- providers with api keys -----------------------------------------------------------

FIRST_PARTY_APIS = ("anthropic-messages", "openai-completions", "openai-responses", "google-generative-ai")


def _key_providers() -> list[tuple[str, str]]:
    from aiwire._plugins.registry import get_registry, reset

    reset()
    out = set()
    for spec in get_registry().providers.values():
        if spec.login is None and spec.transport is None and spec.api in FIRST_PARTY_APIS:
            out.add((spec.id, spec.api))
    out.add(("openai", "openai-completions"))  # openai speaks both OpenAI apis
    reset()
    return sorted(out)


KEY_PROVIDERS = _key_providers()


def test_every_first_party_api_is_covered() -> None:
    assert {api for _, api in KEY_PROVIDERS} == set(FIRST_PARTY_APIS)
    assert {"anthropic", "openai", "google", "azure", "openrouter"} <= {p for p, _ in KEY_PROVIDERS}


@pytest.mark.parametrize(("provider", "api"), KEY_PROVIDERS, ids=[f"{p}-{a}" for p, a in KEY_PROVIDERS])
async def test_api_key_providers_send_each_header_once(server: WireServer, home: Path, provider: str, api: str) -> None:
    # Every header layer spells names its own way: the model, the provider
    # row, the codec, and the call's headers= option all meet here.
    model = aiwire.custom_model(
        "test-model",
        provider=provider,
        api=api,
        base_url=server.url,
        headers={"User-Agent": "model-layer", "X-Trace": "model"},
    )
    seen = await run_every_way(
        server,
        model,
        api_key="sk-test-key",
        headers={"USER-AGENT": "call-layer", "x-trace": "call", "Content-Type": "application/json"},
    )
    for one in seen:
        assert one.get("user-agent") == "call-layer" and one.get("x-trace") == "call"


async def test_image_generation_sends_each_header_once(server: WireServer, home: Path) -> None:
    model = at("openai/gpt-image-1", server)
    options: dict[str, Any] = {"api_key": "sk-test-key", "headers": {"Authorization": "Bearer sk-test-key"}}
    results = [
        await aiwire.generate_images(model, "a red dot", **options),
        aiwire.generate_images_sync(model, "a red dot", **options),
    ]
    for result in results:
        assert result.stop_reason == "stop", result.error_message
        assert len(result.images) == 1
    assert len(server.seen) == 2 and all(s.line.startswith("POST /images/generations") for s in server.seen)
    for one in server.seen:
        assert_each_header_once(one)


# -- logins ----------------------------------------------------------------------------


def _login(login_id: str, **extra: Any) -> str:
    token = f"{login_id}-access-token"
    default_store().put(login_id, StoredLogin(access=token, refresh="r", expires=time.time() + 3600, extra=extra))
    return token


async def test_claude_login(server: WireServer, home: Path) -> None:
    token = _login("anthropic")
    seen = await run_every_way(server, at("anthropic/claude-sonnet-4-5", server))
    for one in seen:
        assert one.get("authorization") == f"Bearer {token}" and one.get("x-api-key") is None
        assert one.get("x-app") == "cli" and "claude-code-20250219" in (one.get("anthropic-beta") or "")
        assert one.json()["system"][0]["text"].startswith("You are Claude Code")


COPILOT_ROUTES = {
    "openai-completions": "gpt-4.1",
    "openai-responses": "gpt-5.4",
    "anthropic-messages": "claude-sonnet-4.5",
}


@pytest.mark.parametrize("api", sorted(COPILOT_ROUTES))
async def test_copilot_login_on_each_route(server: WireServer, home: Path, api: str) -> None:
    token = _login("github-copilot", api_url=server.url, domain="github.com")
    model = aiwire.get_model("github-copilot", COPILOT_ROUTES[api])
    assert model.api == api
    seen = await run_every_way(server, model)
    for one in seen:
        assert one.get("authorization") == f"Bearer {token}"
        assert one.get("x-initiator") == "user" and (one.get("editor-version") or "").startswith("vscode/")


async def test_codex_login(server: WireServer, home: Path) -> None:
    token = _login("openai-codex", account_id="acct-1")
    seen = await run_every_way(server, at("openai-codex/gpt-5.4", server))
    for one in seen:
        assert one.line.startswith("POST /responses")
        assert one.get("authorization") == f"Bearer {token}" and one.get("chatgpt-account-id") == "acct-1"
        # complete() collected a stream: the backend answers nothing else.
        assert one.json()["stream"] is True and one.get("accept") == "text/event-stream"
        assert one.json()["store"] is False and "max_output_tokens" not in one.json()


async def test_gemini_cli_login(server: WireServer, home: Path) -> None:
    token = _login("google-gemini-cli", project_id="proj-1")
    seen = await run_every_way(server, at(aiwire.models("google-gemini-cli")[0], server))
    for one in seen:
        assert "/v1internal:" in one.line
        assert one.get("authorization") == f"Bearer {token}" and one.json()["project"] == "proj-1"


def test_the_check_catches_a_duplicate() -> None:
    twice = Seen("POST / HTTP/1.1", [("authorization", "a"), ("Authorization", "b"), ("host", "h")], b"")
    with pytest.raises(AssertionError, match="sent twice"):
        assert_each_header_once(twice)
    none = Seen("POST / HTTP/1.1", [("host", "h")], b"")
    with pytest.raises(AssertionError, match="one credential header"):
        assert_each_header_once(none)
