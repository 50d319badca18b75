"""The standard OAuth 2.0 exchanges, shared by every login flow.

Authorization code with PKCE (RFC 6749 §4.1, RFC 7636, loopback redirect per
RFC 8252), refresh (RFC 6749 §6) and the device authorization grant
(RFC 8628). Blocking httpx calls: logins and refreshes are rare and short.
Errors carry the server's ``error`` code and description, never a token.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import httpx
import msgspec

from aiwire.auth.errors import LoginDenied, LoginError, StateMismatchError
from aiwire.auth.loopback import CallbackServer, parse_pasted
from aiwire.auth.oauth import DeviceCode, LoginCallbacks
from aiwire.auth.pkce import check_state, new_pkce, new_state
from aiwire.auth.store import StoredLogin

__all__ = [
    "AuthorizationResult",
    "TokenError",
    "authorize",
    "device_authorize",
    "exchange_code",
    "post_token",
    "poll_device_token",
    "refresh_grant",
    "tokens_to_login",
]

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
TIMEOUT = httpx.Timeout(30.0, connect=15.0)
"""The httpx timeout of token-endpoint calls: 30 s, 15 s to connect."""
_TRANSIENT_ERRORS = frozenset({"server_error", "temporarily_unavailable"})  # RFC 6749 §4.1.2.1


class TokenError(LoginError):
    """The token endpoint refused a request. ``error`` is the OAuth error
    code (``invalid_grant``...), ``status`` the HTTP status (0: no answer)."""

    def __init__(
        self,
        message: str,
        *,
        error: str = "",
        status: int = 0,
        interval: float | None = None,
        retry_after: float | None = None,
        unreachable: bool = False,
    ) -> None:
        super().__init__(message)
        self.error = error
        self.status = status
        self.interval = interval
        self.retry_after = retry_after
        self.unreachable = unreachable

    @property
    def definitive(self) -> bool:
        """The grant itself was refused (retrying the same token won't help)."""
        if self.error in _TRANSIENT_ERRORS:
            return False
        return self.error in ("invalid_grant", "unauthorized_client", "invalid_client", "access_denied") or (
            self.status in (400, 401, 403) and not self.error.endswith("pending")
        )

    @property
    def transient(self) -> bool:
        """The endpoint failed for now (no answer, 408, 429, 5xx): the same
        request may well succeed later, so the login must not be given up."""
        if self.definitive:
            return False
        return (
            self.unreachable
            or self.error in _TRANSIENT_ERRORS
            or self.status in (408, 425, 429)
            or 500 <= self.status <= 599
        )


class AuthorizationResult(msgspec.Struct, kw_only=True):
    code: str
    verifier: str
    redirect_uri: str
    state: str

    def __repr__(self) -> str:
        return f"AuthorizationResult(redirect_uri={self.redirect_uri!r})"


def authorize(
    callbacks: LoginCallbacks,
    *,
    authorize_url: str,
    client_id: str,
    scope: str,
    port: int,
    path: str,
    redirect_host: str = "localhost",
    extra: Mapping[str, str] | None = None,
    paste_redirect_uri: str | None = None,
    instructions: str = "",
    timeout: float = 300.0,
) -> AuthorizationResult:
    """Run the browser part of an authorization-code login with PKCE.

    A callback server on 127.0.0.1:``port`` receives the redirect; while it
    waits the user may paste the redirect URL instead. If the port is taken,
    the redirect goes to ``paste_redirect_uri`` (a vendor page that shows the
    code) or to the unreachable loopback URL, and the user pastes what the
    browser shows. A fresh verifier and ``state`` are made for every call.
    """
    verifier, challenge = new_pkce()
    state = new_state()
    try:
        server: CallbackServer | None = CallbackServer(port, path)
    except OSError:
        server = None
        callbacks.progress(f"port {port} is in use, so the browser cannot call aiwire back; paste the code instead")
    if server is not None:
        redirect_uri = server.redirect_uri(redirect_host)
    else:
        redirect_uri = paste_redirect_uri or f"http://{redirect_host}:{port}{path}"
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": state,
        **(extra or {}),
    }
    sep = "&" if "?" in authorize_url else "?"
    url = f"{authorize_url}{sep}{urlencode(query)}"
    try:
        callbacks.show_url(url, instructions or "Open this URL in a browser and approve the login.")
        if server is not None:
            params = server.wait(callbacks, timeout, "Or paste the URL the browser was sent to (or the code): ")
        else:
            params = parse_pasted(callbacks.prompt("Paste the URL the browser was sent to (or the code):"))
    finally:
        if server is not None:
            server.close()
    callbacks.check()
    error = params.get("error")
    if error:
        desc = params.get("error_description", "")
        if error == "access_denied":
            raise LoginDenied(f"the login was refused at the provider ({desc or error})")
        raise LoginError(f"the provider answered with an error: {error}" + (f": {desc}" if desc else ""))
    # A code typed by hand may come without state; a redirect never may.
    got_state = params.get("state")
    pasted_bare = server is None and got_state is None
    if not pasted_bare and not check_state(state, got_state):
        raise StateMismatchError(
            "the authorization response carries a different state than this login sent: refusing it "
            "(it may come from another login attempt, or from someone else). Run the login again."
        )
    code = params.get("code")
    if not code:
        raise LoginError("the authorization response has no code")
    return AuthorizationResult(code=code, verifier=verifier, redirect_uri=redirect_uri, state=state)


