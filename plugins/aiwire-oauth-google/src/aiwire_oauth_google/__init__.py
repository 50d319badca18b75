"""aiwire plugin: Gemini CLI (Google Cloud Code Assist) login, provider and api.

The ``google-gemini-cli`` api wraps the ``google-generative-ai`` codec of
aiwire-google in Cloud Code Assist's request and response envelope.
"""

from __future__ import annotations

from aiwire.plugin import (
    OAuthSpec,
    ProviderSpec,
    RegisterApi,
    RegisterModels,
    RegisterOAuth,
    RegisterProvider,
    hookimpl,
)

AIWIRE_PLUGIN_API = 2

PROVIDER = "google-gemini-cli"
API = "google-gemini-cli"
BASE_URL = "https://cloudcode-pa.googleapis.com"


@hookimpl
def register_apis(register: RegisterApi) -> None:
    register(API, "aiwire_oauth_google.codec:CloudCodeAssistCodec")


@hookimpl
def register_oauth_providers(register: RegisterOAuth) -> None:
    register(
        OAuthSpec(
            id=PROVIDER,
            name="Google Cloud Code Assist (Gemini CLI)",
            flow="aiwire_oauth_google.flow:GeminiCliFlow",
            providers=(PROVIDER,),
        )
    )


@hookimpl
def register_providers(register: RegisterProvider) -> None:
    register(
        ProviderSpec(
            id=PROVIDER,
            name="Google Cloud Code Assist (Gemini CLI)",
            api=API,
            base_url=BASE_URL,
            login=PROVIDER,
            docs="Gemini models of a Google account, as Gemini CLI uses them; `aiwire login google-gemini-cli`.",
        )
    )


@hookimpl
def register_models(register: RegisterModels) -> None:
    register("aiwire_oauth_google")  # catalog.json, loaded on first lookup
