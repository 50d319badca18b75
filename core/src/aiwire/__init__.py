"""aiwire: one small, typed, fast streaming API to every LLM provider.

    import aiwire

    model = aiwire.get_model("anthropic/claude-sonnet-4-5")
    async for event in aiwire.stream(model, "Hello"):
        ...

Names that need httpx (``stream``, ``complete``...) load on first use, so
``import aiwire`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .types import (
    AssistantMessage,
    Context,
    Cost,
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

__version__ = "0.1.0"

if TYPE_CHECKING:
    from . import agent, errors, events
    from ._api import complete, complete_sync, stream, stream_sync
    from ._extract import ExtractError, extract, extract_sync
    from ._images import ImageJob, generate_images, generate_images_sync
    from ._models import custom_model, get_model, get_provider, models, providers
    from ._plugins import PluginInfo, register_plugin, unregister_plugin
    from ._stream import AssistantStream, SyncAssistantStream
    from ._transport import set_default_transport
    from .classify import is_auth_error, is_context_overflow, is_rate_limited
    from .codec import Credentials, ImageOptions, Options, Request
    from .handoff import transform_context
    from .hooks import ApiSpec, OAuthSpec, ProviderSpec, hookimpl
    from .tools import CheckedCall, ToolArgumentsError, validate_tool_call

_LAZY = {
    "complete": "._api",
    "complete_sync": "._api",
    "stream": "._api",
    "stream_sync": "._api",
    "ImageJob": "._images",
    "generate_images": "._images",
    "generate_images_sync": "._images",
    "AssistantStream": "._stream",
    "SyncAssistantStream": "._stream",
    "set_default_transport": "._transport",
    "custom_model": "._models",
    "get_model": "._models",
    "get_provider": "._models",
    "models": "._models",
    "providers": "._models",
    "PluginInfo": "._plugins",
    "register_plugin": "._plugins",
    "unregister_plugin": "._plugins",
    "Credentials": ".codec",
    "ImageOptions": ".codec",
    "Options": ".codec",
    "Request": ".codec",
    "ApiSpec": ".hooks",
    "OAuthSpec": ".hooks",
    "ProviderSpec": ".hooks",
    "hookimpl": ".hooks",
    "agent": ".agent",
    "errors": ".errors",
    "events": ".events",
    "ExtractError": "._extract",
    "extract": "._extract",
    "extract_sync": "._extract",
    "is_auth_error": ".classify",
    "is_context_overflow": ".classify",
    "is_rate_limited": ".classify",
    "transform_context": ".handoff",
    "CheckedCall": ".tools",
    "ToolArgumentsError": ".tools",
    "validate_tool_call": ".tools",
}


def __getattr__(name: str) -> Any:
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'aiwire' has no attribute {name!r}")
    import importlib

    module = importlib.import_module(mod, __name__)
    value = module if name in ("agent", "errors", "events") else getattr(module, name)
    globals()[name] = value
    return value


def plugins() -> list[PluginInfo]:
    """Every discovered plugin with its version, hooks and status."""
    from ._plugins import get_registry

    return sorted(get_registry().plugins.values(), key=lambda p: p.name)


__all__ = [
    "ApiSpec",
    "AssistantMessage",
    "AssistantStream",
    "CheckedCall",
    "Context",
    "Cost",
    "Credentials",
    "ExtractError",
    "ImageContent",
    "ImageJob",
    "ImageOptions",
    "ImageResult",
    "Message",
    "Model",
    "ModelCost",
    "OAuthSpec",
    "Options",
    "PluginInfo",
    "ProviderContent",
    "ProviderSpec",
    "Request",
    "SyncAssistantStream",
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
    "errors",
    "events",
    "extract",
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
