"""The GitHub Copilot login: GitHub's device code flow, then Copilot's token.

The GitHub token (long-lived) is kept as the refresh token; the Copilot
token it buys (about 30 minutes) is the access token, and "refresh" buys a
new one. GitHub Enterprise works by answering the domain prompt.

After the login, every model of this plugin's catalog is enabled for the
account (``POST {api}/models/{id}/policy``, ``{"state": "enabled"}``): some
models (Claude, Gemini, Grok...) answer 400 until their policy is accepted
once. A model that cannot be enabled does not fail the login; the login says
which ones.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from typing import TYPE_CHECKING, Any

import httpx

from aiwire.plugin import (
    TIMEOUT,
    Credentials,
    LoginCallbacks,
    OAuthFlow,
    StoredLogin,
    TokenError,
    device_authorize,
    poll_device_token,
)

from . import DEFAULT_BASE_URL

if TYPE_CHECKING:
    from aiwire.plugin import ProviderSpec
    from aiwire.types import Model

__all__ = [
    "EDITOR_HEADERS",
    "CopilotFlow",
    "base_url_from_token",
    "catalog_model_ids",
    "enable_models",
    "normalize_domain",
]

EDITOR_HEADERS = {
    "User-Agent": "GitHubCopilotChat/0.35.0",
    "Editor-Version": "vscode/1.107.0",
    "Editor-Plugin-Version": "copilot-chat/0.35.0",
    "Copilot-Integration-Id": "vscode-chat",
}
_PROXY_EP = re.compile(r"(?:^|;)\s*proxy-ep=([^;\s]+)")


def normalize_domain(text: str) -> str:
    """``https://ghe.example.com/`` -> ``ghe.example.com``; blank -> github.com."""
    text = text.strip().lower()
    text = re.sub(r"^[a-z]+://", "", text).split("/")[0]
    return text or "github.com"


def base_url_from_token(token: str, domain: str) -> str:
    """The api host a Copilot token is for: its ``proxy-ep`` field with
    ``proxy.`` turned into ``api.``; else the enterprise or individual host."""
    m = _PROXY_EP.search(token)
    if m:
        host = m.group(1)
        host = "api." + host[len("proxy.") :] if host.startswith("proxy.") else host
        return f"https://{host}"
    if domain != "github.com":
        return f"https://copilot-api.{domain}"
    return DEFAULT_BASE_URL


def catalog_model_ids() -> list[str]:
    """The ids of this plugin's catalog, in catalog order."""
    data = json.loads(resources.files(__package__).joinpath("catalog.json").read_text("utf-8"))
    return [m["id"] for m in data["models"]]


def enable_models(base_url: str, token: str, model_ids: list[str]) -> list[str]:
    """Accept each model's policy for the account; the ids that failed."""
    headers = {
        **EDITOR_HEADERS,
        "Authorization": f"Bearer {token}",
        "Openai-Intent": "chat-policy",
        "X-Interaction-Type": "chat-policy",
    }

    def enable(client: httpx.Client, model_id: str) -> bool:
        try:
            resp = client.post(f"{base_url}/models/{model_id}/policy", json={"state": "enabled"}, headers=headers)
        except httpx.HTTPError:
            return False
        return resp.is_success

    with httpx.Client(timeout=TIMEOUT) as client, ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda m: enable(client, m), model_ids))
    return [m for m, ok in zip(model_ids, results, strict=True) if not ok]


