"""Claude Pro/Max end to end: ``aiwire login anthropic`` against a local
standards-based authorization server, the credentials stored, then real calls
through ``aiwire.stream`` and ``aiwire.complete`` to a loopback server standing
in for the Messages api; each request is asserted as it arrived.

The replies follow Anthropic's documented Messages stream and response shapes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from _oauth_server import Browser, OAuthTestServer, flow_env, running_server
from _vendor_server import TRANSPORT_HEADERS, Arrived, VendorServer, json_reply, running_vendor, sse, sse_reply

import aiwire
from aiwire import events as ev
from aiwire._cli import auth as _cli_auth
from aiwire.auth import default_store
from aiwire.types import Context, Tool, UserMessage

pytestmark = pytest.mark.network

STREAM = [
    ("message_start", {"type": "message_start", "message": {
        "id": "msg_01", "type": "message", "role": "assistant", "content": [], "model": "claude-sonnet-4-5",
        "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 21, "output_tokens": 1}}}),
    ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Reading."}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ("content_block_start", {"type": "content_block_start", "index": 1,
                             "content_block": {"type": "tool_use", "id": "toolu_01", "name": "Read", "input": {}}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 1,
                             "delta": {"type": "input_json_delta", "partial_json": "{\"path\": \"a.txt\"}"}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 1}),
    ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                       "usage": {"output_tokens": 12}}),
    ("message_stop", {"type": "message_stop"}),
]  # fmt: skip
WHOLE = {
    "id": "msg_02", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
    "content": [{"type": "text", "text": "Hello."}], "stop_reason": "end_turn", "stop_sequence": None,
    "usage": {"input_tokens": 9, "output_tokens": 3},
}  # fmt: skip
READ = Tool(
    name="read",
    description="Read a file.",
    parameters={"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
)


@pytest.fixture
def vendor() -> Iterator[VendorServer]:
    yield from running_vendor()


@pytest.fixture
def oauth_server() -> Iterator[OAuthTestServer]:
    yield from running_server()


@pytest.fixture
def logged_in(oauth_server: OAuthTestServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """``aiwire login anthropic`` run for real; returns the stored access token."""
    monkeypatch.setenv("AIWIRE_HOME", str(tmp_path))
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    oauth_server.add_client("claude-test")
    flow_env(monkeypatch, "anthropic", oauth_server, authorize_url="/authorize", token_url="/token",
             client_id="claude-test", callback_port="0")  # fmt: skip
    monkeypatch.setattr("webbrowser.open", Browser().open)
    assert _cli_auth.login(["anthropic"]) == 0
    stored = default_store().get("anthropic")
    assert stored is not None and stored.access in oauth_server.access_tokens
    return stored.access


def _model(vendor: VendorServer) -> aiwire.Model:
    return msgspec.structs.replace(aiwire.get_model("anthropic/claude-sonnet-4-5"), base_url=vendor.base_url + "/v1")


def _expected_headers(vendor: VendorServer, token: str, body: bytes, accept: str) -> list[tuple[str, str]]:
    return sorted(
        [
            ("host", vendor.base_url.removeprefix("http://")),
            *TRANSPORT_HEADERS,
            ("content-type", "application/json"),
            ("accept", accept),
            ("anthropic-version", "2023-06-01"),
            ("authorization", f"Bearer {token}"),
            ("anthropic-beta", "oauth-2025-04-20,claude-code-20250219"),
            ("user-agent", "claude-cli/2.1.75 (external, cli)"),
            ("x-app", "cli"),
            ("content-length", str(len(body))),
        ]
    )


def _lines(arrived: Arrived) -> list[tuple[str, str]]:
    arrived.header_dict()  # no header twice
    return sorted((k.lower(), v) for k, v in arrived.headers)


async def test_stream_and_complete_with_the_login(logged_in: str, vendor: VendorServer) -> None:
    vendor.routes["/v1/messages"] = lambda a: sse_reply(sse(*STREAM)) if a.json.get("stream") else json_reply(WHOLE)
    ctx = Context(system_prompt="Be brief.", messages=[UserMessage(content="What is in a.txt?")], tools=[READ])
    model = _model(vendor)

    events = [e async for e in aiwire.stream(model, ctx, max_tokens=256)]
    msg = events[-1].message
    assert msg.stop_reason == "tool_use", msg.error_message
    # Sent as Claude Code's "Read"; the caller's spelling comes back, in the events too.
    assert [c.name for c in msg.tool_calls] == ["read"] and msg.tool_calls[0].arguments == {"path": "a.txt"}
    assert [e.name for e in events if isinstance(e, ev.ToolCallStart)] == ["read"]

    sent = vendor.arrived[0]
    assert (sent.method, sent.target) == ("POST", "/v1/messages")
    assert _lines(sent) == _expected_headers(vendor, logged_in, sent.body, "text/event-stream")
    assert sent.json == {
        "model": "claude-sonnet-4-5",
        "max_tokens": 256,
        "stream": True,
        "system": [
            {"type": "text", "text": "You are Claude Code, Anthropic's official CLI for Claude."},
            {"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}},
        ],
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "What is in a.txt?", "cache_control": {"type": "ephemeral"}}]},
        ],
        "tools": [{
            "name": "Read", "description": "Read a file.", "cache_control": {"type": "ephemeral"},
            "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
        }],  # no eager_input_streaming: that is sent to Anthropic's own host only, and this one is loopback
    }  # fmt: skip

    whole = await aiwire.complete(model, "Say hello.")
    assert whole.text == "Hello." and whole.stop_reason == "stop"
    sent = vendor.arrived[1]
    assert (sent.method, sent.target) == ("POST", "/v1/messages")
    assert _lines(sent) == _expected_headers(vendor, logged_in, sent.body, "application/json")
    assert json.loads(sent.body) == {
        "model": "claude-sonnet-4-5",
        "max_tokens": 16384,
        "system": [{"type": "text", "text": "You are Claude Code, Anthropic's official CLI for Claude."}],
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": "Say hello.", "cache_control": {"type": "ephemeral"}}]}],
    }  # fmt: skip
    assert len(vendor.arrived) == 2
