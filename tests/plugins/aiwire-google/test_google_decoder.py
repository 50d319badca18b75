"""The Gemini stream decoder, fed hand-written SSE bodies (no network)."""

from __future__ import annotations

import pytest
from gemini_helpers import chunk, decode, model, sse

import aiwire
from aiwire import events as ev
from aiwire_google.codec import GoogleCodec

USAGE = {"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15}


def kinds(events: list[object]) -> list[str]:
    return [type(e).__name__ for e in events]


def test_text_deltas_make_one_block_and_crlf_is_accepted() -> None:
    body = sse(chunk({"text": "Hel"}), chunk({"text": "lo"}), chunk({"text": "!"}, finish="STOP", usage=USAGE))
    msg, events = decode(body)
    assert kinds(events) == ["TextStart", "TextDelta", "TextDelta", "TextDelta", "TextEnd", "Done"]
    assert msg.text == "Hello!" and msg.stop_reason == "stop" and msg.id == "resp1"
    assert msg.usage is not None and (msg.usage.input, msg.usage.output, msg.usage.total) == (10, 5, 15)


def test_thoughts_then_text_with_signature_on_the_text_part() -> None:
    body = sse(
        chunk({"text": "Let me think", "thought": True}),
        chunk({"text": " more.", "thought": True}),
        chunk({"text": "Answer", "thoughtSignature": "c2lnMQ=="}),
        chunk({"text": ""}, finish="STOP", usage={**USAGE, "thoughtsTokenCount": 7}),
    )
    msg, events = decode(body)
    assert kinds(events)[:5] == ["ThinkingStart", "ThinkingDelta", "ThinkingDelta", "ThinkingEnd", "TextStart"]
    thinking, text = msg.content
    assert isinstance(thinking, aiwire.ThinkingContent) and thinking.thinking == "Let me think more."
    assert thinking.signature is None
    assert isinstance(text, aiwire.TextContent) and text.text == "Answer" and text.signature == "c2lnMQ=="
    assert msg.usage is not None and msg.usage.output == 12 and msg.usage.reasoning == 7


def test_a_second_signature_starts_a_new_block() -> None:
    body = sse(
        chunk({"text": "one", "thoughtSignature": "AAAA"}),
        chunk({"text": "two", "thoughtSignature": "BBBB"}),
        chunk({"text": "", "thoughtSignature": "CCCC"}, finish="STOP"),
    )
    msg, _ = decode(body)
    assert [(b.text, b.signature) for b in msg.content] == [("one", "AAAA"), ("two", "BBBB"), ("", "CCCC")]


def test_function_calls_arrive_whole_with_unique_synthesised_ids() -> None:
    body = sse(
        chunk(
            {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "U0lH"},
            {"functionCall": {"name": "get_weather", "args": {"city": "Rome"}}},
            {"functionCall": {"name": "clock"}},
        ),
        chunk({"text": ""}, finish="STOP", usage=USAGE),
    )
    msg, events = decode(body)
    assert kinds(events) == ["ToolCallStart", "ToolCallDelta", "ToolCallEnd"] * 3 + ["Done"]
    calls = msg.tool_calls
    assert [c.arguments for c in calls] == [{"city": "Paris"}, {"city": "Rome"}, {}]
    assert [c.signature for c in calls] == ["U0lH", None, None]
    assert len({c.id for c in calls}) == 3 and all(c.id.startswith("call_resp1_") for c in calls)
    assert msg.stop_reason == "tool_use"
    delta = events[1]
    assert isinstance(delta, ev.ToolCallDelta) and delta.arguments == {"city": "Paris"}


def test_api_ids_are_kept_and_duplicates_made_unique() -> None:
    body = sse(
        chunk({"functionCall": {"name": "a", "id": "x1"}}, {"functionCall": {"name": "b", "id": "x1"}}),
        chunk(finish="STOP"),
    )
    msg, _ = decode(body)
    ids = [c.id for c in msg.tool_calls]
    assert ids[0] == "x1" and ids[1] != "x1" and ids[1].startswith("x1_")


def test_cached_tokens_are_not_counted_twice() -> None:
    usage = {
        "promptTokenCount": 3520,
        "cachedContentTokenCount": 3512,
        "candidatesTokenCount": 2,
        "thoughtsTokenCount": 42,
        "totalTokenCount": 3564,
    }
    msg, _ = decode(sse(chunk({"text": "Paris."}, finish="STOP", usage=usage)))
    u = msg.usage
    assert u is not None
    assert (u.input, u.cache_read, u.output, u.reasoning) == (8, 3512, 44, 42)
    assert u.total == 3564


def test_tool_use_prompt_tokens_count_as_input() -> None:
    usage = {"promptTokenCount": 17, "toolUsePromptTokenCount": 102, "candidatesTokenCount": 5, "totalTokenCount": 124}
    msg, _ = decode(sse(chunk({"text": "x"}, finish="STOP", usage=usage)))
    assert msg.usage is not None and msg.usage.input == 119 and msg.usage.total == 124


def test_no_usage_on_the_wire_means_none() -> None:
    msg, _ = decode(sse(chunk({"text": "x"}, finish="STOP")))
    assert msg.usage is None


def test_usage_cost_uses_the_model_prices() -> None:
    m = model(cost=aiwire.ModelCost(input=1.0, output=2.0, cache_read=0.5))
    usage = {"promptTokenCount": 1_000_000, "cachedContentTokenCount": 500_000, "candidatesTokenCount": 1_000_000}
    msg, _ = decode(sse(chunk({"text": "x"}, finish="STOP", usage=usage)), m)
    assert msg.usage is not None and msg.usage.cost.total == pytest.approx(0.5 + 0.25 + 2.0)


def test_max_tokens_is_length() -> None:
    msg, events = decode(sse(chunk({"text": "trunc"}, finish="MAX_TOKENS", usage=USAGE)))
    assert msg.stop_reason == "length" and isinstance(events[-1], ev.Done)


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("SAFETY", "safety filters"),
        ("RECITATION", "RECITATION"),
        ("MALFORMED_FUNCTION_CALL", "could not be parsed"),
        ("PROHIBITED_CONTENT", "prohibited content"),
        ("SOMETHING_NEW", "SOMETHING_NEW"),
    ],
)
def test_abnormal_finish_reasons_are_readable_errors(reason: str, words: str) -> None:
    cand_chunk = chunk({"text": "partial"}, finish=reason, usage=USAGE)
    cand_chunk["candidates"][0]["safetyRatings"] = [
        {"category": "HARM_CATEGORY_HARASSMENT", "probability": "HIGH", "blocked": True}
    ]
    cand_chunk["candidates"][0]["finishMessage"] = "details here"
    msg, events = decode(sse(cand_chunk))
    assert isinstance(events[-1], ev.Error)
    assert msg.stop_reason == "error" and msg.error_type == reason.lower()
    assert msg.error_message is not None and words in msg.error_message and "details here" in msg.error_message
    assert "harassment" in msg.error_message
    assert msg.text == "partial" and msg.usage is not None


