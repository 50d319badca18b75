"""Everything a plugin author needs, in one public module (plugin API 2).

A provider plugin implements a codec (:class:`BaseCodec` with a
:class:`StreamDecoder`) and registers it, its hosts and its models with the
hooks (:data:`hookimpl`, typed ``register`` callbacks :class:`RegisterApi`,
:class:`RegisterProvider`, :class:`RegisterModels`, :class:`RegisterOAuth`);
a login plugin implements an :class:`OAuthFlow`. A codec that wraps another
api's codec is registered as a :class:`CodecFactory`: it receives a
:class:`CodecContext` and decodes through a :class:`WrappedDecoder`. Bodies
that are not server-sent events use :class:`JSONArrayFramer`,
:class:`NDJSONFramer`, :class:`EventStreamFramer` (AWS binary event streams)
or any :class:`Framer`. The constraints a vendor enforces that no request
type expresses go in a :class:`RequestRules` table of :class:`RequestRule`,
each adaptation logged with :func:`note_rule`. A codec that embeds implements
:class:`EmbeddingCodec` and decodes vectors with :func:`vector_from_base64` /
:func:`vector_from_floats`.

Nothing outside this module (and the data types and errors of
:mod:`aiwire`, :mod:`aiwire.types`, :mod:`aiwire.events`,
:mod:`aiwire.errors`, plus :mod:`aiwire.testing`) is part of the plugin
contract. See ``docs/plugins.md``.
"""

import typing as _typing

from aiwire._plugins.hooks import (
    ApiSpec,
    CodecContext,
    CodecFactory,
    CommandSpec,
    InstallHint,
    OAuthSpec,
    ProviderSpec,
    RegisterApi,
    RegisterCommand,
    RegisterInstallHint,
    RegisterModels,
    RegisterOAuth,
    RegisterProvider,
    hookimpl,
    hookspec,
)
from aiwire._wire.codec import (
    API_VERSION,
    CODEC_OPTIONS,
    EMBEDDING_OPTIONS,
    IMAGE_OPTIONS,
    SUPPORTED_API_VERSIONS,
    BaseCodec,
    Codec,
    Credentials,
    EmbeddingBatch,
    EmbeddingCodec,
    EmbeddingOptions,
    ErrorInfo,
    Framer,
    ImageCodec,
    ImageOptions,
    InputType,
    Options,
    Request,
    StreamDecoder,
    WrappedDecoder,
    generic_error_info,
    image_prompt,
    make_usage,
    normalize_tool_call_id,
    vector_from_base64,
    vector_from_floats,
)
from aiwire._wire.eventstream import EventStreamFramer
from aiwire._wire.exchange import AgentRunContext, RequestContext, ResponseInfo
from aiwire._wire.framing import DEFAULT_MAX_SIZE, FramingError, JSONArrayFramer, NDJSONFramer, SSEFramer
from aiwire._wire.headers import Headers, merge_headers
from aiwire._wire.rules import RequestRule, RequestRules, note_rule

if _typing.TYPE_CHECKING:
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


def __getattr__(name: str) -> _typing.Any:
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'aiwire.plugin' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(mod), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "API_VERSION",
    "AgentRunContext",
    "ApiSpec",
    "BaseCodec",
    "CODEC_OPTIONS",
    "Codec",
    "CodecContext",
    "CodecFactory",
    "CommandSpec",
    "Credentials",
    "DEFAULT_MAX_SIZE",
    "DeviceCode",
    "EMBEDDING_OPTIONS",
    "EmbeddingBatch",
    "EmbeddingCodec",
    "EmbeddingOptions",
    "ErrorInfo",
    "EventStreamFramer",
    "Framer",
    "FramingError",
    "Headers",
    "IMAGE_OPTIONS",
    "ImageCodec",
    "ImageOptions",
    "InputType",
    "InstallHint",
    "JSONArrayFramer",
    "LoginCallbacks",
    "LoginError",
    "NDJSONFramer",
    "OAuthFlow",
    "OAuthSpec",
    "Options",
    "ProviderSpec",
    "RegisterApi",
    "RegisterCommand",
    "RegisterInstallHint",
    "RegisterModels",
    "RegisterOAuth",
    "RegisterProvider",
    "Request",
    "RequestContext",
    "RequestRule",
    "RequestRules",
    "ResponseInfo",
    "SSEFramer",
    "SUPPORTED_API_VERSIONS",
    "StoredLogin",
    "StreamDecoder",
    "TIMEOUT",
    "TokenError",
    "WrappedDecoder",
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
    "note_rule",
    "poll_device_token",
    "refresh_grant",
    "tokens_to_login",
    "vector_from_base64",
    "vector_from_floats",
]
