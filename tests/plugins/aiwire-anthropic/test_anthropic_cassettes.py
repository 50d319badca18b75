"""Replayed HTTP through the public API (aiwire.stream / complete and sync twins)."""

from __future__ import annotations

import copy
import json

import httpx
import pytest
from anthropic_helpers import replay

import aiwire
from aiwire import events as ev

MODEL = "anthropic/claude-sonnet-4-5"
KEY = {"api_key": "test-key"}
WEATHER = aiwire.Tool(
    name="get_weather",
    description="Weather for a place",
    parameters={"type": "object", "properties": {"location": {"type": "string"}, "unit": {"type": "string"}}},
)
TIME = aiwire.Tool(name="get_time", parameters={"type": "object", "properties": {"timezone": {"type": "string"}}})


async def _run(context: aiwire.Context | str, **options: object) -> tuple[list[ev.Event], aiwire.AssistantMessage]:
    s = aiwire.stream(MODEL, context, **{**KEY, **options})
    events = [e async for e in s]
    return events, await s


@replay("text")
async def test_text_stream() -> None:
    events, msg = await _run("Say hello")
    assert isinstance(events[0], ev.Start) and isinstance(events[-1], ev.Done)
    assert [e.delta for e in events if isinstance(e, ev.TextDelta)] == ["Hello", "! How can I", " help?"]
    assert msg.text == "Hello! How can I help?"
    assert msg.stop_reason == "stop" and msg.id == "msg_01DocumentedExample"
    assert msg.usage is not None and (msg.usage.input, msg.usage.output) == (12, 9)
    assert msg.usage.cost.total == pytest.approx((12 * 3 + 9 * 15) / 1e6)
    assert msg.provider_data == {"stop_reason": "end_turn"}


@replay("text")
def test_text_stream_sync() -> None:
    events = list(aiwire.stream_sync(MODEL, "Say hello", **KEY))
    final = events[-1]
    assert isinstance(final, ev.Done) and final.message.text == "Hello! How can I help?"


@replay("thinking_signature")
async def test_thinking_with_signature() -> None:
    events, msg = await _run("What is 27 * 453?", reasoning="medium")
    thinking = msg.content[0]
    assert isinstance(thinking, aiwire.ThinkingContent)
    assert thinking.thinking == "The user wants 27 * 453. That is 12231."
    assert thinking.signature and thinking.signature.startswith("EqQB")
    assert msg.text == "27 * 453 = 12,231."
    kinds = [type(e).__name__ for e in events]
    assert kinds[:5] == ["Start", "ThinkingStart", "ThinkingDelta", "ThinkingDelta", "ThinkingEnd"]


@replay("redacted_thinking")
async def test_redacted_thinking() -> None:
    events, msg = await _run("Tell me", reasoning="high")
    block = msg.content[0]
    assert isinstance(block, aiwire.ThinkingContent) and block.redacted
    assert block.signature == "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"
    assert any(isinstance(e, ev.ThinkingEnd) and e.redacted for e in events)
    assert msg.text.endswith("42.")


@replay("tool_use_streamed")
async def test_tool_use_streamed_arguments() -> None:
    ctx = aiwire.Context(messages=[aiwire.UserMessage(content="Weather in SF?")], tools=[WEATHER])
    s = aiwire.stream(MODEL, ctx, **KEY)
    deltas, seen = [], []
    async for e in s:
        if isinstance(e, ev.ToolCallDelta):
            deltas.append(e)
            seen.append(copy.deepcopy(e.arguments))  # a live view: snapshot it on arrival
    msg = await s
    assert [d.delta for d in deltas] == ['{"locat', 'ion": "San Fr', 'ancisco, CA"', ', "unit": "c"}']
    # Best effort: each view is a consistent prefix of the final arguments (a view
    # may already include fragments that arrived in the same network read).
    assert all("San Francisco, CA".startswith(v.get("location", "")) for v in seen)
    assert seen[-1] == {"location": "San Francisco, CA", "unit": "c"}
    assert msg.stop_reason == "tool_use"
    (call,) = msg.tool_calls
    assert (call.id, call.name, call.arguments) == (
        "toolu_01DocWeather",
        "get_weather",
        {"location": "San Francisco, CA", "unit": "c"},
    )


@replay("parallel_tools")
async def test_parallel_tool_calls() -> None:
    ctx = aiwire.Context(messages=[aiwire.UserMessage(content="Paris weather and Tokyo time")], tools=[WEATHER, TIME])
    _, msg = await _run(ctx, tool_choice="auto")
    assert [(c.name, c.arguments) for c in msg.tool_calls] == [
        ("get_weather", {"location": "Paris"}),
        ("get_time", {"timezone": "Asia/Tokyo"}),
    ]


@replay("image_input")
def test_image_input_is_sent_as_base64() -> None:
    sent: list[aiwire.Request] = []
    image = aiwire.ImageContent(data="iVBORw0KGgo=", mime_type="image/png")
    ctx = aiwire.Context(messages=[aiwire.UserMessage(content=[aiwire.TextContent(text="What is this?"), image])])
    msg = aiwire.stream_sync(MODEL, ctx, on_payload=lambda m, r: sent.append(r), **KEY).result()
    assert msg.text == "A red square."
    blocks = sent[0].json["messages"][0]["content"]
    assert blocks[1]["source"] == {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}


