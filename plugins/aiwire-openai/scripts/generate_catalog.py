"""Regenerate src/aiwire_openai/catalog.json from the models.dev data.

    python plugins/aiwire-openai/scripts/generate_catalog.py [path-or-url]

Reads the snapshot in ``../shared/models-dev/`` by default (see
``aiwire.catalog.read_models_dev``). Local servers (ollama, vllm, llama.cpp,
lmstudio) have no catalog: any model id works for them.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from aiwire.catalog import from_models_dev, read_models_dev, write_catalog
from aiwire.types import Model
from aiwire_openai.providers import PROVIDERS

OUT = Path(__file__).resolve().parent.parent / "src" / "aiwire_openai" / "catalog.json"

# aiwire provider id -> models.dev provider key
SOURCES = {
    "openai": "openai",
    "azure": "azure",
    "groq": "groq",
    "openrouter": "openrouter",
    "deepseek": "deepseek",
    "xai": "xai",
    "mistral": "mistral",
    "cerebras": "cerebras",
    "together": "togetherai",
    "fireworks": "fireworks-ai",
    "huggingface": "huggingface",
    "vercel-ai-gateway": "vercel",
    "zai": "zai",
    "minimax": "minimax",
    "minimax-cn": "minimax-cn",
    "moonshotai": "moonshotai",
    "opencode": "opencode",
}
# models.dev names another SDK for some of a host's models: OpenCode Zen serves
# GPT models on its Responses endpoint, Claude and Gemini on their own wires
# (which this plugin does not speak: those models are left out).
_MODEL_APIS = {"@ai-sdk/openai": "openai-responses"}


def model_api(default: str, raw: Mapping[str, Any]) -> str | None:
    """The api of one model: the host's, unless models.dev names another SDK for it."""
    npm = (raw.get("provider") or {}).get("npm")
    if npm is None or npm == "@ai-sdk/openai-compatible":
        return default
    return _MODEL_APIS.get(npm)


# Azure's catalog also lists other vendors' models (Foundry); only OpenAI's speak Responses.
_AZURE_OPENAI = re.compile(r"^(gpt-|o\d|codex)")
_GPT5 = re.compile(r"^gpt-5(?:\.(\d+))?")
_ALL_DEFAULT = {lvl: "default" for lvl in ("minimal", "low", "medium", "high", "xhigh")}


