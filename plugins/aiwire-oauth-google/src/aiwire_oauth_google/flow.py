"""The Gemini CLI login: Google OAuth (PKCE, client secret of an installed
app, callback on 127.0.0.1:8085), then the Cloud Code Assist project.

The project comes from ``GOOGLE_CLOUD_PROJECT`` (or ``_ID``), else from
``loadCodeAssist``; an account without one is onboarded with ``onboardUser``
(a long-running operation, polled until done).
"""

from __future__ import annotations

import json
import os
import platform
from typing import TYPE_CHECKING, Any

import httpx

from aiwire.plugin import (
    TIMEOUT,
    Credentials,
    LoginCallbacks,
    LoginError,
    OAuthFlow,
    authorize,
    exchange_code,
    refresh_grant,
    tokens_to_login,
)

if TYPE_CHECKING:
    from aiwire.plugin import ProviderSpec, StoredLogin
    from aiwire.types import Model

__all__ = ["GeminiCliFlow", "discover_project"]

SCOPES = " ".join(
    [
        "https://www.googleapis.com/auth/cloud-platform",
        "https://www.googleapis.com/auth/userinfo.email",
        "https://www.googleapis.com/auth/userinfo.profile",
    ]
)
METADATA = {"ideType": "IDE_UNSPECIFIED", "platform": "PLATFORM_UNSPECIFIED", "pluginType": "GEMINI"}
USER_AGENT = "google-cloud-sdk vscode_cloudshelleditor/0.1"


def _env_project() -> str | None:
    return os.environ.get("GOOGLE_CLOUD_PROJECT") or os.environ.get("GOOGLE_CLOUD_PROJECT_ID") or None


