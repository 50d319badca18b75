"""Responses API: decoding event lists and building requests (no network)."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from _openai_helpers import decode, model, sse

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
from aiwire_openai.responses import ResponsesCodec

API = "openai-responses"
codec = ResponsesCodec()
RS = {"id": "rs_1", "type": "reasoning", "encrypted_content": "ENC", "summary": []}
FC = {"id": "fc_1", "type": "function_call", "call_id": "call_1", "name": "f", "arguments": ""}
MSG = {"id": "msg_1", "type": "message", "role": "assistant", "phase": "final_answer", "content": []}


def e(kind: str, **fields: Any) -> tuple[str, dict[str, Any]]:
    return (kind, {"type": kind, **fields})


def completed(status: str = "completed", **fields: Any) -> tuple[str, dict[str, Any]]:
    usage = {
        "input_tokens": 20,
        "input_tokens_details": {"cached_tokens": 5},
        "output_tokens": 9,
        "output_tokens_details": {"reasoning_tokens": 4},
        "total_tokens": 29,
    }
    kind = {"completed": "response.completed", "incomplete": "response.incomplete", "failed": "response.failed"}[status]
    return e(kind, response={"id": "resp_1", "status": status, "usage": usage, **fields})


def full_stream() -> bytes:
    summary = [{"type": "summary_text", "text": "Plan A"}, {"type": "summary_text", "text": "Plan B"}]
    return sse(
        e("response.created", response={"id": "resp_1", "status": "in_progress"}),
        e("response.output_item.added", output_index=0, item=RS),
        e("response.reasoning_summary_part.added", item_id="rs_1", summary_index=0),
        e("response.reasoning_summary_text.delta", item_id="rs_1", summary_index=0, delta="Plan "),
        e("response.reasoning_summary_text.delta", item_id="rs_1", summary_index=0, delta="A"),
        e("response.reasoning_summary_part.added", item_id="rs_1", summary_index=1),
        e("response.reasoning_summary_text.delta", item_id="rs_1", summary_index=1, delta="Plan B"),
        e("response.output_item.done", output_index=0, item={**RS, "summary": summary}),
        e("response.output_item.added", output_index=1, item=MSG),
        e(
            "response.content_part.added",
            item_id="msg_1",
            output_index=1,
            content_index=0,
            part={"type": "output_text", "text": ""},
        ),
        e("response.output_text.delta", item_id="msg_1", output_index=1, content_index=0, delta="Hi "),
        e("response.output_text.delta", item_id="msg_1", output_index=1, content_index=0, delta="there"),
        e(
            "response.output_item.done",
            output_index=1,
            item={**MSG, "content": [{"type": "output_text", "text": "Hi there", "annotations": []}]},
        ),
        e("response.output_item.added", output_index=2, item=FC),
        e("response.function_call_arguments.delta", item_id="fc_1", output_index=2, delta='{"a":'),
        e("response.function_call_arguments.delta", item_id="fc_1", output_index=2, delta=" 1}"),
        e("response.function_call_arguments.done", item_id="fc_1", output_index=2, arguments='{"a": 1}'),
        e("response.output_item.done", output_index=2, item={**FC, "arguments": '{"a": 1}'}),
        completed(),
        done=False,
    )


def test_full_stream_reasoning_text_and_tool_call() -> None:
    msg = decode(codec, model(API, reasoning=True), full_stream()).message
    assert msg.id == "resp_1" and msg.stop_reason == "tool_use"
    thinking, text, call = msg.content
    assert isinstance(thinking, ThinkingContent) and thinking.thinking == "Plan A\n\nPlan B"
    assert json.loads(thinking.signature or "")["encrypted_content"] == "ENC"
    assert isinstance(text, TextContent) and text.text == "Hi there"
    assert json.loads(text.signature or "") == {"v": 1, "id": "msg_1", "phase": "final_answer"}
    assert isinstance(call, ToolCall) and call.id == "call_1|fc_1" and call.arguments == {"a": 1}
    assert msg.usage is not None
    assert (msg.usage.input, msg.usage.cache_read, msg.usage.output, msg.usage.reasoning) == (15, 5, 9, 4)


def test_round_trip_of_ids_reasoning_and_phase() -> None:
    """What the decoder produced goes back as the same items (stateless continuation)."""
    first = decode(codec, model(API, reasoning=True), full_stream()).message
    ctx = Context(
        messages=[
            UserMessage(content="go"),
            first,
            ToolResultMessage(tool_call_id=first.tool_calls[0].id, tool_name="f", content=[TextContent(text="2")]),
        ]
    )
    items = build(ctx)["input"]
    assert items[1] == {
        **RS,
        "summary": [{"type": "summary_text", "text": "Plan A"}, {"type": "summary_text", "text": "Plan B"}],
    }
    assert items[2] == {
        "type": "message",
        "role": "assistant",
        "id": "msg_1",
        "status": "completed",
        "phase": "final_answer",
        "content": [{"type": "output_text", "text": "Hi there", "annotations": []}],
    }
    assert items[3] == {"type": "function_call", "call_id": "call_1", "id": "fc_1", "name": "f", "arguments": '{"a":1}'}
    assert items[4] == {"type": "function_call_output", "call_id": "call_1", "output": "2"}


def test_arguments_only_in_done_and_refusal() -> None:
    body = sse(
        e("response.output_item.added", item=FC),
        e("response.function_call_arguments.done", item_id="fc_1", arguments='{"b": 2}'),
        e("response.output_item.done", item={**FC, "arguments": '{"b": 2}'}),
        e("response.refusal.delta", item_id="msg_2", delta="No."),
        e("response.output_item.done", item={"id": "msg_2", "type": "message", "content": []}),
        completed(),
    )
    msg = decode(codec, model(API), body).message
    assert msg.tool_calls[0].arguments == {"b": 2} and msg.text == "No."


def test_incomplete_is_length_failed_and_error_are_errors() -> None:
    inc = completed("incomplete", incomplete_details={"reason": "max_output_tokens"})
    assert decode(codec, model(API), sse(inc, done=False)).message.stop_reason == "length"
    failed = completed("failed", error={"code": "server_error", "message": "boom"})
    msg = decode(codec, model(API), sse(failed, done=False)).message
    assert (msg.stop_reason, msg.error_message, msg.error_type) == ("error", "boom", "server_error")
    err = ("error", {"type": "error", "code": "rate_limit_exceeded", "message": "slow down"})
    msg = decode(codec, model(API), sse(err, done=False)).message
    assert (msg.stop_reason, msg.error_message, msg.error_type) == ("error", "slow down", "rate_limit_exceeded")


def test_truncated_stream_is_an_error_keeping_text() -> None:
    body = sse(e("response.output_text.delta", item_id="m", delta="par"), done=False)
    msg = decode(codec, model(API), body).message
    assert msg.stop_reason == "error" and msg.text == "par"


def test_server_tool_items_become_provider_content_and_go_back_verbatim() -> None:
    ws = {"id": "ws_1", "type": "web_search_call", "status": "completed", "action": {"type": "search", "query": "q"}}
    body = sse(
        e("response.output_item.added", item=ws), e("response.output_item.done", item=ws), completed(), done=False
    )
    msg = decode(codec, model(API), body).message
    assert msg.content == [ProviderContent(api=API, kind="web_search_call", data=ws)]
    assert build(Context(messages=[UserMessage(content="q"), msg]))["input"][1] == ws


def test_parse_response_non_streamed() -> None:
    body = msgspec.json.encode(
        {
            "id": "resp_9",
            "status": "completed",
            "output": [
                {**RS, "summary": [{"type": "summary_text", "text": "why"}]},
                {**MSG, "content": [{"type": "output_text", "text": "Paris", "annotations": []}]},
                {**FC, "arguments": '{"x": 1}'},
            ],
            "usage": {"input_tokens": 3, "output_tokens": 4},
        }
    )
    msg = codec.parse_response(model(API), Options(), body)
    assert [type(b).__name__ for b in msg.content] == ["ThinkingContent", "TextContent", "ToolCall"]
    assert msg.thinking == "why" and msg.text == "Paris" and msg.tool_calls[0].arguments == {"x": 1}
    assert msg.stop_reason == "tool_use" and msg.usage is not None and msg.usage.input == 3


# -- requests -------------------------------------------------------------------------


def build(ctx: Context, provider: str = "openai", **opts: Any) -> dict[str, Any]:
    m = aiwire.Model(
        id="gpt-5",
        provider=provider,
        api=API,
        base_url="https://api.openai.com/v1",
        reasoning=True,
        input=("text", "image"),
    )
    req = codec.build_request(m, ctx, Options(**opts), Credentials("sk-test"))
    assert req.url == "https://api.openai.com/v1/responses" and req.headers["authorization"] == "Bearer sk-test"
    body: dict[str, Any] = req.json
    return body


def test_request_fields() -> None:
    tool = Tool(name="f", parameters={"type": "object", "properties": {}})
    ctx = Context(system_prompt="be brief", messages=[UserMessage(content="hi")], tools=[tool])
    body = build(
        ctx,
        reasoning="high",
        max_tokens=50,
        session_id="sess",
        cache_retention="long",
        tool_choice="f",
        provider_options={"service_tier": "flex"},
    )
    assert body["instructions"] == "be brief" and body["input"] == [{"role": "user", "content": "hi"}]
    assert body["store"] is False and body["include"] == ["reasoning.encrypted_content"]
    assert body["reasoning"] == {"effort": "high", "summary": "auto"} and body["max_output_tokens"] == 50
    assert body["prompt_cache_key"] == "sess" and body["prompt_cache_retention"] == "24h"
    assert body["tools"] == [
        {"type": "function", "name": "f", "description": "", "parameters": tool.parameters, "strict": False}
    ]
    assert body["tool_choice"] == {"type": "function", "name": "f"} and body["service_tier"] == "flex"


def test_stop_is_reported_unsupported() -> None:
    import pytest

    from aiwire.errors import BadOptionsError

    with pytest.raises(BadOptionsError, match="stop"):
        aiwire.stream("openai/gpt-5", "hi", stop=["x"], api_key="k")


def test_images_and_tool_result_images() -> None:
    img = ImageContent(data="AAAA", mime_type="image/png")
    ctx = Context(
        messages=[
            UserMessage(content=[TextContent(text="see"), img]),
            AssistantMessage(content=[ToolCall(id="toolu_01|x", name="f")]),
            ToolResultMessage(tool_call_id="toolu_01|x", tool_name="f", content=[TextContent(text="t"), img]),
        ]
    )
    items = build(ctx)["input"]
    assert items[0]["content"][1] == {
        "type": "input_image",
        "image_url": "data:image/png;base64,AAAA",
        "detail": "auto",
    }
    assert items[1] == {"type": "function_call", "call_id": "toolu_01", "name": "f", "arguments": "{}"}  # no fc item id
    assert items[2]["output"] == [
        {"type": "input_text", "text": "t"},
        {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "auto"},
    ]


def test_foreign_and_unsigned_blocks_are_skipped_or_converted() -> None:
    ctx = Context(
        messages=[
            UserMessage(content="a"),
            AssistantMessage(
                content=[
                    ThinkingContent(thinking="unsigned"),
                    ThinkingContent(thinking="x", signature="anthropic-sig"),
                    TextContent(text="plain"),
                    ProviderContent(api="anthropic-messages", kind="server_tool_use", data={"a": 1}),
                ]
            ),
        ]
    )
    assert build(ctx)["input"][1:] == [{"role": "assistant", "content": "plain"}]
    assert codec.tool_call_id("call_1|fc_1") == "call_1"
    assert len(codec.tool_call_id("x" * 100)) <= 64


def test_azure_deployment_api_key_and_version(monkeypatch: Any) -> None:
    monkeypatch.setenv("AZURE_OPENAI_RESOURCE_NAME", "myres")
    monkeypatch.setenv("AZURE_OPENAI_DEPLOYMENT_NAME_MAP", "gpt-5=prod-gpt5")
    m = aiwire.custom_model("gpt-5", provider="azure")
    req = codec.build_request(m, Context(messages=[UserMessage(content="x")]), Options(), Credentials("az-key"))
    assert req.url == "https://myres.openai.azure.com/openai/v1/responses"
    assert req.headers["api-key"] == "az-key" and "authorization" not in req.headers
    assert req.json["model"] == "prod-gpt5"
    opts = Options(
        provider_options={
            "azure_base_url": "https://x.openai.azure.com/openai",
            "azure_api_version": "2025-04-01-preview",
            "azure_deployment": "dep",
        }
    )
    req = codec.build_request(m, Context(), opts, Credentials("az-key"))
    assert req.url == "https://x.openai.azure.com/openai/deployments/dep/responses?api-version=2025-04-01-preview"
    assert "azure_deployment" not in req.json


def test_azure_without_resource_is_a_clear_error(monkeypatch: Any) -> None:
    import pytest

    from aiwire.errors import BadOptionsError

    monkeypatch.delenv("AZURE_OPENAI_RESOURCE_NAME", raising=False)
    monkeypatch.delenv("AZURE_OPENAI_BASE_URL", raising=False)
    with pytest.raises(BadOptionsError, match="AZURE_OPENAI_RESOURCE_NAME"):
        codec.build_request(aiwire.custom_model("gpt-5", provider="azure"), Context(), Options(), Credentials("k"))