def post_token(
    url: str,
    data: Mapping[str, str],
    *,
    json_body: bool = False,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """POST to a token endpoint (form-encoded unless ``json_body``) and return
    the JSON answer; raise :class:`TokenError` for an OAuth error."""
    hdrs = {"Accept": "application/json", **(headers or {})}
    try:
        if json_body:
            resp = httpx.post(url, json=dict(data), headers=hdrs, timeout=TIMEOUT)
        else:
            resp = httpx.post(url, data=dict(data), headers=hdrs, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        raise TokenError(f"could not reach {url}: {type(exc).__name__}", unreachable=True) from None
    return _token_answer(url, resp)


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("retry-after", "")
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 and seconds == seconds else None


def _token_answer(url: str, resp: httpx.Response) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise TokenError(
            f"{url} answered HTTP {resp.status_code} without a JSON object",
            status=resp.status_code,
            retry_after=_retry_after(resp),
        )
    # GitHub answers OAuth errors with HTTP 200, so look at the body first.
    error = body.get("error")
    if error or resp.status_code >= 400:
        code = str(error or f"http_{resp.status_code}")
        desc = body.get("error_description") or ""
        text = f"{url} refused the request: {code}" + (f" ({desc})" if desc else "") + f" [HTTP {resp.status_code}]"
        asked = body.get("interval")
        interval = float(asked) if isinstance(asked, (int, float)) and not isinstance(asked, bool) else None
        raise TokenError(text, error=code, status=resp.status_code, interval=interval, retry_after=_retry_after(resp))
    return body


def exchange_code(
    url: str,
    client_id: str,
    result: AuthorizationResult,
    *,
    extra: Mapping[str, str] | None = None,
    json_body: bool = False,
) -> dict[str, Any]:
    """Trade an authorization code (and its PKCE verifier) for tokens."""
    data = {
        "grant_type": "authorization_code",
        "client_id": client_id,
        "code": result.code,
        "redirect_uri": result.redirect_uri,
        "code_verifier": result.verifier,
        **(extra or {}),
    }
    return post_token(url, data, json_body=json_body)


def refresh_grant(
    url: str,
    client_id: str,
    login: StoredLogin,
    *,
    extra: Mapping[str, str] | None = None,
    json_body: bool = False,
) -> dict[str, Any]:
    """Ask for a new access token with the stored refresh token."""
    if not login.refresh:
        raise TokenError("the stored login has no refresh token", error="invalid_grant")
    data = {"grant_type": "refresh_token", "client_id": client_id, "refresh_token": login.refresh, **(extra or {})}
    return post_token(url, data, json_body=json_body)


def tokens_to_login(
    body: Mapping[str, Any], *, previous: StoredLogin | None = None, extra: Mapping[str, Any] | None = None
) -> StoredLogin:
    """A stored login from a token response. A response without a new
    refresh token keeps the previous one (RFC 6749 §6 lets servers omit it)."""
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise LoginError("the token response has no access_token")
    refresh = body.get("refresh_token") or (previous.refresh if previous else None)
    expires_in = body.get("expires_in")
    expires = time.time() + float(expires_in) if isinstance(expires_in, (int, float, str)) and expires_in else None
    merged = dict(previous.extra) if previous else {}
    merged.update(extra or {})
    return StoredLogin(
        access=access,
        refresh=refresh,
        expires=expires,
        extra=merged,
        created=previous.created if previous else 0.0,
    )


def device_authorize(url: str, client_id: str, scope: str, *, headers: Mapping[str, str] | None = None) -> DeviceCode:
    """Start a device-code login (RFC 8628 §3.1)."""
    hdrs = {"Accept": "application/json", **(headers or {})}
    try:
        resp = httpx.post(url, data={"client_id": client_id, "scope": scope}, headers=hdrs, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        raise LoginError(f"could not reach {url}: {type(exc).__name__}") from None
    body = _token_answer(url, resp)
    try:
        return DeviceCode(
            device_code=str(body["device_code"]),
            user_code=str(body["user_code"]),
            verification_uri=str(body.get("verification_uri") or body["verification_url"]),
            verification_uri_complete=body.get("verification_uri_complete"),
            expires_in=float(body.get("expires_in") or 900),
            interval=float(body["interval"]) if body.get("interval") is not None else 5.0,  # RFC 8628 default
        )
    except KeyError as exc:
        raise LoginError(f"{url} answered without {exc.args[0]}") from None


def poll_device_token(
    url: str,
    client_id: str,
    device: DeviceCode,
    callbacks: LoginCallbacks,
    *,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Poll until the user approves (RFC 8628 §3.4-3.5).

    Waits ``interval`` between polls; ``slow_down`` raises it by 5 seconds,
    or to the interval the server names. Gives up when the code expires.
    """
    interval = max(device.interval, 0.0)
    deadline = time.monotonic() + device.expires_in
    data = {"client_id": client_id, "device_code": device.device_code, "grant_type": DEVICE_GRANT}
    while True:
        callbacks.sleep(interval)
        try:
            return post_token(url, data, headers=headers)
        except TokenError as exc:
            if exc.error == "authorization_pending":
                pass
            elif exc.error == "slow_down":
                asked = exc.interval
                interval = asked if asked is not None and asked > interval else interval + 5
                callbacks.progress(f"the server asked to poll more slowly: every {interval:g}s")
            elif exc.error == "expired_token":
                raise LoginError("the device code expired before it was approved; run the login again") from None
            elif exc.error == "access_denied":
                raise LoginDenied("the login was refused on the verification page") from None
            else:
                raise
        if time.monotonic() >= deadline:
            raise LoginError("the device code expired before it was approved; run the login again")
