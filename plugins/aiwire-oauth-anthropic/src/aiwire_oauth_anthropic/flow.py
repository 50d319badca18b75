"""The Claude Pro/Max login: authorization code with PKCE (S256).

The browser is sent back to a callback server on 127.0.0.1; when its port is
taken, Anthropic's hosted page shows ``code#state`` for the user to paste.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiwire.plugin import (
    Credentials,
    LoginCallbacks,
    OAuthFlow,
    authorize,
    env_override,
    exchange_code,
    refresh_grant,
    tokens_to_login,
)

from .rewrite import BETAS, USER_AGENT

if TYPE_CHECKING:
    from aiwire.plugin import ProviderSpec, StoredLogin
    from aiwire.types import Model

__all__ = ["AnthropicFlow"]

SCOPES = "org:create_api_key user:profile user:inference user:sessions:claude_code user:mcp_servers user:file_upload"


class AnthropicFlow(OAuthFlow):
    """Every endpoint can be overridden by ``AIWIRE_OAUTH_ANTHROPIC_<NAME>``."""

    id = "anthropic"
    name = "Anthropic (Claude Pro/Max)"
    endpoints = {
        "authorize_url": "https://claude.ai/oauth/authorize",
        "token_url": "https://platform.claude.com/v1/oauth/token",
        "manual_redirect_uri": "https://platform.claude.com/oauth/code/callback",
        "client_id": "9d1c250a-e61b-44d9-88ed-5944d1962f5e",
        "callback_port": "53692",
        "scope": SCOPES,
    }

    def login(self, callbacks: LoginCallbacks) -> StoredLogin:
        client_id = self.endpoint("client_id")
        result = authorize(
            callbacks,
            authorize_url=self.endpoint("authorize_url"),
            client_id=client_id,
            scope=self.endpoint("scope"),
            port=int(self.endpoint("callback_port")),
            path="/callback",
            extra={"code": "true"},  # lets the hosted page show the code for pasting
            paste_redirect_uri=self.endpoint("manual_redirect_uri"),
            instructions="Log in with your Claude Pro/Max account in the browser:",
        )
        callbacks.progress("exchanging the authorization code")
        # Anthropic's token endpoint takes JSON and wants the state back.
        body = exchange_code(
            self.endpoint("token_url"), client_id, result, extra={"state": result.state}, json_body=True
        )
        return tokens_to_login(body, extra=_account(body))

    def refresh(self, login: StoredLogin) -> StoredLogin:
        body = refresh_grant(self.endpoint("token_url"), self.endpoint("client_id"), login, json_body=True)
        return tokens_to_login(body, previous=login, extra=_account(body))

    def to_credentials(self, login: StoredLogin, provider: ProviderSpec, model: Model) -> Credentials:
        # The codec sends a kind="oauth" token as a bearer, with the oauth
        # beta; the rest of what a subscription request needs is declared here.
        return Credentials(
            login.access,
            kind="oauth",
            headers={"user-agent": env_override(self.id, "user_agent", USER_AGENT), "x-app": "cli"},
            extra={"anthropic_beta": list(BETAS)},
            source="aiwire login anthropic",
        )

    def describe(self, login: StoredLogin) -> dict[str, Any]:
        return {"account": login.extra["email"]} if login.extra.get("email") else {}


def _account(body: dict[str, Any]) -> dict[str, Any]:
    account = body.get("account")
    if isinstance(account, dict) and isinstance(account.get("email_address"), str):
        return {"email": account["email_address"]}
    return {}
