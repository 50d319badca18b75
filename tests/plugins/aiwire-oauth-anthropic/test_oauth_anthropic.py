from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _oauth_server import Browser, OAuthTestServer, ScriptedCallbacks, flow_env, running_server

from aiwire._cli import auth as _cli_auth
from aiwire._plugins.registry import get_registry
from aiwire._wire.codec import Request
from aiwire.auth import LoginDenied, StateMismatchError, StoredLogin, default_store
from aiwire.types import Model
from aiwire_oauth_anthropic.flow import AnthropicFlow
from aiwire_oauth_anthropic.rewrite import IDENTITY

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


def test_requests_with_a_login_get_subscription_headers_and_identity() -> None:
    flow = AnthropicFlow()
    model = Model(id="claude-x", provider="anthropic", api="anthropic-messages", base_url="https://api.anthropic.com")
    creds = flow.to_credentials(StoredLogin(access="sk-ant-oat-test"), None, model)  # type: ignore[arg-type]
    req = Request(
        url="https://api.anthropic.com/v1/messages",
        headers={"x-api-key": "sk-ant-oat-test", "anthropic-beta": "interleaved-thinking-2025-05-14", **creds.headers},
        json={"system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}]},
    )
    hook = get_registry().pm.hook.prepare_request
    for result in hook(model=model, request=req):
        req = result or req
    h = {k.lower(): v for k, v in req.headers.items()}
    assert "x-api-key" not in h and "x-aiwire-login" not in h
    assert h["authorization"] == "Bearer sk-ant-oat-test"
    assert h["anthropic-beta"].split(",") == [
        "claude-code-20250219",
        "oauth-2025-04-20",
        "interleaved-thinking-2025-05-14",
    ]
    assert h["user-agent"].startswith("claude-cli/") and h["x-app"] == "cli"
    assert req.json["system"][0]["text"] == IDENTITY and req.json["system"][1]["text"] == "Be brief."


def test_api_key_requests_are_left_alone() -> None:
    model = Model(id="claude-x", provider="anthropic", api="anthropic-messages", base_url="https://api.anthropic.com")
    req = Request(url="u", headers={"x-api-key": "sk-ant-api"}, json={"system": "s"})
    assert all(r is None for r in get_registry().pm.hook.prepare_request(model=model, request=req))
    assert req.headers == {"x-api-key": "sk-ant-api"} and json.dumps(req.json) == '{"system": "s"}'