@replay("cache_usage")
async def test_cache_usage_and_one_hour_cost() -> None:
    _, msg = await _run("Hi again", cache_retention="long")
    u = msg.usage
    assert u is not None
    assert (u.input, u.output, u.cache_read, u.cache_write) == (5, 4, 1200, 2400)
    assert u.total == 5 + 4 + 1200 + 2400
    assert msg.provider_data is not None
    assert msg.provider_data["cache_creation"]["ephemeral_1h_input_tokens"] == 2000
    # 400 five-minute writes at $3.75/M, 2000 one-hour writes at twice the $3/M input price.
    assert u.cost.cache_write == pytest.approx((400 * 3.75 + 2000 * 6) / 1e6)
    assert u.cost.total == pytest.approx(u.cost.input + u.cost.output + u.cost.cache_read + u.cost.cache_write)


@replay("max_tokens")
async def test_max_tokens_is_length() -> None:
    events, msg = await _run("Tell a story", max_tokens=8)
    assert msg.stop_reason == "length" and isinstance(events[-1], ev.Done) and events[-1].reason == "length"
    assert msg.text == "Once upon a time, there was"


@replay("overloaded_midstream")
async def test_error_event_mid_stream_keeps_partial() -> None:
    events, msg = await _run("Hello")
    assert isinstance(events[-1], ev.Error)
    assert msg.stop_reason == "error"
    assert (msg.error_type, msg.error_status, msg.error_message) == ("overloaded_error", 529, "Overloaded")
    assert msg.text == "Partial ans"
    assert msg.usage is not None and msg.usage.input == 25


@pytest.mark.vcr
@pytest.mark.parametrize(
    ("cassette", "status", "kind", "words"),
    [
        ("error_400", 400, "invalid_request_error", "must be non-empty"),
        ("error_401", 401, "authentication_error", "check the api_key option"),  # the key's source, from the core
        ("error_403", 403, "permission_error", "permission"),
        ("error_404", 404, "not_found_error", "claude-sonet-4-5"),
        ("error_413", 413, "request_too_large", "too large"),
        ("error_429", 429, "rate_limit_error", "rate limit"),
        ("error_500", 500, "api_error", "Internal server error"),
        ("error_529", 529, "overloaded_error", "overloaded"),
    ],
)
async def test_http_errors_are_typed_and_readable(cassette: str, status: int, kind: str, words: str) -> None:
    events, msg = await _run("Hello", max_retries=0)
    assert [type(e) for e in events] == [ev.Start, ev.Error]
    assert (msg.stop_reason, msg.error_status, msg.error_type) == ("error", status, kind)
    assert msg.error_message is not None and words.lower() in msg.error_message.lower()
    assert "req_011Documented" in msg.error_message
    with pytest.raises(aiwire.errors.ProviderError) as info:
        msg.raise_for_error()
    assert info.value.status == status and "test-key" not in str(info.value)


@pytest.mark.vcr
@pytest.mark.parametrize("cassette", ["error_529"])
def test_http_error_from_complete_sync(cassette: str) -> None:
    msg = aiwire.complete_sync(MODEL, "Hello", max_retries=0, **KEY)
    assert (msg.stop_reason, msg.error_status) == ("error", 529)


@replay("retry_529_then_ok")
async def test_overloaded_is_retried() -> None:
    retries: list[tuple[int, float, str]] = []
    _, msg = await _run("Hello", on_retry=lambda a, d, r: retries.append((a, d, r)))
    assert msg.text == "Back again."
    assert retries == [(1, 0.0, "HTTP 529")]


@replay("complete")
async def test_complete_decodes_the_whole_response() -> None:
    sent: list[aiwire.Request] = []
    ctx = aiwire.Context(messages=[aiwire.UserMessage(content="Hi")], tools=[TIME])
    msg = await aiwire.complete(MODEL, ctx, on_payload=lambda m, r: sent.append(r), **KEY)
    assert "stream" not in sent[0].json
    assert [type(b).__name__ for b in msg.content] == ["ThinkingContent", "TextContent", "ToolCall"]
    assert msg.tool_calls[0].arguments == {"timezone": "UTC"}
    assert msg.stop_reason == "tool_use" and msg.id == "msg_01DocComplete"
    assert msg.usage is not None and (msg.usage.input, msg.usage.output, msg.usage.cache_read) == (50, 30, 10)


@replay("text")
def test_request_on_the_wire() -> None:
    # The request as httpx sends it, seen through the user's own client's event hooks.
    seen: list[httpx.Request] = []
    with (
        httpx.Client(event_hooks={"request": [seen.append]}) as http,
        aiwire.Client(http_client=http) as client,
    ):
        client.stream(MODEL, "Say hello", **KEY).result()
    (request,) = seen
    assert str(request.url) == "https://api.anthropic.com/v1/messages"
    assert request.headers["x-api-key"] == "test-key"
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in request.headers
    body = json.loads(request.content)
    assert body["model"] == "claude-sonnet-4-5" and body["stream"] is True and body["max_tokens"] == 32000
