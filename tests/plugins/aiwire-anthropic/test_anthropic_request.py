"""Request building: the body and headers the codec produces (no network)."""

from __future__ import annotations

import copy
from typing import Any

import msgspec
import pytest

import aiwire
from aiwire._wire.codec import Credentials, Options, Request
from aiwire.types import (
    AssistantMessage,
    Context,
    ImageContent,
    Model,
    ProviderContent,
    TextContent,
    ThinkingContent,
    Tool,
    ToolCall,
    ToolResultMessage,
    UserMessage,
)
from aiwire_anthropic.codec import AnthropicCodec

CODEC = AnthropicCodec()
KEY = Credentials("sk-ant-test")


def model(id: str = "claude-sonnet-4-5") -> Model:
    return aiwire.get_model("anthropic", id)


def build(
    ctx: Context | str, m: Model | None = None, creds: Credentials = KEY, stream: bool = True, **opts: Any
) -> Request:
    if isinstance(ctx, str):
        ctx = Context(messages=[UserMessage(content=ctx)])
    return CODEC.build_request(m or model(), ctx, Options(**opts), creds, stream=stream)


def mine(*content: Any, model_id: str = "claude-sonnet-4-5") -> AssistantMessage:
    return AssistantMessage(
        content=list(content), api="anthropic-messages", provider="anthropic", model=model_id, stop_reason="tool_use"
    )


TOOL = Tool(
    name="lookup", description="Look up", parameters={"type": "object", "properties": {"q": {"type": "string"}}}
)


def test_minimal_request() -> None:
    req = build("Hi", cache_retention="none")
    assert req.url == "https://api.anthropic.com/v1/messages"
    assert req.headers["x-api-key"] == "sk-ant-test"
    assert req.headers["anthropic-version"] == "2023-06-01"
    assert "anthropic-beta" not in req.headers
    assert req.json == {
        "model": "claude-sonnet-4-5",
        "max_tokens": 32000,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
        "stream": True,
    }
    assert "sk-ant-test" not in repr(req)


def test_non_streamed_request_has_smaller_default_and_no_stream_flag() -> None:
    req = build("Hi", stream=False)
    assert "stream" not in req.json and req.json["max_tokens"] == 16384
    assert req.headers["accept"] == "application/json"


def test_system_prompt_tools_and_cache_breakpoints() -> None:
    ctx = Context(system_prompt="Be brief.", messages=[UserMessage(content="a")], tools=[TOOL])
    body = build(ctx).json
    short = {"type": "ephemeral"}
    assert body["system"] == [{"type": "text", "text": "Be brief.", "cache_control": short}]
    assert body["tools"] == [
        {
            "name": "lookup",
            "input_schema": TOOL.parameters,
            "description": "Look up",
            "eager_input_streaming": True,
            "cache_control": short,
        }
    ]
    assert body["messages"][-1]["content"][-1]["cache_control"] == short
    long = build(ctx, cache_retention="long").json
    assert long["system"][0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    none = build(ctx, cache_retention="none").json
    assert "cache_control" not in none["system"][0] and "cache_control" not in none["tools"][0]


def test_one_hour_cache_only_on_first_party_unless_compat_says_so() -> None:
    proxy = msgspec.structs.replace(model(), base_url="https://proxy.example/v1")
    body = build("a", proxy, cache_retention="long").json
    assert body["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}
    assert (
        "eager_input_streaming"
        not in build(Context(messages=[UserMessage(content="a")], tools=[TOOL]), proxy).json["tools"][0]
    )
    allowed = msgspec.structs.replace(proxy, compat={**proxy.compat, "cache_ttl_1h": True})
    assert build("a", allowed, cache_retention="long").json["messages"][0]["content"][0]["cache_control"]["ttl"] == "1h"


def test_cache_breakpoint_goes_on_the_last_user_turn() -> None:
    ctx = Context(messages=[UserMessage(content="q1"), mine(TextContent(text="a1")), UserMessage(content="q2")])
    msgs = build(ctx).json["messages"]
    assert "cache_control" not in msgs[0]["content"][0]
    assert msgs[2]["content"][0]["cache_control"] == {"type": "ephemeral"}


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        ("auto", {"type": "auto"}),
        ("none", {"type": "none"}),
        ("required", {"type": "any"}),
        ("lookup", {"type": "tool", "name": "lookup"}),
    ],
)
def test_tool_choice(choice: str, wire: dict[str, str]) -> None:
    ctx = Context(messages=[UserMessage(content="a")], tools=[TOOL])
    assert build(ctx, tool_choice=choice).json["tool_choice"] == wire


