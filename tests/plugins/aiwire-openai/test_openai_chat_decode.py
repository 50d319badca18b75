"""Chat Completions decoding, one wire shape per test (no network)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from _openai_helpers import decode, model, sse

from aiwire import events as ev
from aiwire.types import ProviderContent, ThinkingContent
from aiwire_openai.completions import CompletionsCodec

API = "openai-completions"
codec = CompletionsCodec()


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "delta": delta or {}, "finish_reason": finish}
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [choice], **extra}


def usage(prompt: int = 10, completion: int = 5, cached: int = 0, reasoning: int | None = None) -> dict[str, Any]:
    u: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    u["prompt_tokens_details"] = {"cached_tokens": cached}
    if reasoning is not None:
        u["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return {"id": "chatcmpl-1", "choices": [], "usage": u}


def test_text_deltas_and_usage_from_the_last_chunk() -> None:
    body = sse(
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Hel"}),
        chunk({"content": "lo"}),
        chunk(finish="stop"),
        usage(prompt=12, completion=3, cached=4, reasoning=1),
    )
    dec = decode(codec, model(API), body)
    msg = dec.message
    assert msg.stop_reason == "stop" and msg.text == "Hello" and msg.id == "chatcmpl-1"
    assert msg.usage is not None
    assert (msg.usage.input, msg.usage.output, msg.usage.cache_read, msg.usage.reasoning) == (8, 3, 4, 1)
    assert msg.usage.total == 15


def test_no_usage_means_none_not_zeros() -> None:
    dec = decode(codec, model(API), sse(chunk({"content": "hi"}), chunk(finish="stop")))
    assert dec.message.stop_reason == "stop"
    assert dec.message.usage is None


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning", "reasoning_text"])
def test_reasoning_fields_become_thinking_signed_with_the_field(field: str) -> None:
    body = sse(chunk({field: "Let me "}), chunk({field: "think."}), chunk({"content": "42"}), chunk(finish="stop"))
    msg = decode(codec, model(API), body).message
    thinking = msg.content[0]
    assert isinstance(thinking, ThinkingContent)
    assert thinking.thinking == "Let me think." and thinking.signature == field
    assert msg.text == "42"


def test_openrouter_reasoning_details_are_kept_merged_by_index() -> None:
    body = sse(
        chunk({"reasoning": "A", "reasoning_details": [{"type": "reasoning.text", "text": "A", "index": 0}]}),
        chunk({"reasoning": "B", "reasoning_details": [{"type": "reasoning.text", "text": "B", "index": 0}]}),
        chunk({"reasoning_details": [{"type": "reasoning.encrypted", "data": "xyz", "index": 1}]}),
        chunk({"content": "ok"}, finish="stop"),
    )
    msg = decode(codec, model(API, provider="openrouter"), body).message
    assert msg.thinking == "AB"
    details = [b for b in msg.content if isinstance(b, ProviderContent)]
    assert details[0].data["details"] == [
        {"type": "reasoning.text", "text": "AB", "index": 0},
        {"type": "reasoning.encrypted", "data": "xyz", "index": 1},
    ]


def test_mistral_typed_content_chunks() -> None:
    body = sse(
        chunk({"content": [{"type": "thinking", "thinking": [{"type": "text", "text": "hmm"}]}]}),
        chunk({"content": [{"type": "text", "text": "answer"}]}),
        chunk({"content": "!"}, finish="stop"),
    )
    msg = decode(codec, model(API, provider="mistral"), body).message
    assert msg.thinking == "hmm" and msg.text == "answer!"
    assert msg.content[0].signature == "content.thinking"  # type: ignore[union-attr]


def test_parallel_tool_calls_assembled_by_index_with_streamed_arguments() -> None:
    body = sse(
        chunk(
            {
                "tool_calls": [
                    {"index": 0, "id": "call_a", "type": "function", "function": {"name": "f", "arguments": ""}}
                ]
            }
        ),
        chunk(
            {
                "tool_calls": [
                    {"index": 1, "id": "call_b", "type": "function", "function": {"name": "g", "arguments": '{"y"'}}
                ]
            }
        ),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"x": 1'}}]}),
        chunk({"tool_calls": [{"index": 1, "function": {"arguments": ": 2}"}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": "}"}}]}),
        chunk(finish="tool_calls"),
    )
    dec = decode(codec, model(API), body)
    msg = dec.message
    assert msg.stop_reason == "tool_use"
    assert [(t.id, t.name, t.arguments) for t in msg.tool_calls] == [
        ("call_a", "f", {"x": 1}),
        ("call_b", "g", {"y": 2}),
    ]


def test_tool_call_events_carry_partial_arguments() -> None:
    body = sse(
        chunk({"tool_calls": [{"index": 0, "id": "c", "function": {"name": "f", "arguments": '{"q": "ab'}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'c"}'}}]}),
        chunk(finish="tool_calls"),
    )
    dec = codec.decoder(model(API), None)  # type: ignore[arg-type]
    from aiwire._wire.framing import SSEFramer

    events: list[Any] = []
    seen: list[Any] = []  # `arguments` is a live view: snapshot it as each delta arrives
    for name, data in SSEFramer().feed(body):
        dec.feed(name, data)
        for e in dec.drain():
            events.append(e)
            if isinstance(e, ev.ToolCallDelta):
                seen.append(copy.deepcopy(e.arguments))
    assert seen == [{"q": "ab"}, {"q": "abc"}]
    assert isinstance(events[-1], ev.Done)


def test_tool_calls_without_ids_get_unique_ones() -> None:
    body = sse(
        chunk({"tool_calls": [{"index": 0, "function": {"name": "f", "arguments": "{}"}}]}),
        chunk({"tool_calls": [{"index": 1, "function": {"name": "f", "arguments": "{}"}}]}),
        chunk(finish="tool_calls"),
    )
    calls = decode(codec, model(API), body).message.tool_calls
    assert len({c.id for c in calls}) == 2


def test_refusal_is_text() -> None:
    msg = decode(codec, model(API), sse(chunk({"refusal": "I can't help with that."}), chunk(finish="stop"))).message
    assert msg.text == "I can't help with that."


def test_content_filter_is_an_error() -> None:
    msg = decode(codec, model(API), sse(chunk({"content": "par"}), chunk(finish="content_filter"))).message
    assert msg.stop_reason == "error" and msg.error_type == "content_filter" and msg.text == "par"


def test_length() -> None:
    assert (
        decode(codec, model(API), sse(chunk({"content": "x"}), chunk(finish="length"))).message.stop_reason == "length"
    )


def test_error_event_is_terminal() -> None:
    body = sse(
        chunk({"content": "partial"}),
        ("error", {"error": {"message": "Tool call validation failed", "type": "invalid_request_error"}}),
        done=False,
    )
    msg = decode(codec, model(API), body).message
    assert msg.stop_reason == "error" and msg.error_message == "Tool call validation failed"
    assert msg.error_type == "invalid_request_error" and msg.text == "partial"


def test_error_field_in_a_chunk_is_terminal() -> None:
    body = sse(chunk({"content": "a"}, finish="length"), chunk(error={"code": 400, "message": "Token limit reached"}))
    msg = decode(codec, model(API), body).message
    assert msg.stop_reason == "error" and msg.error_message == "Token limit reached" and msg.error_type == "400"


def test_sse_comments_are_ignored() -> None:
    body = b": OPENROUTER PROCESSING\n\n" + sse(chunk({"content": "hi"}), ": keepalive\n\n", chunk(finish="stop"))
    assert decode(codec, model(API), body).message.text == "hi"


def test_missing_done_after_finish_reason_still_completes() -> None:
    msg = decode(codec, model(API), sse(chunk({"content": "hi"}), chunk(finish="stop"), done=False)).message
    assert msg.stop_reason == "stop"


def test_truncated_stream_is_an_error() -> None:
    msg = decode(codec, model(API), sse(chunk({"content": "hi"}), done=False)).message
    assert msg.stop_reason == "error" and msg.text == "hi"


def test_openrouter_reported_cost() -> None:
    u = usage(prompt=9, completion=104)
    u["usage"]["cost"] = 0.00085
    u["usage"]["cost_details"] = {
        "upstream_inference_prompt_cost": 0.000018,
        "upstream_inference_completions_cost": 0.000832,
    }
    msg = decode(codec, model(API, provider="openrouter"), sse(chunk({"content": "x"}, finish="stop"), u)).message
    assert msg.usage is not None and msg.usage.cost.total == 0.00085 and msg.usage.cost.output == 0.000832


def test_parse_response_non_streamed() -> None:
    body = (
        b'{"id":"c1","choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant",'
        b'"content":"Let me look.","reasoning_content":"think","tool_calls":[{"id":"call_1","type":"function",'
        b'"function":{"name":"f","arguments":"{\\"a\\": 1}"}}]}}],"usage":{"prompt_tokens":5,"completion_tokens":7}}'
    )
    msg = codec.parse_response(model(API), None, body)  # type: ignore[arg-type]
    assert [type(b).__name__ for b in msg.content] == ["ThinkingContent", "TextContent", "ToolCall"]
    assert msg.stop_reason == "tool_use" and msg.tool_calls[0].arguments == {"a": 1}
    assert msg.usage is not None and msg.usage.output == 7


def test_parse_error_appends_openrouter_upstream_detail() -> None:
    info = codec.parse_error(
        400, {}, b'{"error":{"message":"Provider returned error","code":400,"metadata":{"raw":"bad"}}}'
    )
    assert info.message == "Provider returned error: bad" and info.type == "400"


def _choice_chunk(index: int, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"id": "chatcmpl-n", "choices": [{"index": index, "delta": delta, "finish_reason": finish}]}


def test_several_choices_are_not_interleaved_the_message_is_choice_0() -> None:
    # With n=2 the documented stream sends each choice's deltas in chunks of
    # their own, told apart by "index"; choice 1 must not leak into the text,
    # its tool calls or its finish reason.
    body = sse(
        _choice_chunk(0, {"role": "assistant", "content": ""}),
        _choice_chunk(1, {"role": "assistant", "content": ""}),
        _choice_chunk(0, {"content": "Hel"}),
        _choice_chunk(1, {"content": "Bon"}),
        _choice_chunk(1, {"tool_calls": [{"index": 0, "id": "call_b", "function": {"name": "f", "arguments": "{}"}}]}),
        _choice_chunk(0, {"content": "lo"}),
        _choice_chunk(0, {}, "stop"),
        _choice_chunk(1, {"content": "jour"}, "length"),
        usage(prompt=4, completion=6),
    )
    msg = decode(codec, model(API), body).message
    assert msg.text == "Hello" and msg.stop_reason == "stop" and not msg.tool_calls
    assert msg.usage is not None and msg.usage.output == 6  # usage covers every choice, as the vendor bills it


def test_one_chunk_holding_several_choices_reads_index_0_wherever_it_is() -> None:
    two = {"id": "c", "choices": [
        {"index": 1, "delta": {"content": "B"}, "finish_reason": None},
        {"index": 0, "delta": {"content": "A"}, "finish_reason": "stop"},
    ]}  # fmt: skip
    msg = decode(codec, model(API), sse(two)).message
    assert msg.text == "A" and msg.stop_reason == "stop"


def test_groq_usage_only_in_x_groq_on_the_final_chunk_is_read() -> None:
    # Groq's documented stream: no top-level "usage"; the last chunk carries
    # x_groq.usage with OpenAI's field names plus Groq's timings.
    groq_usage = {
        "queue_time": 0.02, "prompt_tokens": 18, "prompt_time": 0.001, "completion_tokens": 7,
        "completion_time": 0.01, "total_tokens": 25, "total_time": 0.011,
    }  # fmt: skip
    last = {**chunk(finish="stop"), "x_groq": {"id": "req_01", "usage": groq_usage}}
    body = sse({**chunk({"content": "Hi"}), "x_groq": {"id": "req_01"}}, last)
    msg = decode(codec, model(API, provider="groq"), body).message
    assert msg.text == "Hi" and msg.usage is not None
    assert (msg.usage.input, msg.usage.output, msg.usage.total) == (18, 7, 25)
