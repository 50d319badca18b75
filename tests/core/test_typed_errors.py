"""ProviderError subclasses: raised by check=True and raise_for_error, returned
by message.exception() and event.exception(), following aiwire.classify."""

from __future__ import annotations

import asyncio
import builtins

import pytest

import aiwire
from aiwire import events as ev
from aiwire._demo.faux import FauxReply
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
from aiwire.testing import FauxProvider, error, text

NO_RETRY = {"max_retries": 0}


@pytest.mark.parametrize(
    ("status", "message", "error_type", "cls"),
    [
        (429, "Rate limit reached for requests", "rate_limit_error", RateLimitError),
        (401, "invalid x-api-key", "authentication_error", AuthenticationError),
        (403, "this key may not use the model", "permission_error", PermissionDeniedError),
        (400, "prompt is too long: 210000 tokens > 200000 maximum", "invalid_request_error", ContextOverflowError),
        (413, "request too large", None, ContextOverflowError),
        (400, "temperature: must be <= 2", "invalid_request_error", BadRequestError),
        (404, "model not found", "not_found_error", NotFoundError),
        (500, "internal error", "api_error", ServerError),
        (529, "Overloaded", "overloaded_error", ServerError),
        (429, "You exceeded your current quota, check your billing", "insufficient_quota", ProviderError),
    ],
)
def test_check_true_raises_the_class_of_the_failure(
    faux: FauxProvider, status: int, message: str, error_type: str | None, cls: type[ProviderError]
) -> None:
    faux.reply(error(message, status=status, error_type=error_type))
    with pytest.raises(cls) as info:
        aiwire.complete_sync(faux.model, "hi", check=True, **NO_RETRY)
    assert type(info.value) is cls
    assert info.value.message.stop_reason == "error"
    assert info.value.status == status


async def test_in_stream_errors_and_event_exception(faux: FauxProvider) -> None:
    faux.reply(error("Rate limit exceeded: tokens per min", error_type="rate_limit_error"))
    events = [e async for e in aiwire.stream(faux.model, "hi")]
    last = events[-1]
    assert isinstance(last, ev.Error)
    exc = last.exception()
    assert isinstance(exc, RateLimitError) and exc.message is last.message
    assert isinstance(last.message.exception(), RateLimitError)


def test_a_successful_message_has_no_exception(faux: FauxProvider) -> None:
    faux.reply(text("fine"))
    msg = aiwire.complete_sync(faux.model, "hi", check=True)
    assert msg.exception() is None
    assert msg.raise_for_error() is msg


def test_a_stall_is_a_timeout_error() -> None:
    # The engine's wording for a stall (tests/core/test_client.py drives a real one).
    msg = aiwire.AssistantMessage(
        content=[],
        api="faux",
        provider="faux",
        model="m",
        stop_reason="error",
        error_message="the stream stalled: no event from faux for 0.5 s (idle_timeout; keep-alive pings do not count)",
    )
    exc = msg.exception()
    assert isinstance(exc, ProviderTimeoutError) and isinstance(exc, builtins.TimeoutError)


def test_a_refused_connection_is_a_connection_error() -> None:
    model = aiwire.custom_model("m", provider="vllm", base_url="http://127.0.0.1:9/v1")
    with pytest.raises(ProviderConnectionError) as info:
        aiwire.complete_sync(model, "hi", check=True, **NO_RETRY)
    assert isinstance(info.value, builtins.ConnectionError)


async def test_an_aborted_call_is_an_aborted_error(faux: FauxProvider) -> None:
    faux.reply(FauxReply(content=[aiwire.TextContent(text="a long answer " * 20)], byte_chunk=16, delay=0.05))
    stream = aiwire.stream(faux.model, "hi")
    async for event in stream:
        if event.type == "text_delta":
            stream.abort()
    msg = await stream.result()
    assert isinstance(msg.exception(), AbortedError)
    with pytest.raises(AbortedError):
        msg.raise_for_error()


def test_image_results_carry_typed_errors_too() -> None:
    result = aiwire.ImageResult(
        api="x", provider="p", model="m", stop_reason="error", error_message="slow down", error_status=429
    )
    assert isinstance(result.exception(), RateLimitError)
    with pytest.raises(RateLimitError):
        result.raise_for_error()


def test_exported_from_aiwire() -> None:
    for name in ("RateLimitError", "AuthenticationError", "ContextOverflowError", "ServerError", "ProviderError"):
        assert getattr(aiwire, name) is getattr(aiwire.errors, name)
        assert name in aiwire.__all__


def test_extract_raises_the_typed_error(faux: FauxProvider) -> None:
    faux.reply(error("invalid x-api-key", status=401))
    with pytest.raises(AuthenticationError):
        asyncio.run(aiwire.extract(faux.model, "q", {"type": "object"}, **NO_RETRY))
