from __future__ import annotations

from typing import Any

import httpx
import pytest

import aiwire
from aiwire._plugins import registry as _plugins
from aiwire.classify import is_auth_error, is_context_overflow, is_rate_limited
from aiwire.errors import MissingCredentialsError, ProviderError
from aiwire.types import AssistantMessage, Usage


def failed(text: str, status: int | None = 400, type: str | None = None) -> AssistantMessage:
    return AssistantMessage(
        provider="p", model="m", stop_reason="error", error_message=text, error_status=status, error_type=type
    )


OVERFLOW = [
    "prompt is too long: 213462 tokens > 200000 maximum",
    "input length and `max_tokens` exceed context limit: 199000 + 8192 > 200000",
    "Your input exceeds the context window of this model. Please adjust your input and try again.",
    "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
    "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).",
    "This model's maximum prompt length is 131072 but the request contains 140000 tokens.",
    "Please reduce the length of the messages or completion.",
    "Input is too long for requested model.",
    "the request exceeds the available context size, try increasing it",
    "Trying to keep the first 9000 tokens when context the overflows. However, the model is loaded with context "
    "length of 4096. tokens to keep from the initial prompt is greater than the context length",
    "Prompt contains 40000 tokens and 0 draft tokens, too large for model with 32768 maximum context length",
]


@pytest.mark.parametrize("text", OVERFLOW)
def test_vendor_overflow_texts(text: str) -> None:
    assert is_context_overflow(failed(text))
    assert is_context_overflow(text)
    assert not is_rate_limited(failed(text)) and not is_auth_error(failed(text))


def test_overflow_by_type_status_and_silently() -> None:
    assert is_context_overflow(failed("whatever", type="context_length_exceeded"))
    assert is_context_overflow(failed("too big", status=413))
    assert is_context_overflow(failed("HTTP 400 with an empty body", status=400))
    ok = AssistantMessage(stop_reason="stop", usage=Usage(input=90_000, cache_read=20_000))
    assert is_context_overflow(ok, 100_000)
    assert not is_context_overflow(ok, 200_000) and not is_context_overflow(ok)
    assert not is_context_overflow(failed("overloaded", status=529))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (failed("slow down", status=429), True),
        (failed("Rate limit reached for gpt-4o in organization on tokens per min (TPM)", status=None), True),
        (failed("Resource has been exhausted (e.g. check quota).", type="RESOURCE_EXHAUSTED"), True),
        (failed("You exceeded your current quota, check billing", status=429, type="insufficient_quota"), False),
        (failed("Your credit balance is too low", status=400), False),
        (failed("bad request", status=400), False),
    ],
)
def test_rate_limits(value: Any, expected: bool) -> None:
    assert is_rate_limited(value) is expected


@pytest.mark.parametrize(
    "value",
    [
        failed("nope", status=401),
        failed("Incorrect API key provided: sk-...abcd", status=None),
        failed("API key not valid. Please pass a valid API key.", type="INVALID_ARGUMENT"),
        failed("invalid x-api-key", type="authentication_error"),
        MissingCredentialsError("no credentials for provider 'x'"),
    ],
)
def test_auth_errors(value: Any) -> None:
    assert is_auth_error(value)


def test_exceptions_and_provider_errors() -> None:
    msg = failed("prompt is too long: 1 > 0", status=400)
    assert is_context_overflow(ProviderError(msg))
    request = httpx.Request("POST", "http://x")
    exc = httpx.HTTPStatusError("429", request=request, response=httpx.Response(429, request=request))
    assert is_rate_limited(exc)
    assert not is_auth_error(ValueError("something else"))


def test_plugins_extend_the_classification() -> None:
    class Plugin:
        AIWIRE_PLUGIN_API = 2

        @aiwire.hookimpl
        def classify_error(self, message: AssistantMessage) -> str | None:
            return "context_overflow" if "acme: conversation full" in (message.error_message or "") else None

    msg = failed("acme: conversation full")
    assert not is_context_overflow(msg)
    aiwire.register_plugin(Plugin(), "acme-classify")
    try:
        assert is_context_overflow(msg)
        assert not is_rate_limited(msg)
    finally:
        aiwire.unregister_plugin("acme-classify")
    _plugins.reset()
