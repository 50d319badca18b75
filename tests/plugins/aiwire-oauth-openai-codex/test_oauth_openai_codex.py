from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _oauth_server import Browser, OAuthTestServer, ScriptedCallbacks, fake_jwt, flow_env, running_server

from aiwire._plugins.registry import get_registry
from aiwire._wire.codec import Request
from aiwire.auth import LoginDenied, StateMismatchError, StoredLogin
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


def test_codex_request_body() -> None:
    model = get_registry().models[("openai-codex", "gpt-5.4")]
    assert model.base_url == "https://chatgpt.com/backend-api/codex" and model.api == "openai-responses"
    body = {
        "model": "gpt-5.4",
        "input": [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "hi"}],
        "max_output_tokens": 100,
        "store": True,
    }
    req = Request(url="u", headers={"Accept": "application/json"}, json=body)
    for result in get_registry().pm.hook.prepare_request(model=model, request=req):
        req = result or req
    assert req.json["store"] is False and req.json["stream"] is True and "max_output_tokens" not in req.json
    assert req.json["instructions"] == "Be brief." and req.json["input"] == [{"role": "user", "content": "hi"}]
    assert req.json["include"] == ["reasoning.encrypted_content"]
    assert req.headers == {"accept": "text/event-stream"}
