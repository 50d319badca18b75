"""Exceptions.

Setup failures, before a stream exists, raise. Once a stream exists, failures
are ``error`` events carrying the partial message instead::

    AiwireError
    ├── ConfigError            bad setup; nothing was sent
    │   ├── UnknownModelError      (also a LookupError)
    │   ├── UnknownProviderError   (also a LookupError)
    │   ├── UnknownApiError        (also a LookupError)
    │   ├── MissingCredentialsError
    │   ├── BadOptionsError        (also a ValueError)
    │   ├── InvalidToolError       (also a ValueError)
    │   │   └── SchemaError            a schema the provider cannot accept
    │   ├── InvalidInputError      (also a TypeError and a ValueError)
    │   └── PluginError
    ├── DecodeError            saved data that does not load (also a ValueError)
    └── ProviderError          a turn ended in error; raised only on request
        │                      (``message.raise_for_error()``, ``complete(..., check=True)``,
        │                      ``message.exception()`` and ``event.exception()`` return it)
        ├── AuthenticationError    credentials missing, wrong or expired (401)
        ├── PermissionDeniedError  the key may not use this model or resource (403)
        ├── RateLimitError         rate or per-minute quota (429); not an empty balance
        ├── ContextOverflowError   the request does not fit the context window
        ├── BadRequestError        the provider refused the request (400, 422)
        ├── NotFoundError          unknown model or endpoint (404)
        ├── ServerError            the provider failed or is overloaded (5xx, 529)
        ├── ProviderTimeoutError   a stall or timeout (also a TimeoutError)
        ├── ProviderConnectionError  the network failed (also a ConnectionError)
        └── AbortedError           the call was cancelled (``stop_reason == "aborted"``)

Which subclass a failed turn raises follows :mod:`aiwire.classify` (the
status, the vendor's error type and text, and plugins' ``classify_error``).

Messages never contain credentials.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiwire.types import AssistantMessage, EmbeddingResult, ImageResult

__all__ = [
    "AbortedError",
    "AiwireError",
    "AuthenticationError",
    "BadRequestError",
    "BadOptionsError",
    "ConfigError",
    "ContextOverflowError",
    "DecodeError",
    "InvalidInputError",
    "InvalidToolError",
    "MissingCredentialsError",
    "NotFoundError",
    "PermissionDeniedError",
    "PluginError",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderTimeoutError",
    "RateLimitError",
    "SchemaError",
    "ServerError",
    "UnknownApiError",
    "UnknownModelError",
    "UnknownProviderError",
]


class AiwireError(Exception):
    """Base of every aiwire exception."""


class ConfigError(AiwireError):
    """The call could not be set up; no request was sent."""


class UnknownModelError(ConfigError, LookupError):
    """No registered catalog has this model."""


class UnknownProviderError(ConfigError, LookupError):
    """No installed plugin registers this provider."""


class UnknownApiError(ConfigError, LookupError):
    """No installed plugin registers this wire api."""


class MissingCredentialsError(ConfigError):
    """No api key or login was found for a provider that needs one."""


class BadOptionsError(ConfigError, ValueError):
    """An option is unknown, malformed, or unsupported by the model's api."""


class InvalidToolError(ConfigError, ValueError):
    """A tool definition is not usable (bad name or invalid JSON Schema)."""


class SchemaError(InvalidToolError):
    """A JSON Schema (a tool's parameters, or the type given to ``extract``)
    uses something the provider cannot accept; the message names its path.
    Raised when the request is built, never at import."""


class InvalidInputError(ConfigError, TypeError, ValueError):
    """A message, content block, tool, context or model is built with a value
    of the wrong type (``ToolResultMessage(content="ok")``), one that cannot be
    sent as JSON, or one nested too deeply. Raised by the constructor where
    the check is cheap, else when the call is set up; nothing is sent."""


class PluginError(ConfigError):
    """A plugin failed to load or registered something inconsistent."""


class DecodeError(AiwireError, ValueError):
    """Saved data could not be loaded into aiwire types."""


class ProviderError(AiwireError):
    """An assistant turn (or image generation) ended with ``stop_reason`` error or aborted.

    ``message`` is the partial :class:`~aiwire.types.AssistantMessage` (or the
    :class:`~aiwire.types.ImageResult`, or :class:`~aiwire.types.EmbeddingResult`).
    """

    def __init__(self, message: AssistantMessage | ImageResult | EmbeddingResult) -> None:
        self.message = message
        self.status = message.error_status
        self.error_type = message.error_type
        parts = [message.error_message or message.stop_reason]
        if message.error_status:
            parts.insert(0, f"HTTP {message.error_status}")
        super().__init__(f"{message.provider}/{message.model}: " + ": ".join(parts))


class AuthenticationError(ProviderError):
    """The credentials were missing, wrong or expired (HTTP 401 and the vendors'
    authentication errors)."""


class PermissionDeniedError(ProviderError):
    """The credentials are valid but may not use this model or resource (HTTP 403)."""


class RateLimitError(ProviderError):
    """Too many requests or tokens per minute (HTTP 429 and in-stream
    equivalents); wait and retry. An exhausted balance is not one."""


class ContextOverflowError(ProviderError):
    """The request does not fit the model's context window: shorten or compact it."""


class BadRequestError(ProviderError):
    """The provider refused the request as invalid (HTTP 400 or 422)."""


class NotFoundError(ProviderError):
    """The model or endpoint does not exist here (HTTP 404): check the id and base URL."""


class ServerError(ProviderError):
    """The provider failed or is overloaded (HTTP 5xx, Anthropic's 529)."""


class ProviderTimeoutError(ProviderError, TimeoutError):
    """The stream stalled past ``idle_timeout``, or a request timed out."""


class ProviderConnectionError(ProviderError, ConnectionError):
    """The network failed: no connection, or it broke mid-stream."""


class AbortedError(ProviderError):
    """The call was cancelled (``abort()``, the consumer stopped reading)."""
