from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _oauth_server import Browser, OAuthTestServer, ScriptedCallbacks, fake_jwt, flow_env, running_server

import aiwire
from aiwire._engine.call import prepare
from aiwire._plugins.registry import get_registry
from aiwire._wire.codec import Request
from aiwire.auth import LoginDenied, StateMismatchError, StoredLogin, default_store
from aiwire.errors import BadOptionsError
from aiwire.types import Context, UserMessage
from aiwire_oauth_openai_codex.flow import CodexFlow, account_id

CLAIMS = {
    "email": "user@example.test",
    "https://api.openai.com/auth": {"chatgpt_account_id": "acct-123", "chatgpt_plan_type": "plus"},
}


@pytest.fixture
def oauth_server() -> Iterator[OAuthTestServer]:
    yield from running_server()


@pytest.fixture
def server(oauth_server: OAuthTestServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> OAuthTestServer:
    monkeypatch.setenv("AIWIRE_HOME", str(tmp_path))
    oauth_server.add_client("codex-test")
    oauth_server.id_token_claims = CLAIMS
    flow_env(
        monkeypatch,
        "openai-codex",
        oauth_server,
        authorize_url="/authorize",
        token_url="/token",
        client_id="codex-test",
        callback_port="0",
    )
    return oauth_server


@pytest.mark.network
def test_login_reads_the_account_from_the_id_token(server: OAuthTestServer) -> None:
    cb = ScriptedCallbacks(Browser())
    login = CodexFlow().login(cb)
    assert "codex_cli_simplified_flow=true" in cb.urls[0] and "id_token_add_organizations=true" in cb.urls[0]
    assert login.extra == {"account_id": "acct-123", "email": "user@example.test", "plan": "plus"}
    creds = CodexFlow().to_credentials(login, None, None)  # type: ignore[arg-type]
    assert creds.headers["chatgpt-account-id"] == "acct-123"
    assert creds.headers["OpenAI-Beta"] == "responses=experimental"
    assert server.token_requests[0]["code_verifier"]


@pytest.mark.network
def test_denied_state_and_refresh(server: OAuthTestServer) -> None:
    server.consent = "deny"
    with pytest.raises(LoginDenied):
        CodexFlow().login(ScriptedCallbacks(Browser()))
    server.consent = "approve"
    server.tamper_state = True
    with pytest.raises(StateMismatchError):
        CodexFlow().login(ScriptedCallbacks(Browser()))
    tokens = server.issue("codex-test", scope="openid profile email offline_access")
    old = StoredLogin(access="a", refresh=tokens["refresh_token"], extra={"account_id": "acct-123"})
    server.rotate_refresh = False
    new = CodexFlow().refresh(old)
    assert new.refresh == old.refresh and new.extra["account_id"] == "acct-123"
    assert server.token_requests[-1]["scope"] == "openid profile email"


def test_account_id_falls_back_to_the_access_token() -> None:
    assert account_id(None, fake_jwt(CLAIMS)) == "acct-123"
    assert account_id("not-a-jwt", None) is None


def _logged_in(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AIWIRE_HOME", str(tmp_path))
    token = fake_jwt(CLAIMS)
    login = StoredLogin(access=token, refresh="r", expires=time.time() + 3600, extra={"account_id": "acct-123"})
    default_store().put("openai-codex", login)


def test_codex_differences_are_declared(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _logged_in(monkeypatch, tmp_path)
    model = get_registry().models[("openai-codex", "gpt-5.4")]
    assert model.base_url == "https://chatgpt.com/backend-api/codex" and model.api == "openai-responses"
    spec = get_registry().providers["openai-codex"]
    assert spec.stream_only and spec.options is not None and "max_tokens" not in spec.options
    assert get_registry().pm.hook.prepare_request(model=model, request=Request(url="u"), call=None) == []
    context = Context(system_prompt="Be brief.", messages=[UserMessage(content="hi")])
    req = prepare(model, context, {"session_id": "s1"}).request
    body = req.json
    assert body["store"] is False and body["stream"] is True and "max_output_tokens" not in body
    assert body["instructions"] == "Be brief." and body["input"] == [{"role": "user", "content": "hi"}]
    assert body["include"] == ["reasoning.encrypted_content"] and body["prompt_cache_key"] == "s1"
    h = req.headers
    assert h["accept"] == "text/event-stream" and h["chatgpt-account-id"] == "acct-123"
    assert h["authorization"].startswith("Bearer ") and h["openai-beta"] == "responses=experimental"
    # Without a system prompt the backend still wants the field; a custom
    # non-reasoning model on this provider still asks for encrypted reasoning.
    plain = aiwire.custom_model("gpt-x", provider="openai-codex")
    body = prepare(plain, "hi", {}).request.json
    assert body["instructions"] == "" and body["include"] == ["reasoning.encrypted_content"]


@pytest.mark.parametrize(
    ("option", "value"), [("max_tokens", 100), ("temperature", 0.2), ("top_p", 0.5), ("stop", ["x"])]
)
def test_options_the_backend_refuses_raise(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, option: str, value: Any
) -> None:
    _logged_in(monkeypatch, tmp_path)
    with pytest.raises(BadOptionsError, match=option) as err:
        aiwire.stream("openai-codex/gpt-5.4", "hi", **{option: value})
    if option != "stop":  # stop is refused by the Responses api itself
        assert "openai-codex" in str(err.value) and "remove" in str(err.value)
    with pytest.raises(BadOptionsError, match=option):
        aiwire.complete_sync("openai-codex/gpt-5.4", "hi", **{option: value})