class CopilotFlow(OAuthFlow):
    """Endpoints are templates on ``{domain}`` and ``{api}`` (the GitHub api
    host: ``api.github.com``, or ``api.<domain>`` on Enterprise); each can be
    overridden by ``AIWIRE_OAUTH_GITHUB_COPILOT_<NAME>``."""

    id = "github-copilot"
    name = "GitHub Copilot"
    endpoints = {
        "device_code_url": "https://{domain}/login/device/code",
        "token_url": "https://{domain}/login/oauth/access_token",
        "copilot_token_url": "https://{api}/copilot_internal/v2/token",
        "client_id": "Iv1.b507a08c87ecfe98",
        "scope": "read:user",
        "domain": "",
        "api_url": "",  # the Copilot api; empty: the one the Copilot token names
    }

    def api_url(self, login: StoredLogin) -> str:
        """Where this login's requests go."""
        domain = login.extra.get("domain") or "github.com"
        return self.endpoint("api_url") or login.extra.get("api_url") or base_url_from_token(login.access, domain)

    def _url(self, name: str, domain: str) -> str:
        return self.endpoint(name).format(domain=domain, api=f"api.{domain}")

    def login(self, callbacks: LoginCallbacks) -> StoredLogin:
        domain = self.endpoint("domain")
        if not domain:
            domain = callbacks.prompt(
                "GitHub Enterprise domain (leave blank for github.com):", placeholder="github.com", allow_empty=True
            )
        domain = normalize_domain(domain)
        client_id = self.endpoint("client_id")
        device = device_authorize(
            self._url("device_code_url", domain), client_id, self.endpoint("scope"), headers=EDITOR_HEADERS
        )
        callbacks.show_device_code(device)
        body = poll_device_token(self._url("token_url", domain), client_id, device, callbacks, headers=EDITOR_HEADERS)
        github_token = body.get("access_token")
        if not isinstance(github_token, str) or not github_token:
            raise TokenError("GitHub answered without an access token")
        callbacks.progress("getting a Copilot token")
        login = self._copilot_login(github_token, domain)
        ids = catalog_model_ids()
        callbacks.progress(f"enabling {len(ids)} Copilot models for this account")
        failed = enable_models(self.api_url(login), login.access, ids)
        if failed:
            callbacks.progress(
                f"could not enable {len(failed)} of {len(ids)} models ({', '.join(failed)}); "
                "they may be off for your plan or organization, and calls to them may be refused"
            )
        return login

    def refresh(self, login: StoredLogin) -> StoredLogin:
        if not login.refresh:
            raise TokenError("the stored login has no GitHub token", error="invalid_grant")
        fresh = self._copilot_login(login.refresh, login.extra.get("domain") or "github.com")
        fresh.created = login.created
        return fresh

    def _copilot_login(self, github_token: str, domain: str) -> StoredLogin:
        url = self._url("copilot_token_url", domain)
        headers = {**EDITOR_HEADERS, "Accept": "application/json", "Authorization": f"Bearer {github_token}"}
        try:
            resp = httpx.get(url, headers=headers, timeout=TIMEOUT)
        except httpx.HTTPError as exc:
            raise TokenError(f"could not reach {url}: {type(exc).__name__}") from None
        if resp.status_code in (401, 403, 404):
            # 401: the GitHub token was revoked; 403/404: no Copilot seat for this account.
            raise TokenError(
                f"GitHub refused a Copilot token (HTTP {resp.status_code}); is Copilot enabled for this account?",
                error="invalid_grant",
                status=resp.status_code,
            )
        try:
            data = resp.json()
        except ValueError:
            data = None
        if resp.status_code >= 400 or not isinstance(data, dict) or not data.get("token"):
            raise TokenError(f"{url} answered HTTP {resp.status_code} without a Copilot token", status=resp.status_code)
        expires = data.get("expires_at")
        extra: dict[str, Any] = {"domain": domain}
        sku = data.get("sku")
        if isinstance(sku, str):
            extra["plan"] = sku
        endpoints = data.get("endpoints")
        api = endpoints.get("api") if isinstance(endpoints, dict) else None
        if isinstance(api, str) and api.startswith("https://"):
            extra["api_url"] = api.rstrip("/")
        return StoredLogin(
            access=str(data["token"]),
            refresh=github_token,
            expires=float(expires) if isinstance(expires, (int, float)) else None,
            extra=extra,
        )

    def to_credentials(self, login: StoredLogin, provider: ProviderSpec, model: Model) -> Credentials:
        return Credentials(
            login.access,
            kind="oauth",
            headers={**EDITOR_HEADERS, "Openai-Intent": "conversation-edits"},  # codecs send the bearer
            # Copilot serves Claude at /v1/messages (its models list names that
            # endpoint); the Messages codec appends /messages to its base URL.
            base_url=self.api_url(login) + ("/v1" if model.api == "anthropic-messages" else ""),
            source="aiwire login github-copilot",
        )

    def describe(self, login: StoredLogin) -> dict[str, Any]:
        facts = {"domain": login.extra.get("domain") or "github.com"}
        if login.extra.get("plan"):
            facts["plan"] = login.extra["plan"]
        return facts