def test_blocked_prompt_is_a_readable_error() -> None:
    body = sse(
        {"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"promptTokenCount": 9, "totalTokenCount": 9}}
    )
    msg, events = decode(body)
    assert isinstance(events[-1], ev.Error)
    assert msg.error_message is not None and "blocked the prompt" in msg.error_message and "safety" in msg.error_message
    assert msg.error_type == "blocked_prompt:SAFETY"
    assert msg.usage is not None and msg.usage.input == 9


def test_error_chunk_in_the_stream() -> None:
    body = sse(
        chunk({"text": "so far"}),
        {"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}},
    )
    msg, _ = decode(body)
    assert msg.stop_reason == "error" and msg.error_status == 503 and msg.error_type == "UNAVAILABLE"
    assert msg.text == "so far" and msg.error_message is not None and "overloaded" in msg.error_message


def test_stream_without_finish_reason_is_an_error() -> None:
    msg, _ = decode(sse(chunk({"text": "cut"})))
    assert msg.stop_reason == "error" and msg.text == "cut"


def test_code_execution_parts_are_kept_as_provider_content() -> None:
    body = sse(
        chunk({"executableCode": {"language": "PYTHON", "code": "print(1)"}, "thoughtSignature": "QUJD"}),
        chunk({"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "1\n"}}),
        chunk({"text": "It prints 1."}, finish="STOP"),
    )
    msg, events = decode(body)
    code, result, text = msg.content
    assert isinstance(code, aiwire.ProviderContent) and code.kind == "executableCode"
    assert code.data == {"executableCode": {"language": "PYTHON", "code": "print(1)"}, "thoughtSignature": "QUJD"}
    assert code.text is not None and "print(1)" in code.text
    assert isinstance(result, aiwire.ProviderContent) and result.kind == "codeExecutionResult"
    assert isinstance(text, aiwire.TextContent)
    assert kinds(events)[0] == "TextStart"  # provider blocks emit no events


def test_grounding_metadata_lands_in_provider_data() -> None:
    c = chunk({"text": "sunny"}, finish="STOP")
    c["candidates"][0]["groundingMetadata"] = {"webSearchQueries": ["weather"]}
    msg, _ = decode(sse(c))
    assert msg.provider_data == {"groundingMetadata": {"webSearchQueries": ["weather"]}}


def test_unknown_fields_are_ignored() -> None:
    c = chunk({"text": "ok", "futureField": 1}, finish="STOP", usage={**USAGE, "trafficType": "ON_DEMAND"})
    c["newTopLevel"] = {"a": 1}
    msg, _ = decode(sse(c))
    assert msg.text == "ok" and msg.stop_reason == "stop"


def test_parse_response_reads_a_whole_body() -> None:
    import json

    body = json.dumps(chunk({"text": "whole", "thoughtSignature": "WFla"}, finish="STOP", usage=USAGE)).encode()
    msg = GoogleCodec().parse_response(model(), aiwire.Options(), body)
    assert msg.text == "whole" and msg.content[0].signature == "WFla"  # type: ignore[union-attr]
    assert msg.stop_reason == "stop" and msg.usage is not None


def test_usage_without_prompt_token_count_still_gives_output_and_reasoning() -> None:
    # Every usageMetadata field is optional in the documented UsageMetadata
    # type; a final chunk with only candidates and thoughts counts must count.
    usage = {"candidatesTokenCount": 5, "thoughtsTokenCount": 3}
    msg, _ = decode(sse(chunk({"text": "x"}, finish="STOP", usage=usage)))
    assert msg.usage is not None
    assert (msg.usage.input, msg.usage.output, msg.usage.reasoning, msg.usage.total) == (0, 8, 3, 8)
