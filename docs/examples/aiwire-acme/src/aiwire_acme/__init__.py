"""aiwire-acme: an example provider plugin for the invented ``acme-chat`` api.

This module is the plugin's entry point (group ``aiwire``, name ``acme``). It
only registers names and import paths; the codec module is imported the first
time an ``acme-chat`` request is made, so discovery stays cheap.
"""

from __future__ import annotations

import os

from aiwire.plugin import ProviderSpec, RegisterApi, RegisterModels, RegisterProvider, hookimpl
from aiwire.types import Model, ModelCost

# The plugin API versions this plugin works with (an int, or a tuple of ints).
AIWIRE_PLUGIN_API = 2

BASE_URL = "https://api.acme.test/v1"


@hookimpl
def register_apis(register: RegisterApi) -> None:
    register("acme-chat", "aiwire_acme.codec:AcmeCodec")


@hookimpl
def register_providers(register: RegisterProvider) -> None:
    register(
        ProviderSpec(
            id="acme",
            name="Acme",
            api="acme-chat",
            # ACME_BASE_URL points the provider at a proxy or a local replay server.
            base_url=os.environ.get("ACME_BASE_URL", BASE_URL),
            env=("ACME_API_KEY",),
            docs="Example provider of aiwire's plugin guide; the api is invented.",
        )
    )


def _models() -> list[Model]:
    base = os.environ.get("ACME_BASE_URL", BASE_URL)
    return [
        Model(
            id="acme-mini",
            name="Acme Mini",
            provider="acme",
            api="acme-chat",
            base_url=base,
            reasoning=True,
            cost=ModelCost(input=0.5, output=1.5),
            context_window=32_000,
            max_tokens=4_096,
        )
    ]


@hookimpl
def register_models(register: RegisterModels) -> None:
    # A callable: the catalog is built on first lookup, not at discovery.
    register(_models)
