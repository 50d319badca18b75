"""The ChatGPT (Codex) login: authorization code with PKCE, callback on
127.0.0.1:1455 (paste the redirect URL when that port is taken)."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from aiwire.plugin import (
    Credentials,
    LoginCallbacks,
    OAuthFlow,
    authorize,
    exchange_code,
    refresh_grant,
    tokens_to_login,
)

if TYPE_CHECKING:
    from aiwire.plugin import ProviderSpec, StoredLogin
    from aiwire.types import Model

__all__ = ["CodexFlow", "account_id", "jwt_claims"]

AUTH_CLAIM = "https://api.openai.com/auth"


def jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, without verifying it: it came straight from the
    token endpoint over TLS (OpenID Connect Core §3.1.3.7)."""
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def account_id(*tokens: str | None) -> str | None:
    """The ChatGPT account id from the first token that carries it."""
    for token in tokens:
        if token:
            auth = jwt_claims(token).get(AUTH_CLAIM)
            if isinstance(auth, dict) and isinstance(auth.get("chatgpt_account_id"), str):
                return auth["chatgpt_account_id"]  # type: ignore[no-any-return]
    return None


class CodexFlow(OAuthFlow):
    """Every endpoint can be overridden by ``AIWIRE_OAUTH_OPENAI_CODEX_<NAME>``."""

    id = "openai-codex"
    name = "ChatGPT Plus/Pro (Codex subscription)"
    refresh_skew = 60.0
    endpoints = {
        "authorize_url": "https://auth.openai.com/oauth/authorize",
        "token_url": "https://auth.openai.com/oauth/token",
        "client_id": "app_EMoamEEZ73f0CkXaXp7hrann",
        "callback_port": "1455",
        "scope": "openid profile email offline_access",
        "originator": "aiwire",
    }

    def login(self, callbacks: LoginCallbacks) -> StoredLogin:
        client_id = self.endpoint("client_id")
        result = authorize(
            callbacks,
            authorize_url=self.endpoint("authorize_url"),
            client_id=client_id,
            scope=self.endpoint("scope"),
            port=int(self.endpoint("callback_port")),
            path="/auth/callback",
            extra={
                "id_token_add_organizations": "true",
                "codex_cli_simplified_flow": "true",
                "originator": self.endpoint("originator"),
            },
            instructions="Log in with your ChatGPT account in the browser:",
        )
        callbacks.progress("exchanging the authorization code")
        body = exchange_code(self.endpoint("token_url"), client_id, result)
        return tokens_to_login(body, extra=_facts(body))

    def refresh(self, login: StoredLogin) -> StoredLogin:
        body = refresh_grant(
            self.endpoint("token_url"), self.endpoint("client_id"), login, extra={"scope": "openid profile email"}
        )
        return tokens_to_login(body, previous=login, extra=_facts(body))

    def to_credentials(self, login: StoredLogin, provider: ProviderSpec, model: Model) -> Credentials:
        headers = {
            "Authorization": f"Bearer {login.access}",
            "OpenAI-Beta": "responses=experimental",
            "originator": self.endpoint("originator"),
        }
        acct = login.extra.get("account_id")
        if acct:
            headers["chatgpt-account-id"] = acct
        return Credentials(login.access, kind="oauth", headers=headers, source="aiwire login openai-codex")

    def describe(self, login: StoredLogin) -> dict[str, Any]:
        return {k: login.extra[k] for k in ("email", "plan") if login.extra.get(k)}


def _facts(body: dict[str, Any]) -> dict[str, Any]:
    id_token = body.get("id_token") if isinstance(body.get("id_token"), str) else None
    out: dict[str, Any] = {}
    acct = account_id(id_token, body.get("access_token"))
    if acct:
        out["account_id"] = acct
    if id_token:
        claims = jwt_claims(id_token)
        if isinstance(claims.get("email"), str):
            out["email"] = claims["email"]
        auth = claims.get(AUTH_CLAIM)
        if isinstance(auth, dict) and isinstance(auth.get("chatgpt_plan_type"), str):
            out["plan"] = auth["chatgpt_plan_type"]
    return out