def model_compat(provider: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Per-model compat overrides (documented in the README)."""
    out = _structured_output(provider, raw)
    mid = str(raw.get("id", ""))
    if provider in ("openai", "azure"):
        m = _GPT5.match(mid)
        if m:
            # "off": gpt-5 takes "minimal" as its lowest effort, gpt-5.1 and later take "none".
            out["reasoning_effort_map"] = {"off": "none" if m.group(1) else "minimal"}
    if provider == "groq" and mid.startswith("qwen/qwen3"):
        # Groq's Qwen 3 accepts only "none" and "default".
        out["reasoning_effort_map"] = {**_ALL_DEFAULT, "off": "none"}
    return out


def _structured_output(provider: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    """models.dev's ``structured_output``, where it differs from the provider row's default."""
    known = raw.get("structured_output")
    spec = next((p for p in PROVIDERS if p.id == provider), None)
    default = bool(spec.compat.get("structured_output")) if spec is not None else False
    return {"structured_output": known} if isinstance(known, bool) and known != default else {}


def _keep_azure(raw: Mapping[str, Any]) -> bool:
    return (
        bool(raw.get("tool_call"))
        and raw.get("status") != "deprecated"
        and bool(_AZURE_OPENAI.match(str(raw.get("id", ""))))
    )


# -- image models (see docs/images.md) ------------------------------------------------

_IMAGE_API_IDS = re.compile(r"^(gpt-image|chatgpt-image|dall-e|grok-imagine-image)")
# xAI's edit endpoint is not OpenAI's multipart one, and it takes aspect_ratio, not size.
_XAI_IMAGES = {"image_options": ["count", "provider_options"]}


def _makes_images(raw: Mapping[str, Any]) -> bool:
    return "image" in raw.get("modalities", {}).get("output", []) and raw.get("status") != "deprecated"


def image_models(data: Mapping[str, Any], specs: Mapping[str, Any]) -> list[Model]:
    """Models whose models.dev entry outputs images: the ``/images`` models of
    OpenAI, Azure and xAI (api ``openai-images``) and OpenRouter's image chat
    models (their chat api, with ``compat["image_api"] = "openrouter-images"``)."""
    out: list[Model] = []
    for provider in ("openai", "azure", "xai"):
        spec = specs[provider]
        out += from_models_dev(
            data,
            SOURCES[provider],
            provider=provider,
            api="openai-images",
            base_url=spec.base_url,
            keep=lambda raw: _makes_images(raw) and bool(_IMAGE_API_IDS.match(str(raw.get("id", "")))),
            compat=lambda raw, p=provider: dict(_XAI_IMAGES) if p == "xai" else {},  # type: ignore[misc]
        )
    out = [msgspec.structs.replace(m, input=("text",)) if m.provider == "xai" else m for m in out]
    spec = specs["openrouter"]
    out += from_models_dev(
        data,
        "openrouter",
        provider="openrouter",
        api=spec.api,
        base_url=spec.base_url,
        keep=lambda raw: _makes_images(raw) and raw.get("id") != "openrouter/auto",
        compat=lambda raw: {**model_compat("openrouter", raw), "image_api": "openrouter-images"},
    )
    return out


# -- embedding models (see docs/embeddings.md) -------------------------------------------

# Vector sizes from the vendors' model pages (models.dev's ``limit.output`` is
# not a vector size for every entry). ``dimension_options`` pins models that
# take no ``dimensions`` (or only some); the others shorten to any size.
EMBEDDINGS: dict[str, dict[str, Any]] = {
    "text-embedding-3-small": {"dimensions": 1536},
    "text-embedding-3-large": {"dimensions": 3072},
    "text-embedding-ada-002": {"dimensions": 1536, "dimension_options": [1536]},
    "mistral-embed": {"dimensions": 1024, "dimension_options": [1024]},
}
_EMBEDDING_SOURCES = ("openai", "azure", "mistral")


def embedding_models(data: Mapping[str, Any], specs: Mapping[str, Any]) -> list[Model]:
    """The ``/embeddings`` models of OpenAI, Azure and Mistral (api ``openai-embeddings``)."""
    out: list[Model] = []
    for provider in _EMBEDDING_SOURCES:
        spec = specs[provider]
        found = from_models_dev(
            data,
            SOURCES[provider],
            provider=provider,
            api="openai-embeddings",
            base_url=spec.base_url,
            keep=lambda raw: raw.get("id") in EMBEDDINGS and raw.get("status") != "deprecated",
            compat=lambda raw: dict(EMBEDDINGS[str(raw["id"])]),
        )
        out += [msgspec.structs.replace(m, output=("embedding",), max_tokens=0) for m in found]
    return out


def _merge(chat: list[Model], images: list[Model]) -> list[Model]:
    # A chat model that also draws keeps its chat entry and gains the image api.
    by_key = {(m.provider, m.id): m for m in chat}
    for m in images:
        known = by_key.get((m.provider, m.id))
        if known is None:
            by_key[(m.provider, m.id)] = m
        else:
            compat = {**known.compat, **{k: v for k, v in m.compat.items() if k not in known.compat}}
            by_key[(m.provider, m.id)] = msgspec.structs.replace(known, output=m.output, compat=compat)
    return list(by_key.values())


def build(data: Mapping[str, Any]) -> list[Model]:
    specs = {p.id: p for p in PROVIDERS}
    models: list[Model] = []
    for provider, key in SOURCES.items():
        spec = specs[provider]
        models += from_models_dev(
            data,
            key,
            provider=provider,
            api=lambda raw, a=spec.api: model_api(a, raw),  # type: ignore[misc]
            base_url=spec.base_url,
            compat=lambda raw, p=provider: model_compat(p, raw),  # type: ignore[misc]
            keep=_keep_azure if provider == "azure" else None,
        )
    return _merge(models, image_models(data, specs)) + embedding_models(data, specs)


def main(argv: list[str]) -> None:
    data = read_models_dev(argv[1] if len(argv) > 1 else None)
    models = build(data)
    write_catalog(models, OUT)
    print(f"wrote {len(models)} models to {OUT}")


if __name__ == "__main__":
    main(sys.argv)
