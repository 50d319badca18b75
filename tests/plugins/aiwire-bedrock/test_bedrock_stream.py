"""ConverseStream failures: exception frames inside a 200 stream, broken
frames, unknown events and failing stop reasons each end the turn with one
error event that keeps the content so far; HTTP errors are classified."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from bedrock_helpers import event, exception

import aiwire
from aiwire import events as ev
from aiwire.testing.contract import check_stream, decode

MODEL = aiwire.custom_model(
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0", api="bedrock-converse", base_url="http://x.invalid"
)
START = event("messageStart", {"role": "assistant"}) + event(
    "contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Partial"}}
)


def run(body: bytes) -> aiwire.AssistantMessage:
    events = decode(MODEL, [body])
    msg = check_stream(events)
    assert sum(isinstance(e, ev.Error) for e in events) == 1
    return msg


def at_every_split(body: bytes) -> aiwire.AssistantMessage:
    whole = run(body)
    for i in range(len(body) + 1):
        msg = check_stream(decode(MODEL, [body[:i], body[i:]]))
        assert (msg.content, msg.error_message, msg.error_type) == (
            whole.content,
            whole.error_message,
            whole.error_type,
        )
    return whole


@pytest.mark.parametrize(
    ("kind", "error_type", "check"),
    [
        ("throttlingException", "ThrottlingException", aiwire.is_rate_limited),
        ("modelStreamErrorException", "ModelStreamErrorException", None),
        ("validationException", "ValidationException", None),
        ("serviceUnavailableException", "ServiceUnavailableException", None),
        ("internalServerException", "InternalServerException", None),
    ],
)
def test_an_exception_frame_is_one_error_with_the_partial_text(kind: str, error_type: str, check: Any) -> None:
    msg = at_every_split(START + exception(kind, "Too many tokens, please wait before trying again."))
    assert msg.stop_reason == "error" and msg.error_type == error_type
    assert msg.text == "Partial"
    assert "Too many tokens, please wait before trying again." in str(msg.error_message)
    assert error_type in str(msg.error_message)
    if check is not None:
        assert check(msg)


def test_an_overflow_in_the_stream_is_a_context_overflow() -> None:
    msg = run(START + exception("validationException", "Input is too long for requested model."))
    assert aiwire.is_context_overflow(msg) and not aiwire.is_rate_limited(msg)


def corrupt(body: bytes, at: int) -> bytes:
    return body[:at] + bytes([body[at] ^ 0x40]) + body[at + 1 :]


REST = event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": " lost"}}) + event(
    "messageStop", {"stopReason": "end_turn"}
)


@pytest.mark.parametrize(
    ("body", "wording"),
    [
        (START + corrupt(REST, 30), "message CRC32 mismatch"),
        (START + corrupt(REST, 9), "prelude CRC32 mismatch"),
        (START + REST[:50], "ended inside frame 3"),
        (START + event("contentBlockGlitter", {"x": 1}), "unknown ConverseStream event 'contentBlockGlitter'"),
    ],
    ids=["bad-message-crc", "bad-prelude-crc", "truncated", "unknown-event"],
)
def test_a_broken_stream_is_one_error_naming_it_with_the_partial_text(body: bytes, wording: str) -> None:
    msg = at_every_split(body)
    assert msg.stop_reason == "error" and msg.text == "Partial"
    assert wording in str(msg.error_message)


@pytest.mark.parametrize(
    ("stop", "reason"),
    [
        ("max_tokens", "length"),
        ("stop_sequence", "stop"),
        ("guardrail_intervened", "error"),
        ("content_filtered", "error"),
    ],
)
def test_stop_reasons(stop: str, reason: str) -> None:
    body = (
        START
        + event("messageStop", {"stopReason": stop})
        + event("metadata", {"usage": {"inputTokens": 1, "outputTokens": 2}})
    )
    events = decode(MODEL, [body])
    msg = check_stream(events)
    assert msg.stop_reason == reason and msg.text == "Partial"
    if reason == "error":
        assert msg.error_type == stop and stop in str(msg.error_message)
    assert msg.usage is not None and (msg.usage.input, msg.usage.output) == (1, 2)


def test_the_context_window_stop_reason_is_an_overflow() -> None:
    msg = check_stream(decode(MODEL, [START + event("messageStop", {"stopReason": "model_context_window_exceeded"})]))
    assert msg.stop_reason == "error" and aiwire.is_context_overflow(msg)


def test_a_stream_without_metadata_still_ends_with_its_stop_reason() -> None:
    msg = check_stream(decode(MODEL, [START + event("messageStop", {"stopReason": "end_turn"})]))
    assert msg.stop_reason == "stop" and msg.usage is None


def test_streamed_tool_arguments_and_reasoning_signature() -> None:
    body = (
        event("messageStart", {"role": "assistant"})
        + event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"reasoningContent": {"text": "Think"}}})
        + event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"reasoningContent": {"signature": "sig=="}}})
        + event("contentBlockStop", {"contentBlockIndex": 0})
        + event("contentBlockStart", {"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "t1", "name": "add"}}})
        + event("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": '{"a": 1'}}})
        + event("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": ', "b": 2}'}}})
        + event("contentBlockStop", {"contentBlockIndex": 1})
        + event("messageStop", {"stopReason": "tool_use"})
        + event(
            "metadata",
            {"usage": {"inputTokens": 5, "outputTokens": 7, "cacheReadInputTokens": 100, "cacheWriteInputTokens": 20}},
        )
    )
    events = decode(MODEL, [body])
    msg = check_stream(events)
    deltas = [e for e in events if isinstance(e, ev.ToolCallDelta)]
    assert [d.delta for d in deltas] == ['{"a": 1', ', "b": 2}'] and deltas[-1].arguments == {"a": 1, "b": 2}
    thinking, call = msg.content
    assert isinstance(thinking, aiwire.ThinkingContent) and (thinking.thinking, thinking.signature) == (
        "Think",
        "sig==",
    )
    assert isinstance(call, aiwire.ToolCall) and call.arguments == {"a": 1, "b": 2}
    assert msg.stop_reason == "tool_use"
    assert msg.usage is not None and (msg.usage.cache_read, msg.usage.cache_write, msg.usage.total) == (100, 20, 132)


@pytest.mark.parametrize(
    ("status", "headers", "body", "kind", "check"),
    [
        (
            429,
            {"x-amzn-errortype": "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"},
            {"message": "Too many requests, please wait before trying again."},
            "ThrottlingException",
            aiwire.is_rate_limited,
        ),
        (
            400,
            {"x-amzn-errortype": "ValidationException"},
            {"message": "Input is too long for requested model."},
            "ValidationException",
            aiwire.is_context_overflow,
        ),
        (
            403,
            {},
            {"message": "You don't have access to the model with the specified model ID."},
            "AccessDeniedException",
            aiwire.is_auth_error,
        ),
        (400, {}, {"message": "The provided model identifier is invalid."}, "ValidationException", None),
    ],
)
def test_http_errors_are_classified(
    status: int, headers: dict[str, str], body: dict[str, str], kind: str, check: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, headers=headers, json=body))
    model = aiwire.custom_model("amazon.nova-micro-v1:0", provider="amazon-bedrock")
    msg = aiwire.complete_sync(model, "Hi", api_key="k", transport=transport, max_retries=0)
    assert msg.stop_reason == "error" and msg.error_status == status and msg.error_type == kind
    assert body["message"] in str(msg.error_message)
    if check is not None:
        assert check(msg)
    assert json.loads(json.dumps(msg.error_message))  # plain text, no bytes
