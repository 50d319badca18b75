"""aiwire plugin for Cohere's embeddings: the ``cohere-embed`` api
(``POST {base_url}/v2/embed``) and the ``cohere`` provider (key in
``CO_API_KEY`` or ``COHERE_API_KEY``).

Discovery only registers names; the codec and the catalog load on first use.
"""

from __future__ import annotations

from aiwire.plugin import ProviderSpec, RegisterApi, RegisterModels, RegisterProvider, hookimpl

AIWIRE_PLUGIN_API = 2

API = "cohere-embed"
BASE_URL = "https://api.cohere.com"

__all__ = ["AIWIRE_PLUGIN_API", "API", "BASE_URL", "register_apis", "register_models", "register_providers"]


@hookimpl
def register_apis(register: RegisterApi) -> None:
    register(API, "aiwire_cohere.codec:CohereEmbedCodec")


@hookimpl
def register_providers(register: RegisterProvider) -> None:
    register(
        ProviderSpec(
            id="cohere",
            name="Cohere",
            api=API,
            base_url=BASE_URL,
            env=("CO_API_KEY", "COHERE_API_KEY"),
            default_model="embed-v4.0",
            docs="Cohere's embedding models (aiwire.embed).",
        )
    )


@hookimpl
def register_models(register: RegisterModels) -> None:
    register("aiwire_cohere")  # catalog.json, loaded on first lookup
