"""aiwire plugin: OpenAI Chat Completions and Responses, Azure, and OpenAI-compatible hosts.

Discovery only registers names, import paths and provider rows; the codecs
and the catalog load on first use.
"""

from __future__ import annotations

from typing import Any

import aiwire

AIWIRE_PLUGIN_API = 2

__all__ = ["AIWIRE_PLUGIN_API", "register_apis", "register_models", "register_providers"]


@aiwire.hookimpl
def register_apis(register: Any) -> None:
    register("openai-completions", "aiwire_openai.completions:CompletionsCodec")
    register("openai-responses", "aiwire_openai.responses:ResponsesCodec")
    register("openai-images", "aiwire_openai.images:OpenAIImagesCodec")
    register("openrouter-images", "aiwire_openai.images:OpenRouterImagesCodec")


@aiwire.hookimpl
def register_providers(register: Any) -> None:
    from .providers import PROVIDERS

    for spec in PROVIDERS:
        register(spec)


@aiwire.hookimpl
def register_models(register: Any) -> None:
    register("aiwire_openai")  # catalog.json, loaded on first lookup
