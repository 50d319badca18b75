"""aiwire plugin: OpenAI Chat Completions and Responses, Azure, and OpenAI-compatible hosts.

Discovery only registers names, import paths and provider rows; the codecs
and the catalog load on first use.
"""

from __future__ import annotations

from aiwire.plugin import RegisterApi, RegisterModels, RegisterProvider, hookimpl

AIWIRE_PLUGIN_API = 2

__all__ = ["AIWIRE_PLUGIN_API", "register_apis", "register_models", "register_providers"]


@hookimpl
def register_apis(register: RegisterApi) -> None:
    register("openai-completions", "aiwire_openai.completions:CompletionsCodec")
    register("openai-responses", "aiwire_openai.responses:ResponsesCodec")
    register("openai-images", "aiwire_openai.images:OpenAIImagesCodec")
    register("openrouter-images", "aiwire_openai.images:OpenRouterImagesCodec")
    register("openai-embeddings", "aiwire_openai.embeddings:OpenAIEmbeddingsCodec")


@hookimpl
def register_providers(register: RegisterProvider) -> None:
    from .providers import PROVIDERS

    for spec in PROVIDERS:
        register(spec)


@hookimpl
def register_models(register: RegisterModels) -> None:
    register("aiwire_openai")  # catalog.json, loaded on first lookup
