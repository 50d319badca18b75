"""The stream decoder fed SSE event lists directly (no network)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from anthropic_cassettes import SIG, block, delta, end, start, stop, text, tool, usage

import aiwire
from aiwire import events as ev
from aiwire.types import AssistantMessage, ProviderContent, TextContent, ThinkingContent
from aiwire_anthropic.codec import AnthropicCodec

CODEC = AnthropicCodec()
MODEL = "claude-sonnet-4-5"


def decode(*events: dict[str, Any], named: bool = True) -> tuple[list[ev.Event], AssistantMessage]:
    dec = CODEC.decoder(aiwire.get_model("anthropic", MODEL), aiwire.Options())
    for e in events:
        dec.feed(e["type"] if named else "message", json.dumps(e).encode())
        if dec.terminated:
            break
    if not dec.terminated:
        dec.end_of_stream()
    return dec.drain(), dec.message


def test_events_in_order_for_text() -> None:
    events, msg = decode(start(MODEL, usage(3, 1)), *text(0, "a", "b"), *end("end_turn", 2))
    assert [type(e).__name__ for e in events] == ["TextStart", "TextDelta", "TextDelta", "TextEnd", "Done"]
    assert msg.text == "ab" and msg.usage is not None and msg.usage.output == 2


def test_streams_without_event_names_decode_the_same() -> None:
    wire = (start(MODEL, usage(3, 1)), *tool(0, "toolu_1", "f", '{"a"', ": 1}"), *end("tool_use", 5))
    _, named = decode(*wire)
    _, unnamed = decode(*wire, named=False)
    assert unnamed.content == named.content and unnamed.stop_reason == named.stop_reason == "tool_use"


@pytest.mark.parametrize(
    ("reason", "stop"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("pause_turn", "stop"),
        ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"),
        ("tool_use", "tool_use"),
        (None, "stop"),
    ],
)
def test_stop_reasons(reason: str | None, stop: str) -> None:
    _, msg = decode(start(MODEL, usage(1, 1)), *text(0, "x"), *end(reason, 1))
    assert msg.stop_reason == stop
    assert (msg.provider_data or {}).get("stop_reason") == reason


def test_refusal_is_an_error_with_a_clear_message() -> None:
    md = {
        "type": "message_delta",
        "delta": {
            "stop_reason": "refusal",
            "stop_details": {"type": "refusal", "category": "cyber", "explanation": "Not allowed."},
        },
        "usage": {"output_tokens": 3},
    }
    events, msg = decode(start(MODEL, usage(1, 1)), *text(0, "I can"), md, {"type": "message_stop"})
    assert isinstance(events[-1], ev.Error)
    assert msg.stop_reason == "error" and msg.error_type == "refusal"
    assert msg.error_message == "the model declined to respond (stop_reason refusal), category cyber: Not allowed."
    assert msg.text == "I can"


def test_stop_sequence_is_kept() -> None:
    md = {"type": "message_delta", "delta": {"stop_reason": "stop_sequence", "stop_sequence": "END"}}
    _, msg = decode(start(MODEL, usage(1, 1)), *text(0, "x"), md, {"type": "message_stop"})
    assert msg.provider_data == {"stop_reason": "stop_sequence", "stop_sequence": "END"}


def test_stream_cut_before_the_stop_reason_is_an_error() -> None:
    events, msg = decode(
        start(MODEL, usage(1, 1)),
        block(0, {"type": "text", "text": ""}),
        delta(0, {"type": "text_delta", "text": "par"}),
    )
    assert isinstance(events[-1], ev.Error) and msg.stop_reason == "error"
    assert msg.text == "par" and msg.usage is not None


def test_lost_message_stop_after_the_stop_reason_still_finishes() -> None:
    events, msg = decode(start(MODEL, usage(1, 1)), *text(0, "x"), end("end_turn", 1)[0])
    assert isinstance(events[-1], ev.Done) and msg.stop_reason == "stop"


def test_error_event_before_anything_has_no_usage() -> None:
    events, msg = decode({"type": "error", "error": {"type": "api_error", "message": "Internal"}})
    assert isinstance(events[-1], ev.Error)
    assert (msg.error_status, msg.error_type, msg.usage) == (500, "api_error", None)


def test_thinking_signature_and_empty_deltas() -> None:
    events, msg = decode(
        start(MODEL, usage(1, 1)),
        block(0, {"type": "thinking", "thinking": "", "signature": ""}),
        delta(0, {"type": "thinking_delta", "thinking": ""}),
        delta(0, {"type": "thinking_delta", "thinking": "hm"}),
        delta(0, {"type": "signature_delta", "signature": SIG}),
        stop(0),
        *end("end_turn", 1),
    )
    assert msg.content == [ThinkingContent(thinking="hm", signature=SIG)]
    assert sum(isinstance(e, ev.ThinkingDelta) for e in events) == 1


def test_citations_are_collected_on_text_blocks() -> None:
    cite = {"type": "web_search_result_location", "url": "https://example.com", "cited_text": "x"}
    _, msg = decode(
        start(MODEL, usage(1, 1)),
        block(0, {"type": "text", "text": "", "citations": []}),
        delta(0, {"type": "citations_delta", "citation": cite}),
        delta(0, {"type": "text_delta", "text": "cited"}),
        stop(0),
        *end("end_turn", 1),
    )
    assert msg.content == [TextContent(text="cited", citations=[cite])]


def test_server_tools_are_kept_with_their_streamed_input() -> None:
    result = {"type": "web_search_tool_result", "tool_use_id": "srv_1", "content": [{"type": "web_search_result"}]}
    events, msg = decode(
        start(MODEL, usage(1, 1)),
        block(0, {"type": "server_tool_use", "id": "srv_1", "name": "web_search", "input": {}}),
        delta(0, {"type": "input_json_delta", "partial_json": '{"query": '}),
        delta(0, {"type": "input_json_delta", "partial_json": '"weather"}'}),
        stop(0),
        block(1, result),
        stop(1),
        block(2, {"type": "some_future_block", "payload": 1}),
        delta(2, {"type": "some_future_delta", "x": 1}),
        stop(2),
        *end("end_turn", 1),
    )
    use, res, future = msg.content
    assert use == ProviderContent(
        api="anthropic-messages",
        kind="server_tool_use",
        data={"type": "server_tool_use", "id": "srv_1", "name": "web_search", "input": {"query": "weather"}},
    )
    assert isinstance(res, ProviderContent) and res.data == result
    assert isinstance(future, ProviderContent) and future.kind == "some_future_block"
    assert [type(e).__name__ for e in events] == ["Done"]
    assert msg.stop_reason == "stop"


def test_bad_server_tool_input_is_kept_raw() -> None:
    _, msg = decode(
        start(MODEL, usage(1, 1)),
        block(0, {"type": "server_tool_use", "id": "s", "name": "web_search", "input": {}}),
        delta(0, {"type": "input_json_delta", "partial_json": '{"query": "unterminated'}),
        stop(0),
        *end("end_turn", 1),
    )
    assert isinstance(msg.content[0], ProviderContent)
    assert msg.content[0].data["input"] == '{"query": "unterminated'


def test_invalid_tool_arguments_are_kept() -> None:
    _, msg = decode(start(MODEL, usage(1, 1)), *tool(0, "toolu_1", "f", '{"a": '), *end("max_tokens", 1))
    call = msg.tool_calls[0]
    assert call.arguments == {} and call.invalid_arguments == '{"a": '
    assert msg.stop_reason == "length"


def test_stray_and_mismatched_deltas_are_ignored() -> None:
    _, msg = decode(
        start(MODEL, usage(1, 1)),
        delta(7, {"type": "text_delta", "text": "orphan"}),
        block(0, {"type": "text", "text": ""}),
        delta(0, {"type": "input_json_delta", "partial_json": "{}"}),
        delta(0, {"type": "thinking_delta", "thinking": "no"}),
        delta(0, {"type": "text_delta", "text": "ok"}),
        stop(0),
        stop(3),
        *end("end_turn", 1),
    )
    assert msg.content == [TextContent(text="ok")]


def test_usage_updates_are_cumulative_and_reasoning_is_read() -> None:
    md = end("end_turn", 50, input_tokens=120, cache_read_input_tokens=7, output_tokens_details={"thinking_tokens": 30})
    _, msg = decode(start(MODEL, usage(100, 1, read=5)), *text(0, "x"), *md)
    u = msg.usage
    assert u is not None and (u.input, u.output, u.cache_read, u.reasoning) == (120, 50, 7, 30)


def test_whole_response_matches_the_stream() -> None:
    body = {
        "id": "msg_1",
        "content": [
            {"type": "thinking", "thinking": "t", "signature": SIG},
            {"type": "redacted_thinking", "data": "abc"},
            {"type": "text", "text": "hi", "citations": [{"type": "char_location", "cited_text": "c"}]},
            {"type": "server_tool_use", "id": "s", "name": "web_search", "input": {"query": "q"}},
            {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": [1, 2]}},
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 9, "output_tokens": 4, "cache_creation_input_tokens": 3},
    }
    m = aiwire.get_model("anthropic", MODEL)
    msg = CODEC.parse_response(m, aiwire.Options(), json.dumps(body).encode())
    assert msg.id == "msg_1" and msg.stop_reason == "tool_use"
    assert msg.content[0] == ThinkingContent(thinking="t", signature=SIG)
    assert msg.content[1] == ThinkingContent(thinking="", signature="abc", redacted=True)
    assert msg.content[2] == TextContent(text="hi", citations=[{"type": "char_location", "cited_text": "c"}])
    assert isinstance(msg.content[3], ProviderContent) and msg.content[3].data["input"] == {"query": "q"}
    assert msg.tool_calls[0].arguments == {"a": [1, 2]}
    assert msg.usage is not None and (msg.usage.input, msg.usage.cache_write) == (9, 3)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, b'{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}', "invalid request: bad"),
        (529, b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', "overloaded"),
        (502, b"<html>Bad Gateway</html>", "Anthropic server error: <html>Bad Gateway</html>"),
        (418, b"", "HTTP 418 with an empty body"),
    ],
)
def test_parse_error(status: int, body: bytes, expected: str) -> None:
    info = CODEC.parse_error(status, {}, body)
    assert expected in info.message


class _Chunks(httpx.SyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks


def test_abort_keeps_usage_from_message_start() -> None:
    wire = [start(MODEL, usage(321, 1, read=40)), *text(0, "one", "two", "three"), *end("end_turn", 9)]
    chunks = [f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in wire]
    transport = httpx.MockTransport(lambda request: httpx.Response(200, stream=_Chunks(chunks)))
    s = aiwire.stream_sync(f"anthropic/{MODEL}", "hi", api_key="test-key", transport=transport)
    for event in s:
        if isinstance(event, ev.TextDelta):
            break
    msg = s.result()
    assert msg.stop_reason == "aborted" and msg.text == "one"
    assert msg.usage is not None and (msg.usage.input, msg.usage.cache_read) == (321, 40)
