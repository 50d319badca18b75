from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from _oauth_server import OAuthTestServer, ScriptedCallbacks, flow_env, running_server

from aiwire._cli import auth as _cli_auth
from aiwire._engine.call import make_options, prepare, resolve_credentials
from aiwire._plugins.registry import get_registry
from aiwire._wire.headers import Headers
from aiwire.auth import LoginDenied, LoginError, LoginExpiredError, StoredLogin, default_store
from aiwire.auth.grants import TokenError
from aiwire.testing import scrub_request, scrub_response
from aiwire.types import Context, ImageContent, UserMessage
from aiwire_oauth_github_copilot.flow import CopilotFlow, base_url_from_token, catalog_model_ids, normalize_domain
from aiwire_oauth_github_copilot.rewrite import initiator

ROOT = Path(__file__).resolve().parents[3]
CASSETTES = ROOT / "cassettes" / "aiwire-oauth-github-copilot"
TOKEN = "tid=abc;exp=1893456000;sku=x;proxy-ep=proxy.business.githubcopilot.com;8kp=1"


@pytest.fixture
def oauth_server() -> Iterator[OAuthTestServer]:
    yield from running_server()


@pytest.fixture
def vcr_cassette_dir() -> str:
    return str(CASSETTES)


def _exchange(server: OAuthTestServer) -> Any:
    def route(handler: Any, body: bytes) -> tuple[int, Any]:
        auth = handler.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in server.access_tokens:
            return 401, {"message": "Bad credentials"}
        if handler.headers.get("Editor-Version") is None:
            return 400, {"message": "missing Editor-Version"}
        return 200, {"token": TOKEN, "expires_at": int(time.time()) + 1800, "refresh_in": 1500, "sku": "test"}

    return route