def test_tool_results_merge_into_one_user_turn_with_images() -> None:
    png = ImageContent(data="AAAA", mime_type="image/png")
    ctx = Context(
        messages=[
            UserMessage(content="look"),
            mine(ToolCall(id="t1", name="lookup", arguments={"q": 1}), ToolCall(id="t2", name="lookup")),
            ToolResultMessage(tool_call_id="t1", tool_name="lookup", content=[TextContent(text="one")]),
            ToolResultMessage(tool_call_id="t2", tool_name="lookup", content=[png], is_error=True),
            UserMessage(content="and?"),
        ],
        tools=[TOOL],  # without tools, tool blocks go as text (anthropic.tool-blocks-need-tools)
    )
    msgs = build(ctx, cache_retention="none").json["messages"]
    assert [m["role"] for m in msgs] == ["user", "assistant", "user"]
    assert msgs[1]["content"] == [
        {"type": "tool_use", "id": "t1", "name": "lookup", "input": {"q": 1}},
        {"type": "tool_use", "id": "t2", "name": "lookup", "input": {}},
    ]
    first, second, text = msgs[2]["content"]
    assert first == {"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "one"}]}
    assert second["is_error"] is True
    assert second["content"][0] == {"type": "text", "text": "(see attached image)"}
    assert second["content"][1]["source"] == {"type": "base64", "media_type": "image/png", "data": "AAAA"}
    assert text == {"type": "text", "text": "and?"}


def test_foreign_tool_call_ids_are_normalised_consistently() -> None:
    ctx = Context(
        messages=[
            UserMessage(content="x"),
            mine(ToolCall(id="call|abc/def", name="lookup")),
            ToolResultMessage(tool_call_id="call|abc/def", tool_name="lookup", content=[TextContent(text="r")]),
        ],
        tools=[TOOL],
    )
    msgs = build(ctx).json["messages"]
    sent = msgs[1]["content"][0]["id"]
    assert sent == msgs[2]["content"][0]["tool_use_id"]
    assert sent.replace("_", "").replace("-", "").isalnum()


def test_thinking_is_replayed_only_for_the_same_model() -> None:
    turn = [
        ThinkingContent(thinking="hmm", signature="sig1"),
        ThinkingContent(thinking="", signature="opaque", redacted=True),
        ThinkingContent(thinking="unsigned thought"),
        TextContent(text="answer"),
    ]
    ctx = Context(messages=[UserMessage(content="q"), mine(*turn), UserMessage(content="more")])
    same = build(ctx).json["messages"][1]["content"]
    assert same == [
        {"type": "thinking", "thinking": "hmm", "signature": "sig1"},
        {"type": "redacted_thinking", "data": "opaque"},
        {"type": "text", "text": "unsigned thought"},
        {"type": "text", "text": "answer"},
    ]
    other = build(ctx, model("claude-opus-4-5")).json["messages"][1]["content"]
    assert other == [
        {"type": "text", "text": "hmm"},
        {"type": "text", "text": "unsigned thought"},
        {"type": "text", "text": "answer"},
    ]


def test_provider_blocks_round_trip_to_this_api_only() -> None:
    server = ProviderContent(
        api="anthropic-messages",
        kind="server_tool_use",
        data={"type": "server_tool_use", "id": "s", "name": "web_search", "input": {"query": "q"}},
    )
    foreign = ProviderContent(api="openai-responses", kind="web_search_call", data={"x": 1}, text="searched the web")
    hidden = ProviderContent(api="google-generative-ai", kind="x", data={"y": 1})
    ctx = Context(messages=[UserMessage(content="q"), mine(server, foreign, hidden, TextContent(text="ok"))])
    blocks = build(ctx).json["messages"][1]["content"]
    assert blocks == [
        {"type": "server_tool_use", "id": "s", "name": "web_search", "input": {"query": "q"}},
        {"type": "text", "text": "searched the web"},
        {"type": "text", "text": "ok"},
    ]


def test_context_is_never_mutated() -> None:
    ctx = Context(
        system_prompt="s",
        messages=[
            UserMessage(content=[TextContent(text="q")]),
            mine(ThinkingContent(thinking="t", signature="sig"), ToolCall(id="t1", name="lookup", arguments={"q": 1})),
            ToolResultMessage(tool_call_id="t1", tool_name="lookup", content=[TextContent(text="r")]),
        ],
        tools=[TOOL],
    )
    before = copy.deepcopy(msgspec.to_builtins(ctx))
    req = build(ctx, reasoning="high", cache_retention="long")
    req.json["tools"][0]["input_schema"]["mutated"] = True
    assert msgspec.to_builtins(ctx) == before


def test_empty_text_is_skipped_and_images_dropped_for_text_only_models() -> None:
    text_only = msgspec.structs.replace(model(), input=("text",))
    ctx = Context(
        messages=[
            UserMessage(content=[TextContent(text=""), ImageContent(data="AA", mime_type="image/png")]),
            mine(TextContent(text="")),
            UserMessage(content=""),
        ]
    )
    msgs = build(ctx, text_only).json["messages"]
    assert len(msgs) == 1
    assert msgs[0]["content"][0]["text"].startswith("(image omitted")


def test_budget_thinking_drops_temperature_and_adds_interleaved_beta() -> None:
    ctx = Context(messages=[UserMessage(content="q")], tools=[TOOL])
    req = build(ctx, reasoning="medium", temperature=0.2, top_p=0.5)
    body = req.json
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 8192}
    assert body["max_tokens"] == 32000 + 8192
    assert "temperature" not in body and "top_p" not in body
    assert req.headers["anthropic-beta"] == "interleaved-thinking-2025-05-14"
    # Claude Sonnet 4.0 still takes both (rule anthropic.sampling-one-of is later).
    plain = build(ctx, model("claude-sonnet-4-0"), temperature=0.2, top_p=0.5).json
    assert (plain["temperature"], plain["top_p"]) == (0.2, 0.5)


