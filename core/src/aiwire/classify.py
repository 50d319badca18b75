"""What kind of failure a turn ended with: context overflow, rate limit, auth.

Each function takes a failed :class:`~aiwire.types.AssistantMessage` (its
``error_status``, ``error_type`` and ``error_message``), a
:class:`~aiwire.errors.ProviderError`, any exception, or a plain error text::

    msg = await aiwire.complete(model, context)
    if aiwire.is_context_overflow(msg, model.context_window):
        context = compact(context)

Vendor error texts are matched by the patterns below. Plugins add their own
with the ``classify_error`` hook (see :mod:`aiwire._plugins.hooks`), which returns one
of ``"context_overflow"``, ``"rate_limited"`` or ``"auth"``; it runs only when
one of these functions is called, never per event.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from aiwire import errors
from aiwire.types import AssistantMessage, ImageResult

__all__ = ["ErrorKind", "error_class", "is_auth_error", "is_context_overflow", "is_rate_limited", "provider_error"]

ErrorKind = Literal["context_overflow", "rate_limited", "auth"]

_OVERFLOW = re.compile(
    "|".join(
        [
            r"prompt is too long",  # Anthropic
            r"input length and `?max_tokens`? exceed context limit",  # Anthropic
            r"exceeds? the context window",  # OpenAI Responses
            r"maximum context length",  # OpenAI, OpenRouter, vLLM
            r"context[_ ]length[_ ]exceeded",  # OpenAI error code, generic
            r"input token count .* exceeds the maximum",  # Gemini
            r"maximum prompt length",  # xAI
            r"reduce the length of the messages",  # Groq
            r"input is too long",  # Bedrock
            r"too many input tokens",  # Bedrock
            r"exceeds? (?:the )?available context size",  # llama.cpp
            r"greater than the context length",  # LM Studio
            r"too large for model with \d+ maximum context length",  # Mistral
            r"context window (?:exceeded|is full|overflow)",
            r"exceeds? (?:the )?(?:model'?s? )?(?:max(?:imum)? )?(?:context|token) (?:limit|length|window)",
            r"token limit exceeded",
        ]
    ),
    re.IGNORECASE,
)
_OVERFLOW_TYPES = frozenset({"context_length_exceeded", "request_too_large", "string_above_max_length"})

_RATE = re.compile(
    r"rate.?limit|too many requests|resource.?exhausted|tokens per min|requests per min|throttl", re.IGNORECASE
)
_RATE_TYPES = frozenset({"rate_limit_error", "rate_limit_exceeded", "resource_exhausted", "too_many_requests"})
_NOT_RATE = re.compile(r"insufficient.?quota|billing|credit balance", re.IGNORECASE)

_AUTH = re.compile(
    r"invalid.{0,12}api.?key|incorrect api key|api key not valid|invalid x-api-key|authentication|unauthori[sz]ed"
    r"|invalid bearer token|oauth token has expired|token (?:is )?expired",
    re.IGNORECASE,
)
_AUTH_TYPES = frozenset(
    {"authentication_error", "permission_error", "invalid_api_key", "unauthenticated", "permission_denied"}
)


_NETWORK = re.compile(r"^(?:request to \S+ failed|the connection failed mid-stream): ")
_TIMEOUT = re.compile(r"^the stream stalled: |Timeout\b|timed out", re.IGNORECASE)
_SERVER_TYPES = frozenset(
    {"overloaded_error", "api_error", "server_error", "internal", "unavailable", "internal_error"}
)
_PERMISSION_TYPES = frozenset({"permission_error", "permission_denied"})


class _Failure:
    __slots__ = ("message", "status", "text", "type")

    def __init__(self, status: int | None, type: str | None, text: str, message: AssistantMessage | None) -> None:
        self.status = status
        self.type = (type or "").lower()
        self.text = text
        self.message = message


def _read(value: Any) -> _Failure:
    if isinstance(value, AssistantMessage):
        return _Failure(value.error_status, value.error_type, value.error_message or "", value)
    if isinstance(value, str):
        return _Failure(None, None, value, None)
    inner = getattr(value, "message", None)  # aiwire.errors.ProviderError
    if isinstance(inner, AssistantMessage):
        return _read(inner)
    status = getattr(value, "status_code", None) or getattr(value, "status", None)
    response = getattr(value, "response", None)
    if status is None and response is not None:
        status = getattr(response, "status_code", None)
    return _Failure(status if isinstance(status, int) else None, getattr(value, "error_type", None), str(value), None)


def _plugin_kinds(f: _Failure) -> set[str]:
    if f.message is None:
        return set()
    from aiwire._plugins.registry import get_registry

    return get_registry().run_classify_error(f.message)


def is_context_overflow(message_or_error: Any, context_window: int | None = None) -> bool:
    """Whether the request did not fit the model's context window.

    True for the vendors' overflow errors, for HTTP 413, and, given
    ``context_window``, for a "successful" turn whose input tokens (with
    cache reads) exceed it: some servers silently truncate instead of failing.
    """
    f = _read(message_or_error)
    msg = f.message
    if msg is not None and msg.stop_reason not in ("error", "aborted"):
        u = msg.usage
        return bool(context_window and u is not None and u.input + u.cache_read > context_window)
    if f.type in _OVERFLOW_TYPES or f.status == 413 or _OVERFLOW.search(f.text):
        return True
    if f.status == 400 and (not f.text.strip() or f.text.startswith("HTTP 400 with an empty body")):
        return True  # Cerebras answers an oversized prompt with an empty 400
    return "context_overflow" in _plugin_kinds(f)


def is_rate_limited(message_or_error: Any) -> bool:
    """Whether the provider refused for rate or quota-per-minute reasons
    (HTTP 429 and its in-stream equivalents); an exhausted balance is not."""
    f = _read(message_or_error)
    if _NOT_RATE.search(f.text) or f.type == "insufficient_quota":
        return False
    if f.status == 429 or f.type in _RATE_TYPES or _RATE.search(f.text):
        return True
    return "rate_limited" in _plugin_kinds(f)


def is_auth_error(message_or_error: Any) -> bool:
    """Whether the credentials were missing, wrong, expired or not allowed
    (HTTP 401/403 and the vendors' authentication errors)."""
    f = _read(message_or_error)
    if f.status in (401, 403) or f.type in _AUTH_TYPES or _AUTH.search(f.text):
        return True
    from aiwire.errors import MissingCredentialsError

    if isinstance(message_or_error, MissingCredentialsError):
        return True
    return "auth" in _plugin_kinds(f)


def error_class(result: AssistantMessage | ImageResult) -> type[errors.ProviderError]:
    """The :class:`~aiwire.errors.ProviderError` subclass that a failed turn (or
    image generation) raises, from the same classification as the functions above."""
    if result.stop_reason == "aborted":
        return errors.AbortedError
    if isinstance(result, ImageResult):  # the text, status and type only
        result = AssistantMessage(
            content=[],
            api=result.api,
            provider=result.provider,
            model=result.model,
            stop_reason="error",
            error_message=result.error_message,
            error_status=result.error_status,
            error_type=result.error_type,
        )
    status = result.error_status
    kind = (result.error_type or "").lower()
    text = result.error_message or ""
    if is_context_overflow(result):
        return errors.ContextOverflowError
    if is_rate_limited(result):
        return errors.RateLimitError
    if is_auth_error(result):
        if status == 403 or kind in _PERMISSION_TYPES:
            return errors.PermissionDeniedError
        return errors.AuthenticationError
    if status == 408 or (status is None and _TIMEOUT.search(text)):
        return errors.ProviderTimeoutError
    if status == 404:
        return errors.NotFoundError
    if (status is not None and status >= 500) or kind in _SERVER_TYPES:
        return errors.ServerError
    if status in (400, 422):
        return errors.BadRequestError
    if status is None and _NETWORK.search(text):
        return errors.ProviderConnectionError
    return errors.ProviderError


def provider_error(result: AssistantMessage | ImageResult) -> errors.ProviderError:
    """The exception for a failed turn or image generation, of its class."""
    return error_class(result)(result)
