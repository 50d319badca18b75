"""aiwire: one small, typed, fast streaming API to every LLM provider.

    import aiwire

    model = aiwire.get_model("anthropic/claude-sonnet-4-5")
    async for event in aiwire.stream(model, "Hello"):
        ...

Every name loads on first use, so ``import aiwire`` (and ``aiwire --help``)
stays cheap.
"""

import typing as _typing

__version__ = "0.1.0"
"""The version of the aiwire core distribution."""

if _typing.TYPE_CHECKING:
    from aiwire import agent, errors, events
    from aiwire._api.calls import complete, complete_sync, stream, stream_sync
    from aiwire._api.client import AsyncClient, Client, set_default_transport
    from aiwire._api.embed import embed, embed_sync
    from aiwire._api.extract import (
        ExtractError,
        ExtractStream,
        SyncExtractStream,
        extract,
        extract_stream,
        extract_stream_sync,
        extract_sync,
    )
    from aiwire._api.images import generate_images, generate_images_sync
    from aiwire._api.models import custom_model, get_model, get_provider, models, providers
    from aiwire._io.aio import AssistantStream, ImageJob
    from aiwire._io.sync import AbortHandle, SyncAssistantStream
    from aiwire._plugins.hooks import ApiSpec, OAuthSpec, ProviderSpec, hookimpl
    from aiwire._plugins.registry import PluginInfo, register_plugin, unregister_plugin
    from aiwire._wire.codec import Credentials, ImageOptions, Options, Request
    from aiwire.classify import is_auth_error, is_context_overflow, is_rate_limited
    from aiwire.errors import (
        AbortedError,
        AuthenticationError,
        BadRequestError,
        ContextOverflowError,
        NotFoundError,
        PermissionDeniedError,
        ProviderConnectionError,
        ProviderError,
        ProviderTimeoutError,
        RateLimitError,
        ServerError,
    )
    from aiwire.handoff import transform_context
    from aiwire.tools import CheckedCall, ToolArgumentsError, validate_tool_call
    from aiwire.types import (
        AssistantMessage,
        Context,
        Cost,
        EmbeddingResult,
        ImageContent,
        ImageResult,
        Message,
        Model,
        ModelCost,
        ProviderContent,
        TextContent,
        ThinkingContent,
        Tool,
        ToolCall,
        ToolResultMessage,
        Usage,
        UserMessage,
        dumps,
        loads,
    )

_LAZY = {
    "AssistantMessage": ".types",
    "Context": ".types",
    "Cost": ".types",
    "EmbeddingResult": ".types",
    "ImageContent": ".types",
    "ImageResult": ".types",
    "Message": ".types",
    "Model": ".types",
    "ModelCost": ".types",
    "ProviderContent": ".types",
    "TextContent": ".types",
    "ThinkingContent": ".types",
    "Tool": ".types",
    "ToolCall": ".types",
    "ToolResultMessage": ".types",
    "Usage": ".types",
    "UserMessage": ".types",
    "dumps": ".types",
    "loads": ".types",
    "complete": "._api.calls",
    "complete_sync": "._api.calls",
    "stream": "._api.calls",
    "stream_sync": "._api.calls",
    "ImageJob": "._io.aio",
    "generate_images": "._api.images",
    "generate_images_sync": "._api.images",
    "embed": "._api.embed",
    "embed_sync": "._api.embed",
    "AssistantStream": "._io.aio",
    "SyncAssistantStream": "._io.sync",
    "AbortHandle": "._io.sync",
    "AsyncClient": "._api.client",
    "Client": "._api.client",
    "set_default_transport": "._api.client",
    "custom_model": "._api.models",
    "get_model": "._api.models",
    "get_provider": "._api.models",
    "models": "._api.models",
    "providers": "._api.models",
    "PluginInfo": "._plugins.registry",
    "register_plugin": "._plugins.registry",
    "unregister_plugin": "._plugins.registry",
    "Credentials": "._wire.codec",
    "ImageOptions": "._wire.codec",
    "Options": "._wire.codec",
    "Request": "._wire.codec",
    "ApiSpec": "._plugins.hooks",
    "OAuthSpec": "._plugins.hooks",
    "ProviderSpec": "._plugins.hooks",
    "hookimpl": "._plugins.hooks",
    "agent": ".agent",
    "errors": ".errors",
    "events": ".events",
    "ExtractError": "._api.extract",
    "extract": "._api.extract",
    "extract_sync": "._api.extract",
    "ExtractStream": "._api.extract",
    "SyncExtractStream": "._api.extract",
    "extract_stream": "._api.extract",
    "extract_stream_sync": "._api.extract",
    "AbortedError": ".errors",
    "AuthenticationError": ".errors",
    "BadRequestError": ".errors",
    "ContextOverflowError": ".errors",
    "NotFoundError": ".errors",
    "PermissionDeniedError": ".errors",
    "ProviderConnectionError": ".errors",
    "ProviderError": ".errors",
    "ProviderTimeoutError": ".errors",
    "RateLimitError": ".errors",
    "ServerError": ".errors",
    "is_auth_error": ".classify",
    "is_context_overflow": ".classify",
    "is_rate_limited": ".classify",
    "transform_context": ".handoff",
    "CheckedCall": ".tools",
    "ToolArgumentsError": ".tools",
    "validate_tool_call": ".tools",
}


def __getattr__(name: str) -> _typing.Any:
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'aiwire' has no attribute {name!r}")
    import importlib

    module = importlib.import_module(mod, __name__)
    value = module if name in ("agent", "errors", "events") else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def plugins() -> "list[PluginInfo]":
    """Every discovered plugin with its version, hooks and status."""
    from aiwire._plugins.registry import get_registry

    return sorted(get_registry().plugins.values(), key=lambda p: p.name)


__all__ = [
    "AbortHandle",
    "AbortedError",
    "ApiSpec",
    "AssistantMessage",
    "AssistantStream",
    "AsyncClient",
    "AuthenticationError",
    "BadRequestError",
    "CheckedCall",
    "Client",
    "Context",
    "ContextOverflowError",
    "Cost",
    "Credentials",
    "EmbeddingResult",
    "ExtractError",
    "ExtractStream",
    "ImageContent",
    "ImageJob",
    "ImageOptions",
    "ImageResult",
    "Message",
    "Model",
    "ModelCost",
    "NotFoundError",
    "OAuthSpec",
    "Options",
    "PermissionDeniedError",
    "PluginInfo",
    "ProviderConnectionError",
    "ProviderContent",
    "ProviderError",
    "ProviderSpec",
    "ProviderTimeoutError",
    "RateLimitError",
    "Request",
    "ServerError",
    "SyncAssistantStream",
    "SyncExtractStream",
    "TextContent",
    "ThinkingContent",
    "Tool",
    "ToolArgumentsError",
    "ToolCall",
    "ToolResultMessage",
    "Usage",
    "UserMessage",
    "__version__",
    "agent",
    "complete",
    "complete_sync",
    "custom_model",
    "dumps",
    "embed",
    "embed_sync",
    "errors",
    "events",
    "extract",
    "extract_stream",
    "extract_stream_sync",
    "extract_sync",
    "generate_images",
    "generate_images_sync",
    "get_model",
    "get_provider",
    "hookimpl",
    "is_auth_error",
    "is_context_overflow",
    "is_rate_limited",
    "loads",
    "models",
    "plugins",
    "providers",
    "register_plugin",
    "set_default_transport",
    "stream",
    "stream_sync",
    "transform_context",
    "unregister_plugin",
    "validate_tool_call",
]
