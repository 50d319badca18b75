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
    from . import errors, events
    from ._api import complete, complete_sync, stream, stream_sync
    from ._models import custom_model, get_model, get_provider, models, providers
    from ._plugins import PluginInfo, register_plugin, unregister_plugin
    from ._stream import AssistantStream, SyncAssistantStream
    from ._transport import set_default_transport
    from .codec import Credentials, Options, Request
    from .hooks import ApiSpec, OAuthSpec, ProviderSpec, hookimpl

_LAZY = {
    "complete": "._api",
    "complete_sync": "._api",
    "stream": "._api",
    "stream_sync": "._api",
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
    "Options": ".codec",
    "Request": ".codec",
    "ApiSpec": ".hooks",
    "OAuthSpec": ".hooks",
    "ProviderSpec": ".hooks",
    "hookimpl": ".hooks",
    "errors": ".errors",
    "events": ".events",
}


def __getattr__(name: str) -> Any:
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'aiwire' has no attribute {name!r}")
    import importlib

    module = importlib.import_module(mod, __name__)
    value = module if name in ("errors", "events") else getattr(module, name)
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
    "Context",
    "Cost",
    "Credentials",
    "ImageContent",
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
    "ToolCall",
    "ToolResultMessage",
    "Usage",
    "UserMessage",
    "__version__",
    "complete",
    "complete_sync",
    "custom_model",
    "dumps",
    "errors",
    "events",
    "get_model",
    "get_provider",
    "hookimpl",
    "loads",
    "models",
    "plugins",
    "providers",
    "register_plugin",
    "set_default_transport",
    "stream",
    "stream_sync",
    "unregister_plugin",
]
