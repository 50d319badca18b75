"""Every first-party login against a misbehaving authorization server: a clear
error naming the problem, and the credentials already stored left as they were.

Runs each login plugin's real flow through ``aiwire login`` (and a call that
needs a refresh through ``aiwire.complete``) against the local standards-based
authorization server of ``tests/_oauth_server.py``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _oauth_server import Browser, OAuthTestServer, flow_env, running_server

import aiwire
from aiwire._cli import auth as _cli_auth
from aiwire.auth import StoredLogin, default_store

pytestmark = pytest.mark.network

BROWSER_LOGINS = {
    # login id: (endpoint overrides, a model it serves)
    "anthropic": ({}, "anthropic/claude-sonnet-4-5"),
    "openai-codex": ({}, "openai-codex/gpt-5.4"),
    "google-gemini-cli": ({"userinfo_url": "/userinfo"}, "google-gemini-cli/gemini-2.5-pro"),
}
PREVIOUS = StoredLogin(
    access="at-previous", refresh="rt-previous", expires=time.time() + 3600, extra={"project_id": "p"}
)


@pytest.fixture
def oauth_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[OAuthTestServer]:
    monkeypatch.setenv("AIWIRE_HOME", str(tmp_path))
    monkeypatch.setattr("webbrowser.open", Browser().open)
    for var in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_PROJECT_ID"):
        monkeypatch.delenv(var, raising=False)
    yield from running_server()


def _point(monkeypatch: pytest.MonkeyPatch, server: OAuthTestServer, login_id: str, **more: str) -> None:
    server.add_client(f"{login_id}-test", secret="s3" if login_id == "google-gemini-cli" else None)
    names = {"authorize_url": "/authorize", "token_url": "/token", "client_id": f"{login_id}-test", **more}
    if login_id == "google-gemini-cli":
        names |= {"client_secret": "s3", "code_assist_url": server.base_url}
    if login_id == "github-copilot":
        names |= {"device_code_url": "/device/code", "copilot_token_url": "/copilot", "domain": "github.com",
                  "api_url": server.base_url}  # fmt: skip
    else:
        names["callback_port"] = "0"
    flow_env(monkeypatch, login_id, server, **names)


BAD_ANSWERS = {
    "garbage": (200, "<html>we are down for maintenance</html>", {}),
    "http-500": (500, {"error": "server_error"}, {}),
}


@pytest.mark.parametrize("answer", sorted(BAD_ANSWERS))
@pytest.mark.parametrize("login_id", sorted(BROWSER_LOGINS))
def test_a_bad_token_answer_fails_the_login_and_keeps_the_stored_one(
    oauth_server: OAuthTestServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    login_id: str,
    answer: str,
) -> None:
    _point(monkeypatch, oauth_server, login_id, **BROWSER_LOGINS[login_id][0])
    default_store().put(login_id, PREVIOUS)
    oauth_server.token_failures.append(BAD_ANSWERS[answer])
    assert _cli_auth.login([login_id]) == 1
    err = capsys.readouterr().err
    said = err.strip().splitlines()[-1]
    tail = {"http-500": "refused the request: server_error [HTTP 500]",
            "garbage": "answered HTTP 200 without a JSON object"}[answer]  # fmt: skip
    assert said == f"aiwire login {login_id}: {oauth_server.base_url}/token {tail}"
    assert default_store().get(login_id) == PREVIOUS


def _copilot(oauth_server: OAuthTestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    _point(monkeypatch, oauth_server, "github-copilot")
    oauth_server.device_interval = 0
    oauth_server.routes["/copilot"] = lambda h, b: (200, {"token": "tid=1", "expires_at": int(time.time()) + 60})


def test_copilot_expired_device_code_keeps_the_stored_login(
    oauth_server: OAuthTestServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _copilot(oauth_server, monkeypatch)
    default_store().put("github-copilot", PREVIOUS)
    oauth_server.device_expired = True
    assert _cli_auth.login(["github-copilot", "--no-browser"]) == 1
    assert "expired" in capsys.readouterr().err
    assert default_store().get("github-copilot") == PREVIOUS


def test_copilot_slow_down_is_followed_then_the_login_succeeds(
    oauth_server: OAuthTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _copilot(oauth_server, monkeypatch)
    oauth_server.slow_down_polls = {1, 2}
    oauth_server.device_interval = 1
    slept: list[float] = []
    monkeypatch.setattr("aiwire._cli.auth.TerminalCallbacks.sleep", lambda self, s: slept.append(s))
    assert _cli_auth.login(["github-copilot", "--no-browser"]) == 0
    assert slept[:3] == [1, 6, 11]  # RFC 8628 §3.5: each slow_down adds 5 seconds
    stored = default_store().get("github-copilot")
    assert stored is not None and stored.access == "tid=1"


def test_copilot_garbage_token_exchange_keeps_the_stored_login(
    oauth_server: OAuthTestServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _copilot(oauth_server, monkeypatch)
    oauth_server.routes["/copilot"] = lambda h, b: (200, "<html>garbage</html>")
    default_store().put("github-copilot", PREVIOUS)
    assert _cli_auth.login(["github-copilot", "--no-browser"]) == 1
    assert "without a Copilot token" in capsys.readouterr().err
    assert default_store().get("github-copilot") == PREVIOUS


@pytest.mark.parametrize("login_id", [*sorted(BROWSER_LOGINS), "github-copilot"])
def test_a_revoked_refresh_token_names_the_login_and_keeps_the_store(
    oauth_server: OAuthTestServer, monkeypatch: pytest.MonkeyPatch, login_id: str
) -> None:
    if login_id == "github-copilot":
        _copilot(oauth_server, monkeypatch)
        oauth_server.routes["/copilot"] = lambda h, b: (401, {"message": "Bad credentials"})
        model = "github-copilot/gpt-4.1"
    else:
        _point(monkeypatch, oauth_server, login_id, **BROWSER_LOGINS[login_id][0])
        model = BROWSER_LOGINS[login_id][1]
    expired = StoredLogin(access="at-old", refresh="rt-revoked", expires=time.time() - 10, extra={"project_id": "p"})
    default_store().put(login_id, expired)
    msg = aiwire.complete_sync(model, "hi", max_retries=0)
    assert msg.stop_reason == "error" and f"aiwire login {login_id}" in (msg.error_message or "")
    assert "rt-revoked" not in (msg.error_message or "")

    def kept() -> tuple[Any, ...]:
        s = default_store().get(login_id)
        assert s is not None
        return (s.access, s.refresh, s.expires, s.extra)

    # The tokens are kept; only the refusal is noted, so the next call fails at once.
    assert kept() == (expired.access, expired.refresh, expired.expires, expired.extra)
    with pytest.raises(aiwire.auth.LoginExpiredError, match=f"aiwire login {login_id}"):
        aiwire.complete_sync(model, "hi", max_retries=0)
    assert kept() == (expired.access, expired.refresh, expired.expires, expired.extra)
