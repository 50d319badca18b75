"""aiwire plugin: ``aiwire login anthropic`` for Claude Pro/Max subscriptions.

The login serves the ``anthropic`` provider (registered by aiwire-anthropic);
requests made with it get the headers and system prompt such tokens need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiwire.plugin import OAuthSpec, hookimpl

if TYPE_CHECKING:
    from aiwire.plugin import Request
    from aiwire.types import Model

AIWIRE_PLUGIN_API = 2

MARKER = "x-aiwire-login"
"""Set by the flow's credentials, removed before sending: marks requests
that authenticate with a subscription token rather than an api key."""


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
def prepare_request(model: Model, request: Request) -> Request | None:
    if model.provider != "anthropic" or MARKER not in request.headers:
        return None
    from .rewrite import rewrite

    rewrite(request)
    return request