def _post(url: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "User-Agent": USER_AGENT}
    try:
        resp = httpx.post(url, json=body, headers=headers, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        raise LoginError(f"could not reach {url}: {type(exc).__name__}") from None
    try:
        data = resp.json()
    except ValueError:
        data = None
    if resp.status_code >= 400 or not isinstance(data, dict):
        msg = (
            data.get("error", {}).get("message")
            if isinstance(data, dict) and isinstance(data.get("error"), dict)
            else ""
        )
        raise LoginError(f"{url} answered HTTP {resp.status_code}" + (f": {msg}" if msg else ""))
    return data


def _project_id(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"]  # type: ignore[no-any-return]
    return None


def discover_project(base: str, token: str, callbacks: LoginCallbacks, *, max_polls: int = 30) -> str:
    """The Cloud Code Assist project of this account, onboarding it if needed."""
    wanted = _env_project()
    meta = {**METADATA, **({"duetProject": wanted} if wanted else {})}
    load = _post(f"{base}/v1internal:loadCodeAssist", token, {"cloudaicompanionProject": wanted, "metadata": meta})
    if load.get("currentTier"):
        found = _project_id(load.get("cloudaicompanionProject")) or wanted
        if found:
            return found
        raise LoginError("this account needs a Google Cloud project: set GOOGLE_CLOUD_PROJECT and log in again")
    tiers = [t for t in load.get("allowedTiers") or [] if isinstance(t, dict)]
    tier = next((t for t in tiers if t.get("isDefault")), tiers[0] if tiers else {"id": "legacy-tier"})
    tier_id = str(tier.get("id") or "legacy-tier")
    if tier_id != "free-tier" and not wanted and tier.get("userDefinedCloudaicompanionProject"):
        raise LoginError(f"the {tier_id} plan needs a Google Cloud project: set GOOGLE_CLOUD_PROJECT and log in again")
    body: dict[str, Any] = {"tierId": tier_id, "metadata": meta}
    if tier_id != "free-tier" and wanted:
        body["cloudaicompanionProject"] = wanted
    callbacks.progress(f"setting up Cloud Code Assist ({tier_id})")
    for _ in range(max_polls):
        op = _post(f"{base}/v1internal:onboardUser", token, body)
        if op.get("done"):
            found = _project_id((op.get("response") or {}).get("cloudaicompanionProject")) or wanted
            if found:
                return found
            raise LoginError("onboarding finished without a project: set GOOGLE_CLOUD_PROJECT and log in again")
        callbacks.sleep(5.0)
    raise LoginError("Cloud Code Assist onboarding did not finish; try `aiwire login google-gemini-cli` again later")


# Gemini CLI's own OAuth client, as google-gemini/gemini-cli publishes it in
# packages/core/src/code_assist/oauth2.ts. It is an "installed application"
# client: Google's OAuth documentation for installed apps says the client
# secret embedded in such an app "is obviously not treated as a secret"
# (developers.google.com/identity/protocols/oauth2#installed). Shipping it
# lets `aiwire login google-gemini-cli` work with no setup; the user's own
# tokens, which are secret, never leave the auth store.
CLIENT_ID = "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com"
CLIENT_SECRET = "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"


class GeminiCliFlow(OAuthFlow):
    """Every endpoint can be overridden by ``AIWIRE_OAUTH_GOOGLE_GEMINI_CLI_<NAME>``,
    the client id and secret too (to use your own OAuth client)."""

    id = "google-gemini-cli"
    name = "Google Cloud Code Assist (Gemini CLI)"
    endpoints = {
        "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "token_url": "https://oauth2.googleapis.com/token",
        "userinfo_url": "https://www.googleapis.com/oauth2/v1/userinfo?alt=json",
        "code_assist_url": "https://cloudcode-pa.googleapis.com",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "callback_port": "8085",
        "scope": SCOPES,
    }

    def _secret(self) -> str:
        return self.endpoint("client_secret")

    def login(self, callbacks: LoginCallbacks) -> StoredLogin:
        client_id, secret = self.endpoint("client_id"), self._secret()
        result = authorize(
            callbacks,
            authorize_url=self.endpoint("authorize_url"),
            client_id=client_id,
            scope=self.endpoint("scope"),
            port=int(self.endpoint("callback_port")),
            path="/oauth2callback",
            extra={"access_type": "offline", "prompt": "consent"},
            instructions="Log in with your Google account in the browser:",
        )
        callbacks.progress("exchanging the authorization code")
        body = exchange_code(self.endpoint("token_url"), client_id, result, extra={"client_secret": secret})
        login = tokens_to_login(body)
        email = self._email(login.access)
        callbacks.progress("finding your Cloud Code Assist project")
        project = discover_project(self.endpoint("code_assist_url"), login.access, callbacks)
        login.extra.update({"project_id": project, **({"email": email} if email else {})})
        return login

    def _email(self, token: str) -> str | None:
        try:
            resp = httpx.get(
                self.endpoint("userinfo_url"), headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
            )
            data = resp.json() if resp.status_code == 200 else {}
        except (httpx.HTTPError, ValueError):
            return None
        email = data.get("email") if isinstance(data, dict) else None
        return email if isinstance(email, str) else None

    def refresh(self, login: StoredLogin) -> StoredLogin:
        body = refresh_grant(
            self.endpoint("token_url"), self.endpoint("client_id"), login, extra={"client_secret": self._secret()}
        )
        return tokens_to_login(body, previous=login)

    def to_credentials(self, login: StoredLogin, provider: ProviderSpec, model: Model) -> Credentials:
        project = _env_project() or login.extra.get("project_id")
        metadata = json.dumps({**METADATA, **({"duetProject": project} if project else {})}, separators=(",", ":"))
        return Credentials(
            login.access,
            kind="oauth",
            headers={
                "Authorization": f"Bearer {login.access}",
                "User-Agent": USER_AGENT,
                "X-Goog-Api-Client": f"gl-python/{platform.python_version()}",
                "Client-Metadata": metadata,
            },
            extra={"project_id": project},
            source="aiwire login google-gemini-cli",
        )

    def describe(self, login: StoredLogin) -> dict[str, Any]:
        return {k: login.extra[k] for k in ("email", "project_id") if login.extra.get(k)}
