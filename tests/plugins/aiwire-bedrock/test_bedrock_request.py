"""The Converse request body: each model family's reasoning switch, cache
points, images, tool calls and results, reasoning replay, the request rules
and native structured output, checked against what the recorded requests in
the conformance set sent where they cover the same ground."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx
import pytest
from bedrock_helpers import CONVERSE, event, load

import aiwire
from aiwire.plugin import Credentials, Options
from aiwire.types import (
    AssistantMessage,
    Context,
    ImageContent,
    TextContent,
    ThinkingContent,
    Tool,
    ToolCall,
    ToolResultMessage,
    UserMessage,
)
from aiwire_bedrock.codec import BedrockCodec
from aiwire_bedrock.rules import RULES

CODEC = BedrockCodec()
KEY = Credentials("k")
WEATHER = Tool(
    name="weather", description="Weather", parameters={"type": "object", "properties": {"city": {"type": "string"}}}
)
PNG = "iVBORw0KGgo="


def model(mid: str) -> aiwire.Model:
    return aiwire.get_model("amazon-bedrock", mid)


def body(m: aiwire.Model, context: Context, stream: bool = True, **options: Any) -> dict[str, Any]:
    request = CODEC.build_request(m, context, Options(**options), KEY, stream=stream)
    assert request.headers["authorization"] == "Bearer k"
    result: dict[str, Any] = request.json
    return result


def recorded(name: str) -> dict[str, Any]:
    path = CONVERSE / f"{name}.json"
    if not path.exists():
        pytest.skip(f"no conformance recording {name}")
    body: dict[str, Any] = load(path)["request"]["body"]
    return body


HELLO = Context(messages=[UserMessage(content="Hello")])


def test_urls_encode_the_model_id_and_pick_the_operation() -> None:
    m = aiwire.custom_model("us.amazon.nova-micro-v1:0", provider="amazon-bedrock")
    assert CODEC.build_request(m, HELLO, Options(), KEY).url == (
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.amazon.nova-micro-v1%3A0/converse-stream"
    )
    assert CODEC.build_request(m, HELLO, Options(), KEY, stream=False).url.endswith("nova-micro-v1%3A0/converse")
    arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123"
    custom = aiwire.custom_model(arn, provider="amazon-bedrock")
    assert "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fabc123/" in (
        CODEC.build_request(custom, HELLO, Options(), KEY).url
    )


@pytest.mark.parametrize(
    ("mid", "level", "recording", "expected"),
    [
        (
            "us.anthropic.claude-sonnet-4-6",
            "high",
            "test_bedrock__test_bedrock_model_thinking_part_anthropic_adaptive_effort__i00",
            {"thinking": {"type": "adaptive"}, "output_config": {"effort": "high"}},
        ),
        (
            "openai.gpt-oss-120b-1:0",
            "high",
            "test_bedrock__test_bedrock_thinking_high_openai_variant",
            {"reasoning_effort": "high"},
        ),
        (
            "qwen.qwen3-32b-v1:0",
            "high",
            "test_bedrock__test_bedrock_thinking_high_qwen_variant__i00",
            {"reasoning_config": "high"},
        ),
    ],
)
def test_each_family_gets_its_reasoning_switch(mid: str, level: str, recording: str, expected: dict[str, Any]) -> None:
    sent = recorded(recording)["additionalModelRequestFields"]
    assert sent == expected
    assert body(model(mid), HELLO, reasoning=level)["additionalModelRequestFields"] == expected


def test_claude_budget_thinking_raises_max_tokens_and_drops_sampling(caplog: pytest.LogCaptureFixture) -> None:
    m = model("us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    with caplog.at_level(logging.INFO, logger="aiwire"):
        b = body(m, HELLO, reasoning="medium", temperature=0.2)
    assert b["additionalModelRequestFields"] == {"thinking": {"type": "enabled", "budget_tokens": 8192}}
    assert b["inferenceConfig"] == {"maxTokens": 32000 + 8192}
    assert "bedrock.thinking-sampling" in caplog.text
    forced = body(m, Context(messages=HELLO.messages, tools=[WEATHER]), reasoning="high", tool_choice="weather")
    assert "additionalModelRequestFields" not in forced
    assert forced["toolConfig"]["toolChoice"] == {"tool": {"name": "weather"}}


def test_models_without_a_switch_get_none() -> None:
    assert "additionalModelRequestFields" not in body(model("meta.llama3-3-70b-instruct-v1:0"), HELLO, reasoning="high")


def test_cache_points_follow_the_recorded_shape_for_models_that_cache() -> None:
    rec = recorded("test_bedrock__test_bedrock_cache_point_adds_cache_control_claude-sonnet-4-5")
    m = model("us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    ctx = Context(system_prompt="Be brief.", messages=[UserMessage(content="Hello")], tools=[WEATHER])
    b = body(m, ctx)
    assert b["system"] == [{"text": "Be brief."}, {"cachePoint": {"type": "default"}}]
    assert b["messages"][-1]["content"][-1] == {"cachePoint": {"type": "default"}}
    assert b["toolConfig"]["tools"][-1] == {"cachePoint": {"type": "default"}}
    recorded_points = [c for msg in rec["messages"] for c in msg["content"] if "cachePoint" in c]
    assert recorded_points and all(c == {"cachePoint": {"type": "default"}} for c in recorded_points)
    assert body(m, ctx, cache_retention="long")["system"][-1] == {"cachePoint": {"type": "default", "ttl": "1h"}}
    assert "cachePoint" not in json.dumps(body(m, ctx, cache_retention="none"))
    assert "cachePoint" not in json.dumps(body(model("meta.llama3-3-70b-instruct-v1:0"), ctx))


def test_a_tool_round_trip_with_images_and_errors() -> None:
    m = model("us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    ctx = Context(
        messages=[
            UserMessage(content=[TextContent(text="Look"), ImageContent(data=PNG, mime_type="image/png")]),
            AssistantMessage(
                api="bedrock-converse",
                provider="amazon-bedrock",
                model=m.id,
                content=[
                    ThinkingContent(thinking="hmm", signature="sig"),
                    ToolCall(id="tooluse_1", name="weather", arguments={"city": "Paris"}),
                ],
            ),
            ToolResultMessage(
                tool_call_id="tooluse_1", tool_name="weather", content=[TextContent(text="boom")], is_error=True
            ),
        ],
        tools=[WEATHER],
    )
    b = body(m, ctx, cache_retention="none")
    assert b["messages"] == [
        {"role": "user", "content": [{"text": "Look"}, {"image": {"format": "png", "source": {"bytes": PNG}}}]},
        {
            "role": "assistant",
            "content": [
                {"reasoningContent": {"reasoningText": {"text": "hmm", "signature": "sig"}}},
                {"toolUse": {"toolUseId": "tooluse_1", "name": "weather", "input": {"city": "Paris"}}},
            ],
        },
        {
            "role": "user",
            "content": [{"toolResult": {"toolUseId": "tooluse_1", "content": [{"text": "boom"}], "status": "error"}}],
        },
    ]
    assert b["toolConfig"]["tools"] == [
        {"toolSpec": {"name": "weather", "inputSchema": {"json": WEATHER.parameters}, "description": "Weather"}}
    ]
    # Another model's reasoning goes back as text; a text-only model gets no image.
    other = model("meta.llama3-3-70b-instruct-v1:0")
    b = body(other, ctx)
    assert b["messages"][0]["content"][1] == {"text": "(image omitted: this model does not accept images)"}
    assert b["messages"][1]["content"][0] == {"text": "hmm"}


def test_the_request_rules(caplog: pytest.LogCaptureFixture) -> None:
    m = model("amazon.nova-micro-v1:0")
    history = [
        AssistantMessage(content=[ToolCall(id="t1", name="weather", arguments={"city": "Oslo"})]),
        ToolResultMessage(tool_call_id="t1", tool_name="weather", content=[TextContent(text="cold")]),
        UserMessage(content="   "),
    ]
    with caplog.at_level(logging.INFO, logger="aiwire"):
        b = body(m, Context(messages=history), cache_retention="none")
    assert b["messages"] == [
        {"role": "user", "content": [{"text": "(continue)"}]},
        {"role": "assistant", "content": [{"text": '[called tool weather with {"city": "Oslo"}]'}]},
        {"role": "user", "content": [{"text": "[tool result: cold]"}]},
    ]
    assert "bedrock.tool-config" in caplog.text and "bedrock.user-first" in caplog.text
    assert {r.id for r in RULES} >= {"bedrock.tool-config", "bedrock.user-first", "bedrock.thinking-sampling"}


def test_session_id_is_refused_rather_than_dropped() -> None:
    assert "session_id" not in CODEC.supported_options


def test_extract_uses_converse_native_structured_output() -> None:
    recorded_format = recorded("test_native_output__test_bedrock_native_output_stream")["outputConfig"]["textFormat"]
    sent: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        text = '{"city": "Paris", "country": "France"}'
        stream = (
            event("messageStart", {"role": "assistant"})
            + event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": text[:12]}})
            + event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": text[12:]}})
            + event("contentBlockStop", {"contentBlockIndex": 0})
            + event("messageStop", {"stopReason": "end_turn"})
            + event("metadata", {"usage": {"inputTokens": 5, "outputTokens": 9, "totalTokens": 14}})
        )
        return httpx.Response(
            200, headers={"content-type": "application/vnd.amazon.eventstream"}, stream=httpx.ByteStream(stream)
        )

    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
        "required": ["city", "country"],
        "additionalProperties": False,
    }
    m = model("us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    got = aiwire.extract_sync(
        m, "Where is the Eiffel tower?", schema, api_key="k", transport=httpx.MockTransport(handler)
    )
    assert got == {"city": "Paris", "country": "France"}
    fmt = sent[0]["outputConfig"]["textFormat"]
    assert fmt["type"] == recorded_format["type"] == "json_schema"
    assert json.loads(fmt["structure"]["jsonSchema"]["schema"]) == schema
    assert isinstance(recorded_format["structure"]["jsonSchema"]["schema"], str)
    assert "toolConfig" not in sent[0]
    # A model without native structured output gets a forced tool instead.
    assert CODEC.structured_output(model("meta.llama3-3-70b-instruct-v1:0"), schema, "x") is None


def test_every_rule_is_in_the_provider_page() -> None:
    from bedrock_helpers import ROOT

    page = (ROOT / "docs" / "providers" / "bedrock.md").read_text()
    table = page.split("## Request rules", 1)[1]
    for r in RULES:
        assert f"| `{r.id}` | {r.applies_to} | {r.prevents} | {r.action}: {r.does} |" in table, r.id
