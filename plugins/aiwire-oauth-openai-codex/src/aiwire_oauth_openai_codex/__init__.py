"""aiwire plugin: the ``openai-codex`` provider (ChatGPT Plus/Pro) and its login.

Requests go to the Codex Responses endpoint through the ``openai-responses``
codec of aiwire-openai. How that backend differs from the Responses api is
declared on the provider, not edited into the codec's request: it keeps
nothing server-side (``store: false``, encrypted reasoning on every turn),
insists on ``instructions``, refuses ``max_output_tokens``, ``temperature``
and ``top_p`` (so ``max_tokens=``, ``temperature=`` and ``top_p=`` raise), and
answers only streamed requests (``complete()`` collects the stream).
"""

from __future__ import annotations

from typing import Any

from aiwire.plugin import OAuthSpec, ProviderSpec, hookimpl

AIWIRE_PLUGIN_API = 2

PROVIDER = "openai-codex"
BASE_URL = "https://chatgpt.com/backend-api/codex"

COMPAT: dict[str, Any] = {
    "store": True,  # send store: false
    "encrypted_reasoning": "always",
    "require_instructions": True,
    "prompt_cache_key": True,
}
"""aiwire-openai compat flags for the Codex backend (see docs/providers/openai.md)."""

OPTIONS = frozenset(
    {"reasoning", "thinking_budgets", "tool_choice", "cache_retention", "session_id", "headers", "provider_options"}
)
"""The call options the backend takes: it refuses max_output_tokens, temperature and top_p."""


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
            compat=COMPAT,
            options=OPTIONS,
            stream_only=True,
            docs="OpenAI models billed to a ChatGPT subscription; log in with `aiwire login openai-codex`.",
        )
    )


@hookimpl
def register_models(register: Any) -> None:
    register("aiwire_oauth_openai_codex")  # catalog.json, loaded on first lookup
