"""aiwire plugin for Voyage AI's embeddings: the ``voyage-embeddings`` api
(``POST {base_url}/embeddings``) and the ``voyage`` provider (key in
``VOYAGE_API_KEY``).

Discovery only registers names; the codec and the catalog load on first use.
"""

from __future__ import annotations

from aiwire.plugin import ProviderSpec, RegisterApi, RegisterModels, RegisterProvider, hookimpl

AIWIRE_PLUGIN_API = 2

API = "voyage-embeddings"
BASE_URL = "https://api.voyageai.com/v1"

__all__ = ["AIWIRE_PLUGIN_API", "API", "BASE_URL", "register_apis", "register_models", "register_providers"]


@hookimpl
def register_apis(register: RegisterApi) -> None:
    register(API, "aiwire_voyage.codec:VoyageEmbeddingsCodec")


@hookimpl
def register_providers(register: RegisterProvider) -> None:
    register(
        ProviderSpec(
            id="voyage",
            name="Voyage AI",
            api=API,
            base_url=BASE_URL,
            env=("VOYAGE_API_KEY",),
            default_model="voyage-3.5",
            docs="Voyage AI's embedding models (aiwire.embed).",
        )
    )


@hookimpl
def register_models(register: RegisterModels) -> None:
    register("aiwire_voyage")  # catalog.json, loaded on first lookup
