"""aiwire plugin for Google's Gemini models: the ``google-generative-ai`` api.

Providers: ``google`` (the Gemini API, key in ``GEMINI_API_KEY`` or
``GOOGLE_API_KEY``) and ``google-vertex`` (Vertex AI: express mode with a key
in ``GOOGLE_CLOUD_API_KEY``, else Google credentials, ADC or a service
account, with the project and location from ``GOOGLE_CLOUD_PROJECT`` /
``GOOGLE_CLOUD_LOCATION``; see :mod:`aiwire_google.vertex`).

This module only registers names; the codec loads on first use.
"""

from __future__ import annotations

from aiwire.plugin import Credentials, ProviderSpec, RegisterApi, RegisterModels, RegisterProvider, hookimpl
from aiwire.types import Model

AIWIRE_PLUGIN_API = 2

API = "google-generative-ai"
GEMINI_BASE_URL = "https://generativelanguage.googleapis.com/v1beta"
VERTEX_BASE_URL = "https://aiplatform.googleapis.com/v1/publishers/google"
# Replaced by the project endpoint once Google credentials are resolved.
VERTEX_ANTHROPIC_BASE_URL = "https://aiplatform.googleapis.com/v1/publishers/anthropic"


@hookimpl
def register_apis(register: RegisterApi) -> None:
    register(API, "aiwire_google.codec:GoogleCodec")
    register("google-embeddings", "aiwire_google.embeddings:GoogleEmbeddingsCodec")
    register("vertex-anthropic", "aiwire_google.vertex_anthropic:VertexAnthropicCodec")


@hookimpl
def register_providers(register: RegisterProvider) -> None:
    register(
        ProviderSpec(
            id="google",
            name="Google Gemini API",
            api=API,
            base_url=GEMINI_BASE_URL,
            env=("GEMINI_API_KEY", "GOOGLE_API_KEY"),
            base_url_env={"GOOGLE_GEMINI_BASE_URL": "/v1beta"},  # google-genai's variable: the host only
            default_model="gemini-2.5-flash",
            docs="Gemini models through the Gemini API (AI Studio keys).",
        )
    )
    register(
        ProviderSpec(
            id="google-vertex",
            name="Google Vertex AI",
            api=API,
            base_url=VERTEX_BASE_URL,
            env=("GOOGLE_CLOUD_API_KEY",),
            docs="Gemini models on Vertex AI: express-mode key, or Google credentials (ADC, service accounts).",
        )
    )
    register(
        ProviderSpec(
            id="google-vertex-anthropic",
            name="Claude on Vertex AI",
            api="vertex-anthropic",
            base_url=VERTEX_ANTHROPIC_BASE_URL,
            docs="Anthropic's Claude models on Vertex AI, with Google credentials (needs aiwire-anthropic).",
        )
    )


@hookimpl
def register_models(register: RegisterModels) -> None:
    register("aiwire_google")  # catalog.json, loaded on first lookup


@hookimpl
def resolve_credentials(provider: ProviderSpec, model: Model) -> Credentials | None:
    """Vertex AI without an express-mode key: Google credentials (see :mod:`aiwire_google.vertex`)."""
    if provider.id not in ("google-vertex", "google-vertex-anthropic"):
        return None
    from .vertex import vertex_credentials

    return vertex_credentials(provider, model)
