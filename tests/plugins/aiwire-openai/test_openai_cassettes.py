"""Replayed traffic through the public API (``aiwire.stream``/``complete`` and
their sync twins), one cassette per api and per quirk. The cassettes are
hand-written from documented wire formats (see each file's ``# origin``)."""

from __future__ import annotations

from typing import Any

import aiwire
import pytest
from aiwire import events as ev
from aiwire.types import Context, ProviderContent, ThinkingContent, Tool, UserMessage

pytestmark = pytest.mark.vcr

WEATHER = Tool(name="get_weather", parameters={"type": "object", "properties": {"city": {"type": "string"}}})


def capture() -> tuple[list[Any], Any]:
    seen: list[Any] = []

    def on_payload(model: aiwire.Model, request: Any) -> None:
        seen.append(request)

    return seen, on_payload


@pytest.mark.vcr("openai_chat_parallel_tools_documented.yaml")
async def test_openai_chat_completions_on_request() -> None:
    model = aiwire.custom_model("gpt-4o", provider="openai", api="openai-completions", input=("text", "image"))
    seen, hook = capture()
    ctx = Context(messages=[UserMessage(content="Weather in Paris and Tokyo?")], tools=[WEATHER])
    s = aiwire.stream(model, ctx, api_key="test-key", on_payload=hook)
    events = [e async for e in s]
    msg = await s
    assert msg.stop_reason == "tool_use"
    assert [(c.id, c.arguments) for c in msg.tool_calls] == [
        ("call_paris", {"city": "Paris"}),
        ("call_tokyo", {"city": "Tokyo"}),
    ]
    assert msg.usage is not None and (msg.usage.input, msg.usage.cache_read, msg.usage.output) == (16, 64, 30)
    assert sum(isinstance(e, ev.ToolCallDelta) for e in events) == 3
    body = seen[0].json
    assert body["stream_options"] == {"include_usage": True} and body["store"] is False
    assert seen[0].headers["authorization"] == "Bearer test-key"


@pytest.mark.vcr("openai_responses_reasoning_documented.yaml")
def test_openai_responses_default_sync() -> None:
    model = aiwire.custom_model("gpt-5", provider="openai", reasoning=True)
    assert model.api == "openai-responses"
    events = list(aiwire.stream_sync(model, "Capital of France?", api_key="test-key", reasoning="low"))
    assert isinstance(events[-1], ev.Done)
    msg = events[-1].message
    assert msg.text == "Paris." and msg.thinking == "**Answering** The capital of France is Paris."
    assert isinstance(msg.content[0], ThinkingContent) and "gAAAA-doc-encrypted" in (msg.content[0].signature or "")
    assert msg.usage is not None and (msg.usage.input, msg.usage.cache_read, msg.usage.reasoning) == (20, 10, 40)


@pytest.mark.vcr("openai_responses_incomplete_documented.yaml")
def test_responses_incomplete_is_length() -> None:
    msg = _stream_final("gpt-5")
    assert msg.stop_reason == "length" and msg.text == "Once upon a"


def _stream_final(model_id: str) -> aiwire.AssistantMessage:
    s = aiwire.stream_sync(aiwire.custom_model(model_id, provider="openai"), "story", api_key="test-key", max_tokens=3)
    for _ in s:
        pass
    msg = s.message
    assert msg is not None
    return msg


@pytest.mark.vcr("ollama_chat_documented.yaml")
async def test_ollama_local_model_without_key_or_catalog() -> None:
    seen, hook = capture()
    s = aiwire.stream("ollama/llama3.1", "hello", on_payload=hook)
    msg = await s
    assert msg.text == "Hello there!" and msg.thinking == "Simple greeting."
    assert msg.usage is None  # the host sent none: no fake zeros
    assert "authorization" not in seen[0].headers and seen[0].json["model"] == "llama3.1"


@pytest.mark.vcr("openrouter_reasoning_details_documented.yaml")
async def test_openrouter_comments_reasoning_details_and_cost() -> None:
    model = aiwire.custom_model("anthropic/claude-sonnet-4.5", provider="openrouter", reasoning=True)
    seen, hook = capture()
    msg = await aiwire.stream(model, "2+2?", api_key="test-key", reasoning="high", on_payload=hook)
    assert msg.text == "4" and msg.thinking == "Two plus two is four."
    details = next(b for b in msg.content if isinstance(b, ProviderContent)).data["details"]
    assert details == [
        {
            "type": "reasoning.text",
            "text": "Two plus two is four.",
            "format": "anthropic-claude-v1",
            "index": 0,
            "signature": "sig-doc",
        }
    ]
    assert msg.usage is not None and msg.usage.cost.total == 0.00042
    assert seen[0].json["reasoning"] == {"effort": "high"}


@pytest.mark.vcr("groq_stream_error_documented.yaml")
async def test_groq_in_stream_error_event() -> None:
    model = aiwire.custom_model("openai/gpt-oss-120b", provider="groq", reasoning=True)
    events = [e async for e in aiwire.stream(model, "call it", api_key="test-key")]
    assert isinstance(events[-1], ev.Error)
    msg = events[-1].message
    assert msg.stop_reason == "error" and msg.error_type == "invalid_request_error"
    assert msg.error_message is not None and msg.error_message.startswith("Tool call validation failed")
    assert msg.thinking == "Call the tool"


@pytest.mark.vcr("mistral_typed_chunks_documented.yaml")
def test_mistral_typed_chunks() -> None:
    msg = _sync_final(aiwire.custom_model("magistral-medium-latest", provider="mistral", reasoning=True))
    assert msg.thinking == "Look both ways." and msg.text == "Use the crossing."
    assert msg.usage is not None and msg.usage.output == 12


@pytest.mark.vcr("deepseek_complete_documented.yaml")
async def test_deepseek_complete_non_streamed() -> None:
    model = aiwire.custom_model("deepseek-reasoner", provider="deepseek", reasoning=True)
    ctx = Context(messages=[UserMessage(content="roll")], tools=[Tool(name="roll")])
    msg = await aiwire.complete(model, ctx, api_key="test-key")
    assert msg.stop_reason == "tool_use" and msg.text == "Rolling." and msg.thinking == "I should roll the die."
    assert msg.tool_calls[0].id == "call_00_doc"
    assert msg.usage is not None and (msg.usage.input, msg.usage.cache_read, msg.usage.reasoning) == (36, 64, 8)


@pytest.mark.vcr("azure_responses_documented.yaml")
def test_azure_deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_RESOURCE_NAME", "docres")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "az-test-key")
    seen, hook = capture()
    model = aiwire.custom_model("gpt-4.1", provider="azure", compat={"deployment": "team-gpt41"})
    msg = _sync_final(model, on_payload=hook, api_key=None)  # the key comes from $AZURE_OPENAI_API_KEY
    assert msg.text == "Hi from Azure"
    assert seen[0].headers["api-key"] == "az-test-key" and seen[0].json["model"] == "team-gpt41"


@pytest.mark.vcr("openai_rate_limited_documented.yaml")
def test_http_error_body_is_readable() -> None:
    model = aiwire.custom_model("gpt-4o", provider="openai", api="openai-completions")
    msg = _sync_final(model, max_retries=0)
    assert msg.stop_reason == "error" and msg.error_status == 429
    assert msg.error_message == "Rate limit reached for gpt-4o" and msg.error_type == "requests"


def _sync_final(model: aiwire.Model, **opts: Any) -> aiwire.AssistantMessage:
    s = aiwire.stream_sync(model, "hi", api_key=opts.pop("api_key", "test-key"), **opts)
    for _ in s:
        pass
    assert s.message is not None
    return s.message
