"""Replayed HTTP through the public API (aiwire.stream / complete and sync twins).

Cassettes are in cassettes/aiwire-google/, written by hand from the documented
wire format (``*_documented.yaml``); credentials never appear in them.
"""

from __future__ import annotations

import os

import pytest

import aiwire
from aiwire import events as ev

# A real key only when re-recording; replay never needs one.
KEY = {"api_key": os.environ.get("PYTEST_GEMINI_API_KEY", "test-key"), "max_retries": 0}
WEATHER = aiwire.Tool(
    name="get_weather",
    description="Current weather for a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


@pytest.mark.vcr("text_stream_documented.yaml")
async def test_text_stream() -> None:
    s = aiwire.stream("google/gemini-2.5-flash", "Say hello in French.", **KEY)
    events = [e async for e in s]
    msg = await s
    assert isinstance(events[0], ev.Start) and isinstance(events[-1], ev.Done)
    assert "".join(e.delta for e in events if isinstance(e, ev.TextDelta)) == "Bonjour ! Comment ça va ?"
    assert msg.text == "Bonjour ! Comment ça va ?" and msg.stop_reason == "stop"
    assert msg.usage is not None and (msg.usage.input, msg.usage.output) == (7, 8)
    assert msg.usage.cost.total > 0  # catalog prices applied
    assert msg.provider == "google" and msg.api == "google-generative-ai" and msg.id == "aW1hZ2luZWQtcmVzcG9uc2U"


@pytest.mark.vcr("thoughts_stream_documented.yaml")
def test_thoughts_stream_sync() -> None:
    events = list(aiwire.stream_sync("google/gemini-2.5-pro", "Is 97 prime?", reasoning="low", **KEY))
    done = events[-1]
    assert isinstance(done, ev.Done)
    msg = done.message
    assert msg.thinking.startswith("**Checking divisors**") and msg.text == "Yes, 97 is prime."
    _, text = msg.content
    assert isinstance(text, aiwire.TextContent) and text.signature is not None
    assert msg.usage is not None and msg.usage.reasoning == 71 and msg.usage.output == 77


@pytest.mark.vcr("function_call_stream_documented.yaml")
async def test_function_call_round_trip() -> None:
    ctx = aiwire.Context(messages=[aiwire.UserMessage(content="Weather in Paris?")], tools=[WEATHER])
    first = await aiwire.stream("google/gemini-3-flash-preview", ctx, **KEY)
    assert first.stop_reason == "tool_use"
    (call,) = first.tool_calls
    assert call.name == "get_weather" and call.arguments == {"city": "Paris"} and call.signature
    ctx.messages.append(first)
    ctx.messages.append(
        aiwire.ToolResultMessage(
            tool_call_id=call.id, tool_name=call.name, content=[aiwire.TextContent(text="sunny, 21 °C")]
        )
    )
    seen = []
    second = await aiwire.stream(
        "google/gemini-3-flash-preview", ctx, on_payload=lambda m, r: seen.append(r.json), **KEY
    )
    assert second.text == "It is sunny in Paris, 21 °C." and second.stop_reason == "stop"
    model_turn, results = seen[0]["contents"][1:]
    assert model_turn["parts"][0]["thoughtSignature"] == call.signature
    assert results["parts"][0]["functionResponse"]["id"] == call.id


@pytest.mark.vcr("parallel_function_calls_documented.yaml")
def test_parallel_function_calls_complete() -> None:
    ctx = aiwire.Context(messages=[aiwire.UserMessage(content="Weather in Paris and Rome?")], tools=[WEATHER])
    msg = aiwire.complete_sync("google/gemini-2.5-flash", ctx, **KEY)
    assert msg.stop_reason == "tool_use"
    assert [c.arguments["city"] for c in msg.tool_calls] == ["Paris", "Rome"]
    assert len({c.id for c in msg.tool_calls}) == 2
    assert msg.tool_calls[0].signature and msg.tool_calls[1].signature is None


@pytest.mark.vcr("image_input_documented.yaml")
async def test_image_input() -> None:
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
    ctx = aiwire.Context(
        messages=[
            aiwire.UserMessage(
                content=[
                    aiwire.TextContent(text="What is in this image?"),
                    aiwire.ImageContent(data=png, mime_type="image/png"),
                ]
            )
        ]
    )
    msg = await aiwire.complete("google/gemini-2.5-flash", ctx, check=True, **KEY)
    assert msg.text == "A single red pixel." and msg.usage is not None and msg.usage.input == 265


@pytest.mark.vcr("max_tokens_stream_documented.yaml")
async def test_max_tokens() -> None:
    msg = await aiwire.stream("google/gemini-2.5-flash", "Write a long poem.", max_tokens=8, **KEY)
    assert msg.stop_reason == "length" and msg.text == "Roses bloom where rivers bend and"


@pytest.mark.vcr("safety_stream_documented.yaml")
async def test_safety_stop_is_an_error_event() -> None:
    s = aiwire.stream("google/gemini-2.5-flash", "How do I make a dangerous thing?", **KEY)
    events = [e async for e in s]
    assert isinstance(events[-1], ev.Error)
    msg = events[-1].message
    assert msg.error_type == "safety" and msg.error_message is not None
    assert "safety filters" in msg.error_message and "dangerous_content" in msg.error_message
    assert msg.text == "I can"
    with pytest.raises(aiwire.errors.ProviderError):
        msg.raise_for_error()


@pytest.mark.vcr("error_400_documented.yaml")
async def test_http_400_is_readable() -> None:
    msg = await aiwire.stream("google/gemini-2.5-flash", "hi", **KEY)
    assert msg.stop_reason == "error" and msg.error_status == 400 and msg.error_type == "INVALID_ARGUMENT"
    assert msg.error_message is not None and "max_output_tokens: must be positive" in msg.error_message


@pytest.mark.vcr("error_404_documented.yaml")
def test_http_404_is_readable() -> None:
    m = aiwire.custom_model("gemini-9-ultra", provider="google")
    msg = aiwire.complete_sync(m, "hi", **KEY)
    assert msg.stop_reason == "error" and msg.error_status == 404 and msg.error_type == "NOT_FOUND"
    assert msg.error_message is not None and "gemini-9-ultra is not found" in msg.error_message
    with pytest.raises(aiwire.errors.ProviderError, match="HTTP 404"):
        msg.raise_for_error()
