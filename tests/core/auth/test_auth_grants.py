"""The standard grants against a real authorization server on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from _oauth_server import Browser, OAuthTestServer, ScriptedCallbacks, running_server

from aiwire.auth import LoginCancelled, LoginDenied, LoginError, StateMismatchError
from aiwire.auth.grants import (
    TokenError,
    authorize,
    device_authorize,
    poll_device_token,
    post_token,
    tokens_to_login,
)
from aiwire.auth.loopback import parse_pasted
from aiwire.auth.pkce import new_pkce

pytestmark = pytest.mark.network


@pytest.fixture
def oauth_server() -> Iterator[OAuthTestServer]:
    yield from running_server()


def _authorize(server: OAuthTestServer, callbacks: ScriptedCallbacks, port: int = 0):  # type: ignore[no-untyped-def]
    server.add_client("cli")
    return authorize(
        callbacks,
        authorize_url=server.url("/authorize"),
        client_id="cli",
        scope="profile",
        port=port,
        path="/callback",
        timeout=10,
    )


def _exchange(server: OAuthTestServer, result) -> dict:  # type: ignore[no-untyped-def]
    return post_token(
        server.url("/token"),
        {
            "grant_type": "authorization_code",
            "client_id": "cli",
            "code": result.code,
            "redirect_uri": result.redirect_uri,
            "code_verifier": result.verifier,
        },
    )


def test_pkce_is_fresh_and_s256() -> None:
    import base64
    import hashlib

    (v1, c1), (v2, _) = new_pkce(), new_pkce()
    assert v1 != v2 and 43 <= len(v1) <= 128
    assert c1 == base64.urlsafe_b64encode(hashlib.sha256(v1.encode()).digest()).rstrip(b"=").decode()


def test_authorization_code_with_pkce_succeeds(oauth_server: OAuthTestServer) -> None:
    browser = Browser()
    cb = ScriptedCallbacks(browser)
    result = _authorize(oauth_server, cb)
    query = parse_qs(urlsplit(cb.urls[0]).query)
    assert query["code_challenge_method"] == ["S256"] and query["response_type"] == ["code"]
    assert result.redirect_uri.startswith("http://localhost:")
    body = _exchange(oauth_server, result)
    assert body["access_token"].startswith("at-") and body["refresh_token"].startswith("rt-")
    browser.thread.join(5)  # type: ignore[union-attr]
    assert browser.final_status == 200
    # A second login gets a different verifier and state.
    result2 = _authorize(oauth_server, ScriptedCallbacks(Browser()))
    assert (result2.verifier, result2.state) != (result.verifier, result.state)


def test_wrong_verifier_is_refused_by_the_server(oauth_server: OAuthTestServer) -> None:
    result = _authorize(oauth_server, ScriptedCallbacks(Browser()))
    result.verifier = new_pkce()[0]
    with pytest.raises(TokenError) as err:
        _exchange(oauth_server, result)
    assert err.value.error == "invalid_grant" and err.value.definitive


def test_denied_consent(oauth_server: OAuthTestServer) -> None:
    oauth_server.consent = "deny"
    browser = Browser()
    with pytest.raises(LoginDenied, match="refused"):
        _authorize(oauth_server, ScriptedCallbacks(browser))
    browser.thread.join(5)  # type: ignore[union-attr]
    assert browser.final_status == 400  # the callback page said so, too


def test_state_mismatch_is_refused(oauth_server: OAuthTestServer) -> None:
    oauth_server.tamper_state = True
    with pytest.raises(StateMismatchError, match="refusing"):
        _authorize(oauth_server, ScriptedCallbacks(Browser()))


def test_taken_port_falls_back_to_paste(oauth_server: OAuthTestServer) -> None:
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen(1)
    port = blocker.getsockname()[1]
    try:
        # The "browser" reports where it was sent; the test pastes that URL.
        oauth_server.add_client("cli")
        cb = ScriptedCallbacks()

        def paste_redirect(message: str, **kw: object) -> str:
            import httpx

            resp = httpx.get(cb.urls[0], follow_redirects=False)
            return resp.headers["location"]

        cb.prompt = paste_redirect  # type: ignore[method-assign,assignment]
        result = _authorize(oauth_server, cb, port=port)
        assert any("in use" in m for m in cb.messages)
        assert _exchange(oauth_server, result)["access_token"]
    finally:
        blocker.close()


def test_callback_server_times_out_and_cancels(oauth_server: OAuthTestServer) -> None:
    oauth_server.add_client("cli")
    with pytest.raises(LoginError, match="no answer"):
        authorize(
            ScriptedCallbacks(),
            authorize_url=oauth_server.url("/authorize"),
            client_id="cli",
            scope="",
            port=0,
            path="/cb",
            timeout=0.2,
        )
    cb = ScriptedCallbacks()
    cb.cancel()
    with pytest.raises(LoginCancelled):
        authorize(cb, authorize_url=oauth_server.url("/authorize"), client_id="cli", scope="", port=0, path="/cb")


def test_parse_pasted_forms() -> None:
    assert parse_pasted("http://localhost:1/cb?code=c&state=s") == {"code": "c", "state": "s"}
    assert parse_pasted("code=c&state=s") == {"code": "c", "state": "s"}
    assert parse_pasted("c#s") == {"code": "c", "state": "s"}
    assert parse_pasted(" c ") == {"code": "c"}


def _device(server: OAuthTestServer):  # type: ignore[no-untyped-def]
    server.add_client("dev")
    return device_authorize(server.url("/device/code"), "dev", "read")


def test_device_code_flow_succeeds(oauth_server: OAuthTestServer) -> None:
    device = _device(oauth_server)
    assert device.user_code and device.interval == 5 and device.device_code not in repr(device)
    cb = ScriptedCallbacks()
    body = poll_device_token(oauth_server.url("/token"), "dev", device, cb)
    assert body["access_token"].startswith("at-")
    assert cb.sleeps == [5, 5, 5]  # two pending answers, then approved


def test_device_code_slow_down_adds_five_seconds(oauth_server: OAuthTestServer) -> None:
    oauth_server.slow_down_polls = {2}
    oauth_server.device_approve_after = 3
    cb = ScriptedCallbacks()
    poll_device_token(oauth_server.url("/token"), "dev", _device(oauth_server), cb)
    assert cb.sleeps == [5, 5, 10, 10]


def test_device_code_expired(oauth_server: OAuthTestServer) -> None:
    device = _device(oauth_server)
    oauth_server.device_expired = True
    with pytest.raises(LoginError, match="expired"):
        poll_device_token(oauth_server.url("/token"), "dev", device, ScriptedCallbacks())


def test_device_code_denied(oauth_server: OAuthTestServer) -> None:
    oauth_server.device_deny = True
    with pytest.raises(LoginDenied):
        poll_device_token(oauth_server.url("/token"), "dev", _device(oauth_server), ScriptedCallbacks())


def test_refresh_keeps_old_refresh_token_when_none_is_issued(oauth_server: OAuthTestServer) -> None:
    oauth_server.add_client("cli")
    first = tokens_to_login(oauth_server.issue("cli"))
    oauth_server.rotate_refresh = False
    body = post_token(
        oauth_server.url("/token"), {"grant_type": "refresh_token", "client_id": "cli", "refresh_token": first.refresh}
    )
    assert "refresh_token" not in body
    second = tokens_to_login(body, previous=first)
    assert second.refresh == first.refresh and second.access != first.access
    oauth_server.rotate_refresh = True
    third = tokens_to_login(
        post_token(
            oauth_server.url("/token"),
            {"grant_type": "refresh_token", "client_id": "cli", "refresh_token": second.refresh},
        ),
        previous=second,
    )
    assert third.refresh != second.refresh and third.expires is not None


def test_token_errors_never_echo_the_request(oauth_server: OAuthTestServer) -> None:
    oauth_server.add_client("cli")
    with pytest.raises(TokenError) as err:
        post_token(
            oauth_server.url("/token"),
            {"grant_type": "refresh_token", "client_id": "cli", "refresh_token": "rt-secret-value"},
        )
    assert "rt-secret-value" not in str(err.value) and err.value.error == "invalid_grant"
