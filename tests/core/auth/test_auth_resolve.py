"""The credential chain with stored logins, refresh under the lock, and two
processes refreshing the same expired token."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from _oauth_server import OAuthTestServer, running_server

import aiwire
from aiwire._demo.faux import FauxReply, FauxTransport
from aiwire._engine.call import make_options, resolve_credentials
from aiwire._plugins import registry as _plugins
from aiwire._plugins.hooks import OAuthSpec, ProviderSpec, hookimpl
from aiwire._wire.codec import Credentials
from aiwire.auth import LoginExpiredError, OAuthFlow, StoredLogin, default_store
from aiwire.auth.grants import post_token, tokens_to_login
from aiwire.errors import MissingCredentialsError
from aiwire.types import Model, TextContent

pytestmark = pytest.mark.network


@pytest.fixture
def oauth_server() -> Iterator[OAuthTestServer]:
    yield from running_server()


class AcmeFlow(OAuthFlow):
    """A minimal standards-only flow (refresh at ``token_url``)."""

    id = "acme"
    name = "Acme"
    endpoints = {"token_url": "http://127.0.0.1:9/token", "client_id": "acme-cli"}

    def refresh(self, login: StoredLogin) -> StoredLogin:
        body = post_token(
            self.endpoint("token_url"),
            {
                "grant_type": "refresh_token",
                "client_id": self.endpoint("client_id"),
                "refresh_token": login.refresh or "",
            },
        )
        return tokens_to_login(body, previous=login)

    def to_credentials(self, login: StoredLogin, provider: ProviderSpec, model: Model) -> Credentials:
        return Credentials(login.access, kind="oauth", headers={"x-acme": "1"}, base_url="https://acme.invalid/v2")


class RecordingTransport(FauxTransport):
    def __init__(self) -> None:
        super().__init__(lambda body: FauxReply(content=[TextContent(text="hi")]))
        self.headers: list[dict[str, str]] = []
        self.urls: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.headers.append(dict(request.headers))
        self.urls.append(str(request.url))
        return super().handle_request(request)


class AcmePlugin:
    AIWIRE_PLUGIN_API = 2
    transport: RecordingTransport | None = None

    @hookimpl
    def register_providers(self, register: Any) -> None:
        register(
            ProviderSpec(
                id="acme", api="faux", base_url="https://acme.invalid", env=("ACME_API_KEY",), transport=self.transport
            )
        )

    @hookimpl
    def register_oauth_providers(self, register: Any) -> None:
        register(OAuthSpec(id="acme", name="Acme", flow=AcmeFlow, providers=("acme",)))


MODEL = Model(id="m", provider="acme", api="faux", base_url="https://acme.invalid")


@pytest.fixture
def acme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, oauth_server: OAuthTestServer) -> OAuthTestServer:
    monkeypatch.setenv("AIWIRE_HOME", str(tmp_path))
    monkeypatch.setenv("AIWIRE_OAUTH_ACME_TOKEN_URL", oauth_server.url("/token"))
    monkeypatch.delenv("ACME_API_KEY", raising=False)
    oauth_server.add_client("acme-cli")
    aiwire.register_plugin(AcmePlugin(), "acme-test")
    yield oauth_server
    _plugins.unregister_plugin("acme-test")


def _resolve(**options: Any) -> Credentials:
    """Credentials as the engine ends up with them: setup resolves them, and a
    stale token is refreshed through its refresher before the first send."""
    creds = resolve_credentials(_plugins.get_registry(), MODEL, make_options(options))
    if creds.stale and creds.refresher is not None:
        creds = creds.refresher(False)
    return creds


def _store_expired(server: OAuthTestServer) -> StoredLogin:
    tokens = server.issue("acme-cli")
    login = StoredLogin(access=tokens["access_token"], refresh=tokens["refresh_token"], expires=time.time() - 10)
    default_store().put("acme", login)
    return login


def test_missing_credentials_name_env_and_login(acme: OAuthTestServer) -> None:
    with pytest.raises(MissingCredentialsError, match=r"\$ACME_API_KEY.*aiwire login acme"):
        _resolve()


def test_chain_explicit_then_login_then_env(acme: OAuthTestServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_API_KEY", "env-key")
    assert _resolve().source == "$ACME_API_KEY"
    default_store().put("acme", StoredLogin(access="stored", expires=time.time() + 3600))
    creds = _resolve()
    assert (creds.api_key, creds.kind, creds.base_url, creds.headers) == (
        "stored",
        "oauth",
        "https://acme.invalid/v2",
        {"x-acme": "1"},
    )
    assert _resolve(api_key="explicit").api_key == "explicit"


def test_expired_token_is_refreshed_and_stored(acme: OAuthTestServer) -> None:
    old = _store_expired(acme)
    acme.rotate_refresh = False
    creds = _resolve()
    assert creds.api_key != old.access and creds.api_key in acme.access_tokens
    stored = default_store().get("acme")
    assert stored is not None and stored.access == creds.api_key and stored.refresh == old.refresh
    assert acme.grants == ["refresh_token"]
    _resolve()  # fresh now: no second refresh
    assert acme.grants == ["refresh_token"]


def test_failed_refresh_is_reported_once_with_the_login_command(acme: OAuthTestServer) -> None:
    default_store().put("acme", StoredLogin(access="a", refresh="rt-unknown", expires=time.time() - 1))
    with pytest.raises(LoginExpiredError, match=r"aiwire login acme") as err:
        _resolve()
    assert "rt-unknown" not in str(err.value)
    assert len(acme.token_requests) == 1
    with pytest.raises(LoginExpiredError, match=r"aiwire login acme"):
        _resolve()
    assert len(acme.token_requests) == 1  # remembered: the server is not asked again


def test_stream_uses_the_refreshed_login(acme: OAuthTestServer) -> None:
    transport = RecordingTransport()
    AcmePlugin.transport = transport
    _plugins.reset()
    try:
        _store_expired(acme)
        msg = aiwire.complete_sync(MODEL, "hello")
    finally:
        AcmePlugin.transport = None
    assert msg.stop_reason == "stop", msg.error_message
    assert acme.grants == ["refresh_token"]
    stored = default_store().get("acme")
    assert stored is not None
    assert transport.headers[0]["x-acme"] == "1"
    assert transport.urls[0].startswith("https://acme.invalid/v2")


_CHILD = textwrap.dedent(
    """
    import hashlib, os, sys, time
    sys.path.insert(0, {here!r})
    import aiwire
    from aiwire._plugins import registry as _plugins
    from aiwire._engine.call import make_options, resolve_credentials
    from test_auth_resolve import AcmePlugin, MODEL
    aiwire.register_plugin(AcmePlugin(), "acme-test")
    go = {go!r}
    while not os.path.exists(go):
        time.sleep(0.005)
    creds = resolve_credentials(_plugins.get_registry(), MODEL, make_options({{}}))
    if creds.stale:
        creds = creds.refresher(False)  # what the driver does before the first send
    print(hashlib.sha256(creds.api_key.encode()).hexdigest())
    """
)


def test_two_processes_refresh_once(acme: OAuthTestServer, tmp_path: Path) -> None:
    _store_expired(acme)
    acme.refresh_delay = 0.3  # widen the race window
    go = tmp_path / "go"
    script = _CHILD.format(here=str(Path(__file__).parent), go=str(go))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    procs = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        for _ in range(2)
    ]
    time.sleep(0.5)  # both are waiting at the start line
    go.touch()
    outs = [p.communicate(timeout=60) for p in procs]
    for p, (_out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err.decode()
    digests = {o.decode().strip() for o, _ in outs}
    stored = default_store().get("acme")
    assert stored is not None
    assert digests == {hashlib.sha256(stored.access.encode()).hexdigest()}
    assert acme.grants == ["refresh_token"]


# -- transient refresh failures (issue 19, defect 10) ---------------------------


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    from aiwire.auth import resolve

    monkeypatch.setattr(resolve, "REFRESH_BACKOFF", 0.01, raising=False)


@pytest.mark.parametrize("status", [500, 503, 429])
def test_transient_refresh_failure_is_retried(acme: OAuthTestServer, quick_retries: None, status: int) -> None:
    """A 5xx or 429 from the token endpoint is retried, not turned into "log in again"."""
    old = _store_expired(acme)
    acme.refresh_failures = [(status, {"error": "server_error"}, {}), (status, "<html>busy</html>", {})]
    creds = _resolve()
    assert creds.api_key != old.access and creds.api_key in acme.access_tokens
    assert len(acme.token_requests) == 3 and acme.grants == ["refresh_token"]


@pytest.mark.parametrize("status", [500, 503, 429])
def test_lasting_transient_failure_says_try_again_later(
    acme: OAuthTestServer, quick_retries: None, status: int
) -> None:
    from aiwire.auth import RefreshUnavailableError

    REFRESH_ATTEMPTS = 3

    old = _store_expired(acme)
    acme.refresh_failures = [(status, {"error": f"http_{status}"}, {"Retry-After": "0"})] * 10
    with pytest.raises(RefreshUnavailableError) as err:
        _resolve()
    text = str(err.value)
    assert f"answered HTTP {status}" in text and "try again later" in text
    assert "log in" not in text and "aiwire login" not in text and old.refresh not in text
    assert not isinstance(err.value, LoginExpiredError)
    assert len(acme.token_requests) == REFRESH_ATTEMPTS
    stored = default_store().get("acme")
    assert stored is not None and stored.invalid is None and stored.refresh == old.refresh  # not remembered
    acme.refresh_failures = []
    assert _resolve().api_key in acme.access_tokens  # the server is back: the same login works


def test_unreachable_token_endpoint_says_try_again_later(
    acme: OAuthTestServer, quick_retries: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiwire.auth import RefreshUnavailableError

    _store_expired(acme)
    monkeypatch.setenv("AIWIRE_OAUTH_ACME_TOKEN_URL", "http://127.0.0.1:9/token")  # nothing listens on port 9
    with pytest.raises(RefreshUnavailableError, match="did not answer.*try again later") as err:
        _resolve()
    assert "aiwire login" not in str(err.value)
    stored = default_store().get("acme")
    assert stored is not None and stored.invalid is None


def test_definitive_refusal_is_not_retried(acme: OAuthTestServer, quick_retries: None) -> None:
    default_store().put("acme", StoredLogin(access="a", refresh="rt-unknown", expires=time.time() - 1))
    with pytest.raises(LoginExpiredError, match=r"log in again with `aiwire login acme`"):
        _resolve()
    assert len(acme.token_requests) == 1
    stored = default_store().get("acme")
    assert stored is not None and stored.invalid
