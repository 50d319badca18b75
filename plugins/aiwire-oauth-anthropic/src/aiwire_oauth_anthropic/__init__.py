"""aiwire plugin: ``aiwire login anthropic`` for Claude Pro/Max subscriptions.

The login serves the ``anthropic`` provider (registered by aiwire-anthropic).
Its credentials declare what a subscription token needs (``kind="oauth"``,
so the codec sends ``Authorization: Bearer`` and the oauth beta; the Claude
Code beta in ``extra["anthropic_beta"]``; the Claude Code user agent and app
id as headers), and ``prepare_request`` puts Claude Code's identity first in
the system prompt of requests made with such credentials.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiwire.plugin import OAuthSpec, hookimpl

if TYPE_CHECKING:
    from aiwire.plugin import Request, RequestContext
    from aiwire.types import Model

AIWIRE_PLUGIN_API = 2


@hookimpl
def register_oauth_providers(register: Any) -> None:
    register(
        OAuthSpec(
            id="anthropic",
            name="Anthropic (Claude Pro/Max)",
            flow="aiwire_oauth_anthropic.flow:AnthropicFlow",
            providers=("anthropic",),
        )
    )


@hookimpl
def prepare_request(model: Model, request: Request, call: RequestContext | None) -> Request | None:
    # Only requests that authenticate with a subscription token: an api key
    # (kind "api_key") is left alone.
    if model.provider != "anthropic" or call is None or call.credentials.kind != "oauth":
        return None
    from .rewrite import rewrite

    rewrite(request)
    return request
