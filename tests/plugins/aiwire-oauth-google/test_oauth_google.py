"""Gemini CLI login and the Cloud Code Assist envelope.

The envelope is tested around aiwire-google's real ``google-generative-ai``
codec (a declared dependency of this plugin).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _oauth_server import Browser, OAuthTestServer, ScriptedCallbacks, flow_env, running_server

import aiwire
from aiwire._plugins import registry as _plugins
from aiwire._wire.codec import Credentials, Options
from aiwire.auth import LoginCancelled, StoredLogin
from aiwire.types import Context, Model
from aiwire_oauth_google.codec import CloudCodeAssistCodec
from aiwire_oauth_google.flow import CLIENT_ID, CLIENT_SECRET, GeminiCliFlow, discover_project

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def oauth_server() -> Iterator[OAuthTestServer]:
    yield from running_server()


@pytest.fixture
def vcr_cassette_dir() -> str:
    return str(ROOT / "cassettes" / "aiwire-oauth-google")


def _code_assist(server: OAuthTestServer, *, tier: bool) -> list[str]:
    calls: list[str] = []

    def load(handler: Any, body: bytes) -> tuple[int, Any]:
        calls.append("load")
        if handler.headers.get("Authorization", "")[7:] not in server.access_tokens:
            return 401, {"error": {"message": "unauthenticated"}}
        if tier:
            return 200, {"currentTier": {"id": "standard-tier"}, "cloudaicompanionProject": {"id": "proj-1"}}
        return 200, {"allowedTiers": [{"id": "free-tier", "isDefault": True}]}

    def onboard(handler: Any, body: bytes) -> tuple[int, Any]:
        calls.append("onboard:" + json.loads(body)["tierId"])
        done = calls.count("onboard:free-tier") >= 2
        resp = {"cloudaicompanionProject": {"id": "managed-2"}} if done else {}
        return 200, {"name": "operations/1", "done": done, "response": resp}

    server.routes["/v1internal:loadCodeAssist"] = load
    server.routes["/v1internal:onboardUser"] = onboard
    server.routes["/userinfo"] = lambda h, b: (200, {"email": "user@example.test"})
    return calls


@pytest.fixture
def server(oauth_server: OAuthTestServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> OAuthTestServer:
    monkeypatch.setenv("AIWIRE_HOME", str(tmp_path))
    for var in ("GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_PROJECT_ID"):
        monkeypatch.delenv(var, raising=False)
    oauth_server.add_client("gemini-test", secret="test-secret")
    flow_env(
        monkeypatch,
        "google-gemini-cli",
        oauth_server,
        authorize_url="/authorize",
        token_url="/token",
        userinfo_url="/userinfo",
        code_assist_url=oauth_server.base_url,
        client_id="gemini-test",
        client_secret="test-secret",
        callback_port="0",
    )
    return oauth_server


@pytest.mark.network
def test_login_finds_the_project(server: OAuthTestServer) -> None:
    calls = _code_assist(server, tier=True)
    cb = ScriptedCallbacks(Browser())
    login = GeminiCliFlow().login(cb)
    assert "access_type=offline" in cb.urls[0] and "prompt=consent" in cb.urls[0]
    assert login.extra == {"project_id": "proj-1", "email": "user@example.test"}
    assert calls == ["load"] and server.token_requests[0]["client_secret"] == "test-secret"


@pytest.mark.network
def test_login_onboards_a_new_account(server: OAuthTestServer) -> None:
    calls = _code_assist(server, tier=False)
    cb = ScriptedCallbacks(Browser())
    login = GeminiCliFlow().login(cb)
    assert login.extra["project_id"] == "managed-2"
    assert calls == ["load", "onboard:free-tier", "onboard:free-tier"] and cb.sleeps == [5.0]


@pytest.mark.network
def test_refresh_keeps_the_refresh_token(server: OAuthTestServer) -> None:
    tokens = server.issue("gemini-test", scope=GeminiCliFlow.endpoints["scope"])
    server.rotate_refresh = False  # Google never rotates
    old = StoredLogin(access="a", refresh=tokens["refresh_token"], extra={"project_id": "p"})
    new = GeminiCliFlow().refresh(old)
    assert new.refresh == old.refresh and new.extra == {"project_id": "p"} and new.access != "a"


class _StopAtUrl(ScriptedCallbacks):
    """Shows the authorization URL, then cancels: what a user closing the tab does."""

    def show_url(self, url: str, instructions: str = "") -> None:
        super().show_url(url, instructions)
        self.cancel()


def test_login_reaches_google_with_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CLIENT_ID", "CLIENT_SECRET", "AUTHORIZE_URL", "TOKEN_URL"):
        monkeypatch.delenv(f"AIWIRE_OAUTH_GOOGLE_GEMINI_CLI_{name}", raising=False)
    monkeypatch.setenv("AIWIRE_OAUTH_GOOGLE_GEMINI_CLI_CALLBACK_PORT", "0")  # 8085 may be taken on this machine
    cb = _StopAtUrl()
    with pytest.raises(LoginCancelled):
        GeminiCliFlow().login(cb)
    (url,) = cb.urls
    assert url.startswith("https://accounts.google.com/o/oauth2/v2/auth?")
    assert f"client_id={CLIENT_ID}" in url and "code_challenge_method=S256" in url
    assert GeminiCliFlow().endpoint("client_secret") == CLIENT_SECRET


def test_the_shipped_client_is_what_the_token_endpoint_gets(
    oauth_server: OAuthTestServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # No client id or secret in the environment: Gemini CLI's own are sent.
    monkeypatch.setenv("AIWIRE_HOME", str(tmp_path))
    oauth_server.add_client(CLIENT_ID, secret=CLIENT_SECRET)
    _code_assist(oauth_server, tier=True)
    flow_env(
        monkeypatch, "google-gemini-cli", oauth_server, authorize_url="/authorize", token_url="/token",
        userinfo_url="/userinfo", code_assist_url=oauth_server.base_url, callback_port="0",
    )  # fmt: skip
    login = GeminiCliFlow().login(ScriptedCallbacks(Browser()))
    sent = oauth_server.token_requests[0]
    assert (sent["client_id"], sent["client_secret"]) == (CLIENT_ID, CLIENT_SECRET)
    assert login.extra["project_id"] == "proj-1"


@pytest.mark.vcr
def test_project_discovery_cassette() -> None:
    assert discover_project("https://cloudcode-pa.googleapis.com", "ya29.test", ScriptedCallbacks()) == (
        "example-project-a1b2c"
    )


# -- the envelope codec, around the real aiwire-google codec -----------------------


@pytest.fixture
def gemini() -> None:
    if "google-generative-ai" not in _plugins.get_registry().apis:
        pytest.skip("needs the aiwire-google plugin installed (the envelope wraps its codec)")


MODEL = Model(id="gemini-2.5-pro", provider="google-gemini-cli", api="google-gemini-cli", base_url="https://cca.test")


def test_envelope_request(gemini: None) -> None:
    codec = _plugins.get_registry().codec("google-gemini-cli")
    assert isinstance(codec, CloudCodeAssistCodec)
    creds = GeminiCliFlow().to_credentials(StoredLogin(access="tok", extra={"project_id": "p1"}), None, MODEL)  # type: ignore[arg-type]
    req = codec.build_request(MODEL, Context(messages=[aiwire.UserMessage(content="hi")]), Options(), creds)
    assert req.url == "https://cca.test/v1internal:streamGenerateContent?alt=sse"
    assert req.json["project"] == "p1" and req.json["model"] == "gemini-2.5-pro"
    assert req.json["request"]["contents"] == [{"role": "user", "parts": [{"text": "hi"}]}]
    assert "x-goog-api-key" not in {k.lower() for k in req.headers}
    assert (
        creds.headers["Authorization"] == "Bearer tok"
        and json.loads(creds.headers["Client-Metadata"])["pluginType"] == "GEMINI"
    )
    with pytest.raises(aiwire.errors.MissingCredentialsError, match="project"):
        codec.build_request(MODEL, Context(), Options(), Credentials("tok", kind="oauth"))


def test_envelope_stream_end_to_end(gemini: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    monkeypatch.setenv("AIWIRE_HOME", str(tmp_path))
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        events = [
            {"response": {"candidates": [{"content": {"parts": [{"text": "Hel"}]}}]}, "traceId": "t"},
            {"response": {"candidates": [{"content": {"parts": [{"text": "lo"}]}, "finishReason": "STOP"}]}},
        ]
        body = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events)
        return httpx.Response(200, stream=httpx.ByteStream(body), headers={"content-type": "text/event-stream"})

    from aiwire.auth import default_store

    default_store().put("google-gemini-cli", StoredLogin(access="ya29.t", extra={"project_id": "p9"}))
    events = list(aiwire.stream_sync(MODEL, "hi", transport=httpx.MockTransport(handler)))
    msg = events[-1].message
    assert msg.stop_reason == "stop" and msg.text == "Hello", msg.error_message
    body = json.loads(seen[0].content)
    assert body["project"] == "p9" and seen[0].headers["authorization"] == "Bearer ya29.t"


def test_cli_login_reaches_google_with_no_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from aiwire._cli import auth as cli

    monkeypatch.setenv("AIWIRE_HOME", str(tmp_path))
    for name in ("CLIENT_ID", "CLIENT_SECRET", "AUTHORIZE_URL"):
        monkeypatch.delenv(f"AIWIRE_OAUTH_GOOGLE_GEMINI_CLI_{name}", raising=False)
    monkeypatch.setenv("AIWIRE_OAUTH_GOOGLE_GEMINI_CLI_CALLBACK_PORT", "0")  # 8085 may be taken on this machine
    shown = cli.TerminalCallbacks.show_url

    def show_then_close(self: Any, url: str, instructions: str = "") -> None:
        shown(self, url, instructions)
        self.cancel()  # the user closes the tab: the login ends at its next wait

    monkeypatch.setattr(cli.TerminalCallbacks, "show_url", show_then_close)
    assert cli.login(["google-gemini-cli", "--no-browser"]) != 0
    out, err = capsys.readouterr()
    assert f"https://accounts.google.com/o/oauth2/v2/auth?response_type=code&client_id={CLIENT_ID}" in out + err
    assert "CLIENT_SECRET" not in out + err
