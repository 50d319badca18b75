"""Looking up models and providers."""

from __future__ import annotations

from typing import Any

from aiwire._plugins.hooks import ProviderSpec
from aiwire._plugins.registry import Registry, get_registry
from aiwire.errors import UnknownModelError, UnknownProviderError
from aiwire.types import Model, ModelCost

__all__ = [
    "choose_model",
    "custom_model",
    "default_model_ref",
    "get_model",
    "get_provider",
    "missing_plugin_message",
    "models",
    "providers",
    "resolve_alias",
]


def get_provider(provider: str, *, registry: Registry | None = None) -> ProviderSpec:
    """The provider registered as ``provider``, or an error naming near matches."""
    reg = registry or get_registry()
    spec = reg.providers.get(provider)
    if spec is None:
        raise UnknownProviderError(_unknown_provider_message(provider, reg))
    return spec


def _unknown_provider_message(provider: str, reg: Registry) -> str:
    known = list(reg.providers)
    import difflib

    near = difflib.get_close_matches(provider, known, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(near)}?" if near else ""
    package = reg.install_hint(provider=provider)
    install = (
        f" Install it with: pip install {package}"
        if package
        else (
            " Install the plugin that provides it (see `aiwire plugins`), declare it in config.toml "
            "(docs/configuration.md), or build the model with aiwire.custom_model(...)"
        )
    )
    idle = [f"{p.name} ({p.status})" for p in reg.not_loaded()]
    not_loaded = f". Installed plugins that did not load: {', '.join(idle)} (see `aiwire plugins`)" if idle else ""
    listing = ", ".join(sorted(known)) or "none"
    return f"unknown provider {provider!r}.{hint}{install}. Installed providers: {listing}{not_loaded}"


def missing_plugin_message(registry: Registry | None = None) -> str | None:
    """When a key variable a plugin declared (``InstallHint.env``) is set but
    none of the providers it stands for is installed: what to install."""
    import os

    reg = registry or get_registry()
    for hint in reg.hints:
        if hint.providers and any(p in reg.providers for p in hint.providers):
            continue
        var = next((v for v in hint.env if os.environ.get(v)), None)
        if var is not None:
            serves = hint.providers[0] if hint.providers else var
            idle = next((p for p in reg.not_loaded() if p.distribution == hint.package), None)
            if idle is not None:
                return (
                    f"${var} is set, but the plugin that serves {serves} ({hint.package}) did not load: "
                    f"{idle.error or idle.status}; see `aiwire plugins` (or choose a model with -m)"
                )
            return (
                f"${var} is set, but no installed plugin serves {serves}: pip install {hint.package} "
                "(or choose a model with -m; -m demo/aiwire-demo for the offline demo)"
            )
    return None


def parse_ref(ref: str) -> tuple[str, str]:
    """Split ``provider/model-id`` (the model id may itself contain ``/``)."""
    provider, sep, model_id = ref.partition("/")
    if not sep or not provider or not model_id:
        raise UnknownModelError(
            f"malformed model reference {ref!r}: write it as provider/model-id, "
            "for example anthropic/claude-sonnet-4-5 (see `aiwire models`)"
        )
    return provider, model_id


def resolve_alias(ref: str) -> str:
    """``ref`` itself, or the ``provider/model-id`` an alias of the
    configuration file names (``aiwire aliases set NAME provider/model``)."""
    if "/" in ref:
        return ref
    from aiwire._plugins.config import load_config

    aliases = load_config().aliases
    target = aliases.get(ref)
    if target is None:
        import difflib

        near = difflib.get_close_matches(ref, list(aliases), n=3, cutoff=0.5)
        hint = f" Did you mean the alias {', '.join(near)}?" if near else ""
        raise UnknownModelError(
            f"{ref!r} is neither provider/model-id nor an alias.{hint} Write it as provider/model-id "
            f"(see `aiwire models`), or make it an alias: aiwire aliases set {ref} provider/model-id"
        )
    return target


def default_model_ref() -> str | None:
    """The configured default model (``$AIWIRE_MODEL``, else ``default_model``
    in the configuration file), aliases resolved; ``None`` when unset."""
    import os

    from aiwire._plugins.config import load_config

    ref = os.environ.get("AIWIRE_MODEL") or load_config().default_model
    return resolve_alias(ref) if ref else None


def choose_model(ref: str | None = None) -> Model:
    """The model a command line uses: ``ref`` (``-m``; an alias or
    provider/model-id), else ``$AIWIRE_MODEL``, else ``default_model`` of the
    configuration file, else the default model of the first provider whose
    key is set (environment or ``aiwire keys set``), else the offline demo;
    but when a key variable is set for a provider whose plugin is missing,
    an error naming the package instead of the demo."""
    import os

    ref = ref or default_model_ref()
    if ref:
        return get_model(ref)
    stored: dict[str, str] | None = None
    for spec in providers():
        if not spec.default_model:
            continue
        if any(os.environ.get(v) for v in spec.env):
            return get_model(spec.id, spec.default_model)
        if spec.auth != "none":
            if stored is None:
                from aiwire.auth.store import default_store

                stored = default_store().keys()
            if spec.id in stored:
                return get_model(spec.id, spec.default_model)
    missing = missing_plugin_message()
    if missing:
        raise UnknownProviderError(missing)
    return get_model("demo", "aiwire-demo")


def get_model(provider_or_ref: str, model_id: str | None = None, *, registry: Registry | None = None) -> Model:
    """Find a catalog model: ``get_model("anthropic", "claude-sonnet-4-5")``,
    ``get_model("anthropic/claude-sonnet-4-5")`` or an alias from the
    configuration file (``get_model("fast")``).

    Providers whose compat sets ``open_catalog`` (local servers such as
    Ollama) accept any model id. Unknown names raise an error listing near matches.
    """
    if model_id is None:
        provider, model_id = parse_ref(resolve_alias(provider_or_ref))
    else:
        provider = provider_or_ref
    reg = registry or get_registry()
    spec = get_provider(provider, registry=reg)
    found = reg.find_model(provider, model_id)
    if found is not None:
        return found
    if spec.compat.get("open_catalog"):
        return custom_model(
            model_id,
            provider=provider,
            api=spec.api,
            base_url=spec.base_url,
            headers=dict(spec.headers),
            compat=dict(spec.compat),
        )
    ids = [m for p, m in reg.models if p == provider]
    import difflib

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
