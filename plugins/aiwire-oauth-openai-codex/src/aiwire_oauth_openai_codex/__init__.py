"""aiwire plugin: the ``openai-codex`` provider (ChatGPT Plus/Pro) and its login.

Requests go to the Codex Responses endpoint through the ``openai-responses``
codec of aiwire-openai, adjusted by ``prepare_request`` for what the
subscription backend accepts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiwire.plugin import OAuthSpec, ProviderSpec, hookimpl

if TYPE_CHECKING:
    from aiwire.plugin import Request
    from aiwire.types import Model

AIWIRE_PLUGIN_API = 2

PROVIDER = "openai-codex"
BASE_URL = "https://chatgpt.com/backend-api/codex"


@hookimpl
def register_oauth_providers(register: Any) -> None:
    register(
        OAuthSpec(
            id=PROVIDER,
            name="ChatGPT Plus/Pro (Codex subscription)",
            flow="aiwire_oauth_openai_codex.flow:CodexFlow",
            providers=(PROVIDER,),
        )
    )


@hookimpl
def register_providers(register: Any) -> None:
    register(
        ProviderSpec(
            id=PROVIDER,
            name="ChatGPT Plus/Pro (Codex)",
            api="openai-responses",
            base_url=BASE_URL,
            login=PROVIDER,
            docs="OpenAI models billed to a ChatGPT subscription; log in with `aiwire login openai-codex`.",
        )
    )


@hookimpl
def register_models(register: Any) -> None:
    register("aiwire_oauth_openai_codex")  # catalog.json, loaded on first lookup


@hookimpl
def prepare_request(model: Model, request: Request) -> Request | None:
    if model.provider != PROVIDER:
        return None
    from .rewrite import rewrite

    rewrite(request)
    return request
