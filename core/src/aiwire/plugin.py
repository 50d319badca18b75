"""Everything a plugin author needs, in one public module (plugin API 2).

A provider plugin implements a codec (:class:`BaseCodec` with a
:class:`StreamDecoder`) and registers it, its hosts and its models with the
hooks below; a login plugin implements an :class:`OAuthFlow`. Nothing outside
this module (and the data types in :mod:`aiwire`) is part of the contract.
See ``docs/plugins.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiwire._plugins.hooks import ApiSpec, OAuthSpec, ProviderSpec, hookimpl, hookspec
from aiwire._wire.codec import (
    API_VERSION,
    CODEC_OPTIONS,
    IMAGE_OPTIONS,
    BaseCodec,
    Codec,
    Credentials,
    ErrorInfo,
    Framer,
    ImageCodec,
    ImageOptions,
    Options,
    Request,
    StreamDecoder,
    generic_error_info,
    image_prompt,
    make_usage,
    normalize_tool_call_id,
)
from aiwire._wire.exchange import RequestContext, ResponseInfo
from aiwire._wire.framing import SSEFramer
from aiwire._wire.headers import Headers, merge_headers

if TYPE_CHECKING:
    from aiwire.auth.errors import LoginError
    from aiwire.auth.grants import (
        TIMEOUT,
        TokenError,
        authorize,
        device_authorize,
        exchange_code,
        poll_device_token,
        refresh_grant,
        tokens_to_login,
    )
    from aiwire.auth.oauth import DeviceCode, LoginCallbacks, OAuthFlow, env_override
    from aiwire.auth.store import StoredLogin

# The login building blocks need httpx; they load on first use so that a
# plugin's entry module (which imports this one) keeps discovery cheap.
_LAZY = {
    "LoginError": "aiwire.auth.errors",
    "TIMEOUT": "aiwire.auth.grants",
    "TokenError": "aiwire.auth.grants",
    "authorize": "aiwire.auth.grants",
    "device_authorize": "aiwire.auth.grants",
    "exchange_code": "aiwire.auth.grants",
    "poll_device_token": "aiwire.auth.grants",
    "refresh_grant": "aiwire.auth.grants",
    "tokens_to_login": "aiwire.auth.grants",
    "DeviceCode": "aiwire.auth.oauth",
    "LoginCallbacks": "aiwire.auth.oauth",
    "OAuthFlow": "aiwire.auth.oauth",
    "env_override": "aiwire.auth.oauth",
    "StoredLogin": "aiwire.auth.store",
}


def __getattr__(name: str) -> Any:
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'aiwire.plugin' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(mod), name)
    globals()[name] = value
    return value


__all__ = [
    "API_VERSION",
    "CODEC_OPTIONS",
    "IMAGE_OPTIONS",
    "TIMEOUT",
    "ApiSpec",
    "BaseCodec",
    "Codec",
    "Credentials",
    "DeviceCode",
    "ErrorInfo",
    "Framer",
    "Headers",
    "ImageCodec",
    "ImageOptions",
    "LoginCallbacks",
    "LoginError",
    "OAuthFlow",
    "OAuthSpec",
    "Options",
    "ProviderSpec",
    "Request",
    "RequestContext",
    "ResponseInfo",
    "SSEFramer",
    "StoredLogin",
    "StreamDecoder",
    "TokenError",
    "authorize",
    "device_authorize",
    "env_override",
    "exchange_code",
    "generic_error_info",
    "hookimpl",
    "hookspec",
    "image_prompt",
    "make_usage",
    "merge_headers",
    "normalize_tool_call_id",
    "poll_device_token",
    "refresh_grant",
    "tokens_to_login",
]
