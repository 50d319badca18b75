"""aiwire-bedrock: the ``bedrock-converse`` api (Amazon Bedrock's Converse and
ConverseStream), the ``bedrock-embeddings`` api (Titan, Cohere and Nova
embeddings through InvokeModel), the ``bedrock-anthropic`` api (Claude through
InvokeModel with Anthropic's own body, with aiwire-anthropic installed) and
the ``amazon-bedrock`` provider.

Requests are signed with SigV4 by botocore's own signer, with credentials
from botocore's own chain (environment, shared files, profiles, SSO,
instance and container roles), or carry a Bedrock API key as a bearer token.
This entry module only registers names and two small hooks; botocore, the
codec and the catalog load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiwire.plugin import (
    Credentials,
    ProviderSpec,
    RegisterApi,
    RegisterModels,
    RegisterProvider,
    Request,
    RequestContext,
    hookimpl,
)

if TYPE_CHECKING:
    from aiwire.types import AssistantMessage, Model

__version__ = "0.1.0"

AIWIRE_PLUGIN_API = 2

API = "bedrock-converse"
EMBED_API = "bedrock-embeddings"
INVOKE_API = "bedrock-anthropic"
PROVIDER = "amazon-bedrock"
DEFAULT_REGION = "us-east-1"
BASE_URL = f"https://bedrock-runtime.{DEFAULT_REGION}.amazonaws.com"
BEARER_ENV = "AWS_BEARER_TOKEN_BEDROCK"


@hookimpl
def register_apis(register: RegisterApi) -> None:
    register(API, "aiwire_bedrock.codec:BedrockCodec")
    register(EMBED_API, "aiwire_bedrock.embed:BedrockEmbeddingsCodec")
    register(INVOKE_API, "aiwire_bedrock.invoke:BedrockAnthropicCodec")  # needs aiwire-anthropic


@hookimpl
def register_providers(register: RegisterProvider) -> None:
    register(
        ProviderSpec(
            id=PROVIDER,
            name="Amazon Bedrock",
            api=API,
            base_url=BASE_URL,
            env=(BEARER_ENV,),
            default_model="us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            docs=(
                "Claude, Nova, Llama, Mistral, DeepSeek, Qwen... through Bedrock's Converse API. AWS credentials "
                "(environment, ~/.aws files, AWS_PROFILE, SSO, instance roles) or a Bedrock API key in "
                "AWS_BEARER_TOKEN_BEDROCK; region from AWS_REGION, AWS_DEFAULT_REGION or the profile."
            ),
        )
    )


@hookimpl
def register_models(register: RegisterModels) -> None:
    register("aiwire_bedrock")  # catalog.json, loaded on first lookup


@hookimpl
def resolve_credentials(provider: ProviderSpec, model: Model) -> Credentials | None:
    """A Bedrock API key, else the AWS credential chain (botocore loads here)."""
    if provider.id != PROVIDER:
        return None
    from ._auth import resolve

    return resolve(model)


@hookimpl(trylast=True)
def prepare_request(model: Model, request: Request, call: RequestContext) -> None:
    """Sign with SigV4 last, after every other hook changed the request."""
    if model.api not in (API, EMBED_API, INVOKE_API):
        return
    aws = call.credentials.extra.get("aws_credentials")
    if aws is None:
        return
    from ._auth import sign

    sign(request, aws, call.credentials.extra["aws_region"])


@hookimpl
def classify_error(message: AssistantMessage) -> str | None:
    if message.api != API:
        return None
    from ._errors import classify

    return classify(message)
