"""aiwire-anthropic: the ``anthropic-messages`` api and the ``anthropic`` provider.

This entry module only registers names and import paths; the codec and the
catalog load on first use.
"""

from __future__ import annotations

from aiwire.plugin import ProviderSpec, RegisterApi, RegisterModels, RegisterProvider, hookimpl

__version__ = "0.1.0"

AIWIRE_PLUGIN_API = 2

API = "anthropic-messages"
BASE_URL = "https://api.anthropic.com/v1"


@hookimpl
def register_apis(register: RegisterApi) -> None:
    register(API, "aiwire_anthropic.codec:AnthropicCodec")


@hookimpl
def register_providers(register: RegisterProvider) -> None:
    register(
        ProviderSpec(
            id="anthropic",
            name="Anthropic",
            api=API,
            base_url=BASE_URL,
            env=("ANTHROPIC_API_KEY",),
            base_url_env={"ANTHROPIC_BASE_URL": "/v1"},  # the SDKs' convention: the host, without /v1
            default_model="claude-sonnet-4-5",
            docs="Claude models through the Anthropic Messages API. Set ANTHROPIC_API_KEY.",
        )
    )


@hookimpl
def register_models(register: RegisterModels) -> None:
    register("aiwire_anthropic")  # catalog.json, loaded on first lookup