@pytest.fixture
def server(oauth_server: OAuthTestServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> OAuthTestServer:
    monkeypatch.setenv("AIWIRE_HOME", str(tmp_path))
    oauth_server.add_client("copilot-test")
    oauth_server.routes["/copilot_internal/v2/token"] = _exchange(oauth_server)
    for model_id in catalog_model_ids():  # the post-login step: each model's policy, accepted
        oauth_server.routes[f"/models/{model_id}/policy"] = lambda h, b: (200, {})
    flow_env(
        monkeypatch,
        "github-copilot",
        oauth_server,
        device_code_url="/device/code",
        token_url="/token",
        copilot_token_url="/copilot_internal/v2/token",
        client_id="copilot-test",
        api_url=oauth_server.base_url,
    )
    return oauth_server


@pytest.mark.network
def test_device_login_then_copilot_token(server: OAuthTestServer) -> None:
    cb = ScriptedCallbacks(answers=[""])  # blank: github.com
    login = CopilotFlow().login(cb)
    assert cb.devices[0].user_code and cb.sleeps == [5, 5, 5]
    assert login.access == TOKEN and login.refresh in server.access_tokens
    assert login.extra == {"domain": "github.com", "plan": "test"}
    creds = CopilotFlow().to_credentials(login, None, get_registry().models[("github-copilot", "gpt-4.1")])  # type: ignore[arg-type]
    assert creds.base_url == server.base_url  # AIWIRE_OAUTH_GITHUB_COPILOT_API_URL wins over the token's host
    assert creds.headers["Editor-Version"].startswith("vscode/") and creds.headers["Copilot-Integration-Id"]


@pytest.mark.network
def test_slow_down_expired_and_denied(server: OAuthTestServer) -> None:
    server.slow_down_polls = {1}
    cb = ScriptedCallbacks(answers=["github.com"])
    CopilotFlow().login(cb)
    assert cb.sleeps[:2] == [5, 10]
    server.polls = 0
    server.device_expired = True
    with pytest.raises(LoginError, match="expired"):
        CopilotFlow().login(ScriptedCallbacks(answers=[""]))
    server.device_expired = False
    server.device_deny = True
    with pytest.raises(LoginDenied):
        CopilotFlow().login(ScriptedCallbacks(answers=[""]))


@pytest.mark.network
def test_cli_login_with_device_code(
    server: OAuthTestServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    server.device_interval = 0
    monkeypatch.setenv("AIWIRE_OAUTH_GITHUB_COPILOT_DOMAIN", "github.com")
    assert _cli_auth.login(["github-copilot", "--no-browser"]) == 0
    out, err = capsys.readouterr()
    code = server.devices[next(iter(server.devices))].get_user_code()
    assert code in err and "Logged in to GitHub Copilot" in out
    # The stored login now serves the provider, with the base URL from the token.
    spec = get_registry().providers["github-copilot"]
    model = get_registry().models[("github-copilot", "claude-sonnet-4.5")]
    assert model.api == "anthropic-messages" and spec.login == "github-copilot"
    creds = resolve_credentials(get_registry(), model, make_options({}))
    assert creds.kind == "oauth" and creds.base_url == server.base_url + "/v1"  # Claude: Copilot's /v1/messages


@pytest.mark.network
def test_expired_copilot_token_is_renewed_with_the_github_token(server: OAuthTestServer) -> None:
    github = server.issue("copilot-test")["access_token"]
    default_store().put("github-copilot", StoredLogin(access="old", refresh=github, expires=time.time() - 1))
    model = get_registry().models[("github-copilot", "gpt-4.1")]
    # Setup does no I/O: the stale token comes with its refresher, which the driver runs.
    stale = resolve_credentials(get_registry(), model, make_options({}))
    assert stale.stale and stale.refresher is not None
    creds = stale.refresher(False)
    assert creds.api_key == TOKEN and default_store().get("github-copilot").refresh == github  # type: ignore[union-attr]
    default_store().put("github-copilot", StoredLogin(access="old", refresh="revoked", expires=time.time() - 1))
    stale = resolve_credentials(get_registry(), model, make_options({}))
    assert stale.refresher is not None
    with pytest.raises(LoginExpiredError, match="aiwire login github-copilot"):
        stale.refresher(False)


@pytest.mark.vcr
def test_copilot_token_exchange_cassette(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("COPILOT_TOKEN_URL", "DOMAIN", "API_URL"):
        monkeypatch.delenv(f"AIWIRE_OAUTH_GITHUB_COPILOT_{key}", raising=False)
    login = CopilotFlow().refresh(StoredLogin(access="x", refresh="gho_test", extra={"domain": "github.com"}))
    assert login.expires == 1893456000 and login.refresh == "gho_test"
    assert login.extra["api_url"] == "https://api.individual.githubcopilot.com"
    with pytest.raises(TokenError, match="HTTP 401") as err:
        CopilotFlow().refresh(StoredLogin(access="x", refresh="gho_revoked"))
    assert err.value.definitive


def test_cassettes_are_scrubbed() -> None:
    class Req:
        def __init__(self, d: dict[str, Any]) -> None:
            self.headers = dict(d["headers"])
            self.uri = d["uri"]
            self.body = d["body"]

    for path in CASSETTES.glob("*.yaml"):
        for item in yaml.safe_load(path.read_text())["interactions"]:
            req = Req(item["request"])
            before = (dict(req.headers), req.uri, req.body)
            scrub_request(req)
            assert (req.headers, req.uri, req.body) == before, path
            resp = yaml.safe_load(yaml.safe_dump(item["response"]))
            assert scrub_response(resp) == item["response"], path


def test_base_url_and_domain() -> None:
    assert base_url_from_token(TOKEN, "github.com") == "https://api.business.githubcopilot.com"
    assert base_url_from_token("tid=1;exp=2", "github.com") == "https://api.individual.githubcopilot.com"
    assert base_url_from_token("tid=1", "ghe.acme.com") == "https://copilot-api.ghe.acme.com"
    assert normalize_domain(" https://GHE.acme.com/login ") == "ghe.acme.com" and normalize_domain("") == "github.com"


def _sent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, model_id: str, context: Context, **options: Any) -> Headers:
    monkeypatch.setenv("AIWIRE_HOME", str(tmp_path))
    login = StoredLogin(access=TOKEN, refresh="gho", expires=time.time() + 3600, extra={"api_url": "http://x.test"})
    default_store().put("github-copilot", login)
    req = prepare(get_registry().models[("github-copilot", model_id)], context, options).request
    assert isinstance(req.headers, Headers) and req.url.startswith("http://x.test/")
    return req.headers


def test_request_headers_follow_the_turn(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert initiator({"messages": [{"role": "user", "content": "hi"}]}) == "user"
    assert initiator({"messages": [{"role": "tool", "content": "42"}]}) == "agent"
    assert initiator({"input": [{"type": "function_call_output", "output": "x"}]}) == "agent"
    tool_result = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "x"}]}
    assert initiator({"messages": [tool_result]}) == "agent"
    image = ImageContent(data="aGk=", mime_type="image/png")
    h = _sent(monkeypatch, tmp_path, "claude-sonnet-4.5", Context(messages=[UserMessage(content=[image])]))
    assert h["X-Initiator"] == "user" and h["Openai-Intent"] == "conversation-edits"
    assert h["Copilot-Vision-Request"] == "true" and "x-api-key" not in h
    assert h["authorization"] == f"Bearer {TOKEN}" and h["editor-version"].startswith("vscode/")
    assert "fine-grained-tool-streaming-2025-05-14" not in h.get("anthropic-beta", "")
    h = _sent(monkeypatch, tmp_path, "gpt-4.1", Context(messages=[UserMessage(content="hi")]))
    assert "Copilot-Vision-Request" not in h and h["X-Initiator"] == "user"
    assert h["authorization"] == f"Bearer {TOKEN}"
