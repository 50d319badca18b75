"""Looking up models and providers."""

from __future__ import annotations

import difflib
from typing import Any

from aiwire._plugins.hooks import ProviderSpec
from aiwire._plugins.registry import Registry, get_registry
from aiwire.errors import UnknownModelError, UnknownProviderError
from aiwire.types import Model, ModelCost

__all__ = ["custom_model", "get_model", "get_provider", "models", "providers"]


def get_provider(provider: str, *, registry: Registry | None = None) -> ProviderSpec:
    """The provider registered as ``provider``, or an error naming near matches."""
    reg = registry or get_registry()
    spec = reg.providers.get(provider)
    if spec is None:
        raise UnknownProviderError(_unknown_provider_message(provider, list(reg.providers)))
    return spec


def _unknown_provider_message(provider: str, known: list[str]) -> str:
    near = difflib.get_close_matches(provider, known, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(near)}?" if near else ""
    plugin = _PLUGIN_HINTS.get(provider)
    install = (
        f" Install it with: pip install {plugin}"
        if plugin
        else (
            " Install the plugin that provides it (see `aiwire plugins`), or build the model with "
            "aiwire.custom_model(...)"
        )
    )
    listing = ", ".join(sorted(known)) or "none"
    return f"unknown provider {provider!r}.{hint}{install}. Installed providers: {listing}"


_PLUGIN_HINTS = {
    "anthropic": "aiwire-anthropic",
    "openai": "aiwire-openai",
    "azure": "aiwire-openai",
    "groq": "aiwire-openai",
    "openrouter": "aiwire-openai",
    "deepseek": "aiwire-openai",
    "xai": "aiwire-openai",
    "mistral": "aiwire-openai",
    "cerebras": "aiwire-openai",
    "together": "aiwire-openai",
    "fireworks": "aiwire-openai",
    "huggingface": "aiwire-openai",
    "ollama": "aiwire-openai",
    "vllm": "aiwire-openai",
    "llamacpp": "aiwire-openai",
    "lmstudio": "aiwire-openai",
    "google": "aiwire-google",
    "google-vertex": "aiwire-google",
    "cohere": "aiwire-cohere",
    "voyage": "aiwire-voyage",
    "github-copilot": "aiwire-oauth-github-copilot",
    "openai-codex": "aiwire-oauth-openai-codex",
    "google-gemini-cli": "aiwire-oauth-google",
}


def parse_ref(ref: str) -> tuple[str, str]:
    """Split ``provider/model-id`` (the model id may itself contain ``/``)."""
    provider, sep, model_id = ref.partition("/")
    if not sep or not provider or not model_id:
        raise UnknownModelError(
            f"malformed model reference {ref!r}: write it as provider/model-id, "
            "for example anthropic/claude-sonnet-4-5 (see `aiwire models`)"
        )
    return provider, model_id


def get_model(provider_or_ref: str, model_id: str | None = None, *, registry: Registry | None = None) -> Model:
    """Find a catalog model: ``get_model("anthropic", "claude-sonnet-4-5")`` or
    ``get_model("anthropic/claude-sonnet-4-5")``.

    Providers whose compat sets ``open_catalog`` (local servers such as
    Ollama) accept any model id. Unknown names raise an error listing near matches.
    """
    if model_id is None:
        provider, model_id = parse_ref(provider_or_ref)
    else:
        provider = provider_or_ref
    reg = registry or get_registry()
    spec = get_provider(provider, registry=reg)
    found = reg.models.get((provider, model_id))
    if found is not None:
        return found
    if spec.compat.get("open_catalog"):
        return custom_model(model_id, provider=provider, api=spec.api, base_url=spec.base_url, compat=dict(spec.compat))
    ids = [m for p, m in reg.models if p == provider]
    near = difflib.get_close_matches(model_id, ids, n=5, cutoff=0.4)
    hint = f" Did you mean: {', '.join(near)}?" if near else ""
    raise UnknownModelError(
        f"unknown model {provider}/{model_id}.{hint} List them with `aiwire models --provider {provider}`, "
        f"or call any endpoint with aiwire.custom_model({model_id!r}, provider={provider!r}, ...)"
    )


def models(provider: str | None = None) -> list[Model]:
    """Every catalog model, or those of one provider, sorted by reference."""
    reg = get_registry()
    if provider is not None:
        get_provider(provider)
    out = [m for (p, _), m in reg.models.items() if provider is None or p == provider]
    return sorted(out, key=lambda m: (m.provider, m.id))


def providers() -> list[ProviderSpec]:
    """Every registered provider, sorted by id."""
    return sorted(get_registry().providers.values(), key=lambda p: p.id)


def custom_model(
    id: str,
    *,
    provider: str | None = None,
    api: str | None = None,
    base_url: str | None = None,
    name: str = "",
    reasoning: bool = False,
    input: tuple[str, ...] = ("text",),
    cost: ModelCost | None = None,
    context_window: int = 0,
    max_tokens: int = 0,
    headers: dict[str, str] | None = None,
    compat: dict[str, Any] | None = None,
) -> Model:
    """A model that is in no catalog, for any endpoint.

    With ``provider`` the provider's api, base URL and compat are the
    defaults; without it, ``api`` and ``base_url`` are required::

        custom_model("llama3.1", provider="ollama")
        custom_model("my-model", api="openai-completions", base_url="http://gpu:8000/v1")
    """
    spec = get_provider(provider) if provider else None
    api = api or (spec.api if spec else None)
    base_url = base_url or (spec.base_url if spec else None)
    if not api or not base_url:
        from aiwire.errors import BadOptionsError

        raise BadOptionsError(f"custom_model({id!r}) needs api= and base_url= (or provider= of an installed provider)")
    merged = dict(spec.compat) if spec else {}
    merged.update(compat or {})
    return Model(
        id=id,
        provider=provider or "custom",
        api=api,
        base_url=base_url.rstrip("/"),
        name=name or id,
        reasoning=reasoning,
        input=input,
        cost=cost or ModelCost(),
        context_window=context_window,
        max_tokens=max_tokens,
        headers=dict(headers or {}),
        compat=merged,
    )
