"""Chat Completions request building: messages and every compat flag on the wire."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

import aiwire
from aiwire._wire.codec import Credentials, Options
from aiwire.types import (
    AssistantMessage,
    Context,
    ImageContent,
    ProviderContent,
    TextContent,
    ThinkingContent,
    Tool,
    ToolCall,
    ToolResultMessage,
    UserMessage,
)
from aiwire_openai.completions import AFTER_TOOLS, IMAGE_OMITTED, TOOL_IMAGES, CompletionsCodec

API = "openai-completions"
codec = CompletionsCodec()
KEY = Credentials("sk-test")
TOOL = Tool(name="f", description="d", parameters={"type": "object", "properties": {"a": {"type": "integer"}}})


def build(
    provider: str = "custom",
    ctx: Context | None = None,
    *,
    stream: bool = True,
    thinks: bool = True,
    compat: dict[str, Any] | None = None,
    model_input: tuple[str, ...] = ("text", "image"),
    **opts: Any,
) -> dict[str, Any]:
    m = aiwire.Model(
        id="m1",
        provider=provider,
        api=API,
        base_url="https://h.test/v1",
        reasoning=thinks,
        input=model_input,
        compat=compat or {},
    )
    req = codec.build_request(
        m,
        ctx or Context(system_prompt="sys", messages=[UserMessage(content="hi")]),
        Options(**opts),
        KEY,
        stream=stream,
    )
    assert req.url == "https://h.test/v1/chat/completions"
    assert req.headers["authorization"] == "Bearer sk-test"
    body: dict[str, Any] = req.json
    return body


def tool_turn() -> Context:
    return Context(
        messages=[
            UserMessage(content="go"),
            AssistantMessage(
                api=API,
                provider="p",
                model="m1",
                content=[
                    ThinkingContent(thinking="plan", signature="reasoning_content"),
                    TextContent(text="ok"),
                    ToolCall(id="call_1", name="f", arguments={"a": 1}),
                ],
            ),
            ToolResultMessage(tool_call_id="call_1", tool_name="f", content=[TextContent(text="2")]),
            UserMessage(content="thanks"),
        ],
        tools=[TOOL],
    )


def test_generic_defaults() -> None:
    body = build(max_tokens=100, temperature=0.5, top_p=0.9, stop=["x"])
    assert body["messages"] == [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["max_tokens"] == 100 and body["temperature"] == 0.5 and body["top_p"] == 0.9 and body["stop"] == ["x"]
    assert "store" not in body and "prompt_cache_key" not in body


def test_openai_wire_flags() -> None:
    ctx = Context(system_prompt="sys", messages=[UserMessage(content="hi")], tools=[TOOL])
    body = build("openai", ctx, max_tokens=100, session_id="s1")
    assert body["messages"][0]["role"] == "developer"  # developer_role, reasoning model
    assert body["max_completion_tokens"] == 100 and "max_tokens" not in body  # max_tokens_field
    assert body["store"] is False  # store
    assert body["tools"][0]["function"]["strict"] is False  # strict_tools
    assert body["prompt_cache_key"] == "s1"  # prompt_cache_key
    assert "prompt_cache_key" not in build("openai", session_id="s1", cache_retention="none")
    assert build("openai", thinks=False)["messages"][0]["role"] == "system"


def test_non_streamed_has_no_stream_options_and_usage_flag_off() -> None:
    assert "stream_options" not in build(stream=False)
    assert "stream_options" not in build(compat={"usage_in_stream": False})


@pytest.mark.parametrize(
    ("fmt", "level", "expected"),
    [
        ("openai", "high", {"reasoning_effort": "high"}),
        ("openai", "off", {}),
        ("openrouter", "low", {"reasoning": {"effort": "low"}}),
        ("openrouter", "off", {"reasoning": {"enabled": False}}),
        ("thinking_type", "high", {"thinking": {"type": "enabled"}, "reasoning_effort": "high"}),
        ("thinking_type", "off", {"thinking": {"type": "disabled"}}),
        ("enable_thinking", "medium", {"enable_thinking": True}),
        ("chat_template", "off", {"chat_template_kwargs": {"enable_thinking": False}}),
        ("none", "high", {}),
    ],
)
def test_reasoning_format(fmt: str, level: str, expected: dict[str, Any]) -> None:
    body = build(compat={"reasoning_format": fmt}, reasoning=level)
    got = {
        k: body[k]
        for k in ("reasoning_effort", "reasoning", "thinking", "enable_thinking", "chat_template_kwargs")
        if k in body
    }
    assert got == expected


def test_reasoning_effort_map_and_non_reasoning_models() -> None:
    assert (
        build(compat={"reasoning_effort_map": {"off": "none", "xhigh": "high"}}, reasoning="off")["reasoning_effort"]
        == "none"
    )
    assert build(compat={"reasoning_effort_map": {"xhigh": "high"}}, reasoning="xhigh")["reasoning_effort"] == "high"
    m = aiwire.Model(id="m", provider="custom", api=API, base_url="https://h.test/v1")
    assert "reasoning_effort" not in codec.build_request(m, Context(), Options(reasoning="high"), KEY).json


def test_tool_choice() -> None:
    ctx = Context(messages=[UserMessage(content="x")], tools=[TOOL])
    assert build(ctx=ctx, tool_choice="required")["tool_choice"] == "required"
    assert build(ctx=ctx, tool_choice="f")["tool_choice"] == {"type": "function", "function": {"name": "f"}}


def test_tool_turn_messages_and_thinking_replayed_in_its_field() -> None:
    ctx = tool_turn()
    before = msgspec.json.encode(ctx)
    msgs = build(ctx=ctx)["messages"]
    assert msgspec.json.encode(ctx) == before  # never mutates the context
    assert msgs[1] == {
        "role": "assistant",
        "content": "ok",
        "reasoning_content": "plan",
        "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}],
    }
    assert msgs[2] == {"role": "tool", "tool_call_id": "call_1", "content": "2"}
    assert msgs[3] == {"role": "user", "content": "thanks"}


@pytest.mark.parametrize(("replay", "content", "field"), [("drop", "ok", None), ("text", "plan\n\nok", None)])
def test_thinking_replay(replay: str, content: str, field: str | None) -> None:
    msg = build(ctx=tool_turn(), compat={"thinking_replay": replay})["messages"][1]
    assert msg["content"] == content and "reasoning_content" not in msg


def test_thinking_field_always_sent_with_tool_calls() -> None:
    ctx = Context(
        messages=[
            UserMessage(content="go"),
            AssistantMessage(content=[ToolCall(id="c1", name="f")]),
            ToolResultMessage(tool_call_id="c1", tool_name="f", content=[TextContent(text="r")]),
        ]
    )
    assert build("deepseek", ctx)["messages"][1]["reasoning_content"] == ""


def test_openrouter_reasoning_details_echoed_verbatim() -> None:
    details = [{"type": "reasoning.encrypted", "data": "xyz", "index": 0}]
    ctx = Context(
        messages=[
            UserMessage(content="a"),
            AssistantMessage(
                content=[
                    ThinkingContent(thinking="t", signature="reasoning"),
                    TextContent(text="b"),
                    ProviderContent(api=API, kind="reasoning_details", data={"details": details}),
                    ProviderContent(api="anthropic-messages", kind="server_tool_use", data={"x": 1}),
                ]
            ),
        ]
    )
    msg = build("openrouter", ctx)["messages"][1]
    assert msg == {"role": "assistant", "content": "b", "reasoning_details": details}


def test_mistral_thinking_chunks_ids_name_and_assistant_after_tools() -> None:
    ctx = tool_turn()
    ctx.messages[1].content[0] = ThinkingContent(thinking="plan", signature="content.thinking")  # type: ignore[union-attr]
    msgs = build("mistral", ctx)["messages"]
    assert msgs[1]["content"] == [
        {"type": "thinking", "thinking": [{"type": "text", "text": "plan"}]},
        {"type": "text", "text": "ok"},
    ]
    call_id = msgs[1]["tool_calls"][0]["id"]
    assert len(call_id) == 9 and call_id.isalnum()  # tool_id_style
    assert msgs[2]["tool_call_id"] == call_id and msgs[2]["name"] == "f"  # tool_result_name
    assert msgs[3] == {"role": "assistant", "content": AFTER_TOOLS}  # assistant_after_tool_result
    assert msgs[4] == {"role": "user", "content": "thanks"}


def test_foreign_tool_ids_are_normalised_consistently() -> None:
    ctx = tool_turn()
    long_id = "call_x|fc_" + "y" * 80
    ctx.messages[1].content[2] = ToolCall(id=long_id, name="f")  # type: ignore[union-attr]
    ctx.messages[2] = ToolResultMessage(tool_call_id=long_id, tool_name="f", content=[TextContent(text="2")])
    msgs = build(ctx=ctx)["messages"]
    sent = msgs[1]["tool_calls"][0]["id"]
    assert len(sent) <= 40 and "|" not in sent and msgs[2]["tool_call_id"] == sent
    assert codec.tool_call_id(long_id) == sent


def test_images_as_data_urls_and_tool_result_images_resent_as_user() -> None:
    img = ImageContent(data="AAAA", mime_type="image/png")
    ctx = Context(
        messages=[
            UserMessage(content=[TextContent(text="look"), img]),
            AssistantMessage(content=[ToolCall(id="c1", name="f")]),
            ToolResultMessage(tool_call_id="c1", tool_name="f", content=[img]),
        ]
    )
    msgs = build(ctx=ctx)["messages"]
    assert msgs[0]["content"][1] == {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    assert msgs[2]["role"] == "tool" and "attached image" in msgs[2]["content"]
    assert msgs[3]["role"] == "user" and msgs[3]["content"][0]["text"] == TOOL_IMAGES
    assert msgs[3]["content"][1]["image_url"]["url"].startswith("data:image/png")
    text_only = build(ctx=ctx, model_input=("text",))["messages"]
    assert text_only[0]["content"][1] == {"type": "text", "text": IMAGE_OMITTED} and len(text_only) == 3


def test_robust_to_foreign_blocks_and_empty_turns() -> None:
    ctx = Context(
        messages=[
            UserMessage(content="a"),
            AssistantMessage(content=[ThinkingContent(thinking="no signature"), ProviderContent(api="x", kind="k")]),
            AssistantMessage(
                content=[ThinkingContent(thinking="", signature="reasoning", redacted=True), TextContent(text="b")]
            ),
        ]
    )
    msgs = build(ctx=ctx)["messages"]
    assert msgs == [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]


def test_routing_and_provider_options_last() -> None:
    body = build(
        "openrouter", compat={"routing": {"order": ["groq"]}}, provider_options={"temperature": 0.1, "seed": 7}
    )
    assert body["provider"] == {"order": ["groq"]} and body["seed"] == 7 and body["temperature"] == 0.1


def test_no_key_no_auth_header_for_local_servers() -> None:
    m = aiwire.get_model("ollama/llama3.1")
    req = codec.build_request(m, Context(messages=[UserMessage(content="x")]), Options(), Credentials(kind="none"))
    assert req.url == "http://localhost:11434/v1/chat/completions" and "authorization" not in req.headers
