"""GitHub Copilot end to end: ``aiwire login github-copilot`` (device code)
against a local standards-based authorization server, the post-login model
enabling, the credentials stored, then real calls through ``aiwire.stream``
and ``aiwire.complete`` on each of Copilot's apis (Chat Completions, Responses,
Anthropic Messages) to a loopback server standing in for Copilot's api; each
request is asserted as it arrived.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _oauth_server import OAuthTestServer, flow_env, running_server
from _vendor_server import (
    TRANSPORT_HEADERS,
    Arrived,
    VendorServer,
    httpx_headers,
    json_reply,
    running_vendor,
    sse_reply,
)
from _wire_replies import anthropic_stream, anthropic_whole, chat_stream, chat_whole, responses_stream

import aiwire
from aiwire._cli import auth as _cli_auth
from aiwire.auth import default_store
from aiwire_oauth_github_copilot.flow import catalog_model_ids

pytestmark = pytest.mark.network

COPILOT_TOKEN = "tid=abc;exp=1893456000;sku=copilot_for_business_seat;8kp=1"
EDITOR = [
    ("user-agent", "GitHubCopilotChat/0.35.0"),
    ("editor-version", "vscode/1.107.0"),
    ("editor-plugin-version", "copilot-chat/0.35.0"),
    ("copilot-integration-id", "vscode-chat"),
]


@pytest.fixture
def vendor() -> Iterator[VendorServer]:
    yield from running_vendor()


@pytest.fixture
def oauth_server() -> Iterator[OAuthTestServer]:
    yield from running_server()


@pytest.fixture
def logged_in(
    oauth_server: OAuthTestServer, vendor: VendorServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> str:
    monkeypatch.setenv("AIWIRE_HOME", str(tmp_path))
    oauth_server.add_client("copilot-test")
    oauth_server.device_interval = 0

    def exchange(handler: Any, body: bytes) -> tuple[int, Any]:
        if handler.headers.get("Authorization", "")[7:] not in oauth_server.access_tokens:
            return 401, {"message": "Bad credentials"}
        return 200, {"token": COPILOT_TOKEN, "expires_at": int(time.time()) + 1800, "sku": "business"}

    oauth_server.routes["/copilot_internal/v2/token"] = exchange
    for model_id in catalog_model_ids():
        vendor.routes[f"/models/{model_id}/policy"] = lambda a: json_reply({"state": "enabled"})
    vendor.routes["/chat/completions"] = lambda a: (
        sse_reply(chat_stream("Hi")) if a.json["stream"] else json_reply(chat_whole("Hi"))
    )
    vendor.routes["/responses"] = lambda a: sse_reply(responses_stream("Hi"))
    vendor.routes["/v1/messages"] = lambda a: (
        sse_reply(anthropic_stream("Hi")) if a.json.get("stream") else json_reply(anthropic_whole("Hi"))
    )
    flow_env(monkeypatch, "github-copilot", oauth_server, device_code_url="/device/code", token_url="/token",
             copilot_token_url="/copilot_internal/v2/token", client_id="copilot-test", domain="github.com",
             api_url=vendor.base_url)  # fmt: skip
    assert _cli_auth.login(["github-copilot", "--no-browser"]) == 0
    stored = default_store().get("github-copilot")
    assert stored is not None and stored.access == COPILOT_TOKEN and stored.refresh in oauth_server.access_tokens
    return stored.access


def _lines(arrived: Arrived) -> list[tuple[str, str]]:
    arrived.header_dict()  # no header twice
    return sorted((k.lower(), v) for k, v in arrived.headers)


def _expected(
    vendor: VendorServer,
    sent: Arrived,
    extra: list[tuple[str, str]],
    transport: list[tuple[str, str]] = TRANSPORT_HEADERS,
) -> list[tuple[str, str]]:
    return sorted(
        [
            ("host", vendor.base_url.removeprefix("http://")),
            *transport,
            ("content-type", "application/json"),
            ("authorization", f"Bearer {COPILOT_TOKEN}"),
            *EDITOR,
            ("content-length", str(len(sent.body))),
            *extra,
        ]
    )


def test_login_enables_every_catalog_model(logged_in: str, vendor: VendorServer) -> None:
    enabled = [a for a in vendor.arrived if a.path.endswith("/policy")]
    assert sorted(a.target for a in enabled) == sorted(f"/models/{m}/policy" for m in catalog_model_ids())
    for sent in enabled:
        assert sent.method == "POST" and sent.json == {"state": "enabled"}
        assert _lines(sent) == _expected(
            vendor,
            sent,
            [("accept", "*/*"), ("openai-intent", "chat-policy"), ("x-interaction-type", "chat-policy")],
            httpx_headers(),  # sent by the login, through httpx
        )


CHAT = ("gpt-4.1", "/chat/completions")
RESPONSES = ("gpt-5-mini", "/responses")
MESSAGES = ("claude-sonnet-4.5", "/v1/messages")
COMMON = [("openai-intent", "conversation-edits"), ("x-initiator", "user")]


@pytest.mark.parametrize(
    ("route", "stream_body", "complete_body", "anthropic"),
    [
        (
            CHAT,
            {"model": "gpt-4.1", "messages": [{"role": "user", "content": "hi"}], "stream": True,
             "stream_options": {"include_usage": True}},
            {"model": "gpt-4.1", "messages": [{"role": "user", "content": "hi"}], "stream": False},
            False,
        ),
        (
            RESPONSES,
            {"model": "gpt-5-mini", "input": [{"role": "user", "content": "hi"}], "stream": True,
             "include": ["reasoning.encrypted_content"]},
            None,  # complete() is asserted in its own test below
            False,
        ),
        (
            MESSAGES,
            {"model": "claude-sonnet-4.5", "max_tokens": 32000, "stream": True, "messages": [
                {"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}]}]},
            {"model": "claude-sonnet-4.5", "max_tokens": 16384, "messages": [
                {"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}]}]},
            True,
        ),
    ],
    ids=["chat-completions", "responses", "anthropic-messages"],
)  # fmt: skip
async def test_each_api_streams_and_completes_with_the_login(
    logged_in: str,
    vendor: VendorServer,
    route: tuple[str, str],
    stream_body: dict[str, Any],
    complete_body: dict[str, Any] | None,
    anthropic: bool,
) -> None:
    model_id, path = route
    vendor.arrived.clear()  # the login's policy calls
    anthropic_headers = [("anthropic-version", "2023-06-01"), ("anthropic-beta", "oauth-2025-04-20")]
    extra = COMMON + (anthropic_headers if anthropic else [])

    events = [e async for e in aiwire.stream(f"github-copilot/{model_id}", "hi")]
    msg = events[-1].message
    assert (msg.stop_reason, msg.text) == ("stop", "Hi"), msg.error_message
    sent = vendor.arrived[-1]
    assert (sent.method, sent.target) == ("POST", path)
    assert _lines(sent) == _expected(vendor, sent, [*extra, ("accept", "text/event-stream")])
    assert sent.json == stream_body

    if complete_body is None:
        return
    whole = await aiwire.complete(f"github-copilot/{model_id}", "hi")
    assert (whole.stop_reason, whole.text) == ("stop", "Hi"), whole.error_message
    sent = vendor.arrived[-1]
    accept = ("accept", "application/json") if anthropic else ("accept", "*/*")
    assert (sent.method, sent.target) == ("POST", path)
    assert _lines(sent) == _expected(vendor, sent, [*extra, accept])
    assert sent.json == complete_body
    assert len(vendor.arrived) == 2


async def test_responses_complete_with_the_login(logged_in: str, vendor: VendorServer) -> None:
    from _wire_replies import responses_whole

    vendor.routes["/responses"] = lambda a: json_reply(responses_whole("Hi", model="gpt-5-mini"))
    vendor.arrived.clear()
    whole = await aiwire.complete("github-copilot/gpt-5-mini", "hi")
    assert (whole.stop_reason, whole.text) == ("stop", "Hi"), whole.error_message
    (sent,) = vendor.arrived
    assert (sent.method, sent.target) == ("POST", "/responses")
    assert _lines(sent) == _expected(vendor, sent, [*COMMON, ("accept", "*/*")])
    assert sent.json == {"model": "gpt-5-mini", "input": [{"role": "user", "content": "hi"}], "stream": False,
                         "include": ["reasoning.encrypted_content"]}  # fmt: skip
