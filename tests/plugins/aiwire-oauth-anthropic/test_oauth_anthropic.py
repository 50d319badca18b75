from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _oauth_server import Browser, OAuthTestServer, ScriptedCallbacks, flow_env, running_server

import aiwire
from aiwire._cli import auth as _cli_auth
from aiwire._engine.call import prepare
from aiwire._wire.headers import Headers
from aiwire.auth import LoginDenied, StateMismatchError, StoredLogin, default_store
from aiwire.types import Context, Tool, UserMessage
from aiwire_oauth_anthropic.flow import AnthropicFlow
from aiwire_oauth_anthropic.rewrite import IDENTITY, with_identity

pytestmark = pytest.mark.network


@pytest.fixture
def oauth_server() -> Iterator[OAuthTestServer]:
    yield from running_server()


@pytest.fixture
def server(oauth_server: OAuthTestServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> OAuthTestServer:
    monkeypatch.setenv("AIWIRE_HOME", str(tmp_path))
    oauth_server.add_client("claude-test")
    flow_env(
        monkeypatch,
        "anthropic",
        oauth_server,
        authorize_url="/authorize",
        token_url="/token",
        client_id="claude-test",
        callback_port="0",
    )
    return oauth_server


def test_login_exchanges_json_with_pkce_and_state(server: OAuthTestServer) -> None:
    login = AnthropicFlow().login(ScriptedCallbacks(Browser()))
    assert login.access in server.access_tokens and login.refresh
    sent = server.token_requests[0]
    assert sent["grant_type"] == "authorization_code" and sent["code_verifier"] and sent["state"]
    assert login.expires is not None and login.expires > time.time() + 3000


def test_login_denied_and_state_mismatch(server: OAuthTestServer) -> None:
    server.consent = "deny"
    with pytest.raises(LoginDenied):
        AnthropicFlow().login(ScriptedCallbacks(Browser()))
    server.consent = "approve"
    server.tamper_state = True
    with pytest.raises(StateMismatchError):
        AnthropicFlow().login(ScriptedCallbacks(Browser()))
    assert server.token_requests == []  # no code was ever exchanged


def test_refresh_keeps_refresh_token_when_not_rotated(server: OAuthTestServer) -> None:
    tokens = server.issue("claude-test")
    old = StoredLogin(access=tokens["access_token"], refresh=tokens["refresh_token"], expires=0)
    server.rotate_refresh = False
    new = AnthropicFlow().refresh(old)
    assert new.access != old.access and new.refresh == old.refresh


def test_cli_login_status_logout(
    server: OAuthTestServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    browser = Browser()
    monkeypatch.setattr("webbrowser.open", browser.open)
    assert _cli_auth.login([]) == 0
    assert "anthropic" in capsys.readouterr().out
    assert _cli_auth.login(["anthropic"]) == 0
    out, err = capsys.readouterr()
    assert "Logged in to Anthropic (Claude Pro/Max)" in out and "/authorize?" in err
    stored = default_store().get("anthropic")
    assert stored is not None
    assert _cli_auth.auth(["status"]) == 0
    out = capsys.readouterr().out
    assert "anthropic" in out and "valid for" in out
    assert stored.access not in out and (stored.refresh or "x") not in out
    assert _cli_auth.logout(["anthropic"]) == 0
    assert default_store().get("anthropic") is None
    assert _cli_auth.logout(["anthropic"]) == 1


def test_cli_login_reports_refusal(
    server: OAuthTestServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    server.consent = "deny"
    monkeypatch.setattr("webbrowser.open", Browser().open)
    assert _cli_auth.login(["anthropic"]) == 1
    assert "refused" in capsys.readouterr().err
    assert _cli_auth.login(["nope"]) == 2


def _tool_context() -> Context:
    tool = Tool(name="lookup", description="d", parameters={"type": "object", "properties": {}})
    return Context(system_prompt="Be brief.", messages=[UserMessage(content="q")], tools=[tool])


def test_requests_with_a_login_get_subscription_headers_and_identity(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AIWIRE_HOME", str(tmp_path))
    default_store().put("anthropic", StoredLogin(access="sk-ant-oat-test", refresh="r", expires=time.time() + 3600))
    model = aiwire.custom_model("claude-sonnet-4-5", provider="anthropic")
    req = prepare(model, _tool_context(), {}).request
    h = req.headers
    assert isinstance(h, Headers) and "x-api-key" not in h and "x-aiwire-login" not in h
    assert h["authorization"] == "Bearer sk-ant-oat-test"
    assert sorted(h["anthropic-beta"].split(",")) == ["claude-code-20250219", "oauth-2025-04-20"]
    assert h["user-agent"].startswith("claude-cli/") and h["x-app"] == "cli"
    assert req.json["system"][0]["text"] == IDENTITY and req.json["system"][1]["text"] == "Be brief."
    assert not any(k.startswith("x-aiwire") for k in h)


def test_identity_is_added_once_and_to_strings() -> None:
    assert with_identity(None) == [{"type": "text", "text": IDENTITY}]
    assert with_identity("s")[1] == {"type": "text", "text": "s"}
    once = with_identity([{"type": "text", "text": "s"}])
    assert with_identity(once) == once


def test_api_key_requests_are_left_alone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AIWIRE_HOME", str(tmp_path))
    default_store().put("anthropic", StoredLogin(access="sk-ant-oat-test", refresh="r", expires=time.time() + 3600))
    model = aiwire.custom_model("claude-sonnet-4-5", provider="anthropic")
    req = prepare(model, _tool_context(), {"api_key": "sk-ant-api"}).request
    assert req.headers["x-api-key"] == "sk-ant-api" and "authorization" not in req.headers
    assert "x-app" not in req.headers and "anthropic-beta" not in req.headers
    assert [b["text"] for b in req.json["system"]] == ["Be brief."]


def _coding_tools() -> list[Tool]:
    schema = {"type": "object", "properties": {}}
    return [Tool(name=n, description="d", parameters=schema) for n in ("read", "todowrite", "lookup", "Bash")]


def test_subscription_requests_use_claude_code_tool_casing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AIWIRE_HOME", str(tmp_path))
    default_store().put("anthropic", StoredLogin(access="sk-ant-oat-test", refresh="r", expires=time.time() + 3600))
    model = aiwire.custom_model("claude-sonnet-4-5", provider="anthropic")
    history = aiwire.AssistantMessage(
        content=[aiwire.ToolCall(id="toolu_1", name="read", arguments={})], stop_reason="tool_use"
    )
    result = aiwire.ToolResultMessage(tool_call_id="toolu_1", tool_name="read", content=[aiwire.TextContent(text="x")])
    ctx = Context(messages=[UserMessage(content="q"), history, result], tools=_coding_tools())
    body = prepare(model, ctx, {"tool_choice": "todowrite"}).request.json
    assert [t["name"] for t in body["tools"]] == ["Read", "TodoWrite", "lookup", "Bash"]
    assert body["tool_choice"] == {"type": "tool", "name": "TodoWrite"}
    assert body["messages"][1]["content"][0]["name"] == "Read"
    # With an api key nothing is renamed: the casing is the subscription backend's.
    body = prepare(model, ctx, {"api_key": "sk-ant-api"}).request.json
    assert [t["name"] for t in body["tools"]] == ["read", "todowrite", "lookup", "Bash"]
