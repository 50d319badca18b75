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
    │   ├── InvalidInputError      (also a TypeError and a ValueError)
    │   └── PluginError
    ├── DecodeError            saved data that does not load (also a ValueError)
    └── ProviderError          a turn ended in error; raised only on request
                               (``message.raise_for_error()``, ``complete(..., check=True)``)

Messages never contain credentials.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiwire.types import AssistantMessage, EmbeddingResult, ImageResult

__all__ = [
    "AiwireError",
    "BadOptionsError",
    "ConfigError",
    "DecodeError",
    "InvalidInputError",
    "InvalidToolError",
    "MissingCredentialsError",
    "PluginError",
    "ProviderError",
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
