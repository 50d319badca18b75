"""aiwire plugin: the ``github-copilot`` provider and its ``aiwire login``.

One login serves every Copilot model, whichever wire api it is routed to:
Chat Completions, Responses or Anthropic Messages (see ``catalog.json``).
The login's credentials declare the token (a bearer, ``kind="oauth"``), the
base URL and the editor headers; ``prepare_request`` adds the two headers
that depend on the request body (``X-Initiator``, ``Copilot-Vision-Request``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiwire.plugin import OAuthSpec, ProviderSpec, hookimpl

if TYPE_CHECKING:
    from aiwire.plugin import Request
    from aiwire.types import Model

AIWIRE_PLUGIN_API = 2

PROVIDER = "github-copilot"
DEFAULT_BASE_URL = "https://api.individual.githubcopilot.com"


@hookimpl
def register_oauth_providers(register: Any) -> None:
    register(
        OAuthSpec(
            id=PROVIDER,
            name="GitHub Copilot",
            flow="aiwire_oauth_github_copilot.flow:CopilotFlow",
            providers=(PROVIDER,),
        )
    )


@hookimpl
def register_providers(register: Any) -> None:
    register(
        ProviderSpec(
            id=PROVIDER,
            name="GitHub Copilot",
            api="openai-completions",
            base_url=DEFAULT_BASE_URL,
            login=PROVIDER,
            docs="Models of a GitHub Copilot subscription; log in with `aiwire login github-copilot`.",
        )
    )


@hookimpl
def register_models(register: Any) -> None:
    register("aiwire_oauth_github_copilot")  # catalog.json, loaded on first lookup


@hookimpl
def prepare_request(model: Model, request: Request) -> Request | None:
    if model.provider != PROVIDER:
        return None
    from .rewrite import rewrite

    rewrite(request)
    return request