def test_budget_thinking_respects_explicit_limits_and_budgets() -> None:
    body = build("q", reasoning="high", max_tokens=4000).json
    assert body["max_tokens"] == 4000
    assert body["thinking"]["budget_tokens"] == 4000 - 1024
    body = build("q", reasoning="low", thinking_budgets={"low": 3000}).json
    assert body["thinking"]["budget_tokens"] == 3000
    assert "thinking" not in build("q", reasoning="high", max_tokens=1500).json
    assert "thinking" not in build("q", reasoning="off").json


@pytest.mark.parametrize(
    ("model_id", "level", "effort"),
    [
        ("claude-opus-4-6", "medium", "medium"),
        ("claude-opus-4-6", "minimal", "low"),
        ("claude-opus-4-6", "xhigh", "max"),
        ("claude-opus-4-8", "xhigh", "xhigh"),
        ("claude-sonnet-5", "high", "high"),
    ],
)
def test_adaptive_thinking_with_effort(model_id: str, level: str, effort: str) -> None:
    ctx = Context(messages=[UserMessage(content="q")], tools=[TOOL])
    req = build(ctx, model(model_id), reasoning=level)
    assert req.json["thinking"] == {"type": "adaptive", "display": "summarized"}
    assert req.json["output_config"] == {"effort": effort}
    assert "anthropic-beta" not in req.headers


def test_models_without_sampling_parameters_never_get_them() -> None:
    body = build("q", model("claude-opus-4-8"), temperature=0.5, top_p=0.9).json
    assert "temperature" not in body and "top_p" not in body


def test_forced_tool_choice_turns_thinking_off() -> None:
    ctx = Context(messages=[UserMessage(content="q")], tools=[TOOL])
    body = build(ctx, reasoning="high", tool_choice="lookup", temperature=0.3).json
    assert "thinking" not in body and body["temperature"] == 0.3


def test_thinking_mode_for_models_outside_the_catalog() -> None:
    new = aiwire.custom_model("claude-opus-7-1", provider="anthropic", reasoning=True, max_tokens=64000)
    assert build("q", new, reasoning="low").json["thinking"]["type"] == "adaptive"
    old = aiwire.custom_model("claude-3-7-sonnet-latest", provider="anthropic", reasoning=True, max_tokens=64000)
    ctx = Context(messages=[UserMessage(content="q")], tools=[TOOL])
    req = build(ctx, old, reasoning="low")
    assert req.json["thinking"]["type"] == "enabled" and "anthropic-beta" not in req.headers
    plain = aiwire.custom_model("claude-x", provider="anthropic")
    assert "thinking" not in build("q", plain, reasoning="high").json
    assert build("q", plain).json["max_tokens"] == 4096


def test_stop_session_and_provider_options() -> None:
    body = build("q", stop=["END"], session_id="user-42", provider_options={"top_k": 5, "max_tokens": 10}).json
    assert body["stop_sequences"] == ["END"]
    assert body["metadata"] == {"user_id": "user-42"}
    assert body["top_k"] == 5 and body["max_tokens"] == 10


def test_oauth_tokens_use_bearer_and_the_oauth_beta() -> None:
    creds = Credentials("sk-ant-oat-secret", kind="oauth", extra={"anthropic_beta": ["claude-code-20250219"]})
    req = build(Context(messages=[UserMessage(content="q")], tools=[TOOL]), creds=creds, reasoning="low")
    assert req.headers["authorization"] == "Bearer sk-ant-oat-secret"
    assert "x-api-key" not in req.headers
    assert req.headers["anthropic-beta"] == "oauth-2025-04-20,interleaved-thinking-2025-05-14,claude-code-20250219"
    assert "secret" not in repr(req) and "secret" not in repr(creds)


def test_no_credentials_sends_no_auth_header() -> None:
    req = build("q", creds=Credentials(kind="none"))
    assert "x-api-key" not in req.headers and "authorization" not in req.headers
