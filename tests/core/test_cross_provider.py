"""Cross-provider handoff with the real wire plugins, through the public API.

One conversation runs Anthropic -> OpenAI Responses -> OpenAI Chat
Completions -> Gemini -> Anthropic, each turn thinking (with the provider's
own signature) and calling a tool. Every target is an in-process transport
that records the request and streams a reply in its vendor's wire format.
Each request is checked against its api's rules: no signature from another
model, other models' thinking as plain text, tool-call ids that the api
accepts with every result paired to its call, and every user text and tool
result of the conversation present.

A handoff into Anthropic with thinking on in the middle of a tool loop, from
each other api, must satisfy Anthropic's thinking-first rule (rule
``anthropic.thinking-first``): that request goes without thinking, unless the
open turn is Claude's own with its signed thinking.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import aiwire
from aiwire import AssistantMessage, Context, TextContent, ThinkingContent, Tool, ToolResultMessage, UserMessage

for _plugin in ("aiwire_anthropic", "aiwire_openai", "aiwire_google"):
    pytest.importorskip(_plugin, reason=f"the cross-provider handoff needs the {_plugin} plugin installed")

TOOL = Tool(
    name="get_weather",
    description="Weather for a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
CLAUDE = "anthropic/claude-sonnet-4-5"
GPT5 = "openai/gpt-5"
GEMINI = "google/gemini-2.5-pro"
# Thinking text and signature of each model's turn; a signature must never
# reach another model.
THOUGHT = {
    "claude": ("Paris first, with the weather tool.", "EqQBClaudeOnlySignature0123456789=="),
    "gpt5": ("**Checking Oslo** next.", "gAAAA-gpt5-encrypted-reasoning"),
    "gemini": ("Berlin remains.", "R2VtaW5pT25seVNpZ25hdHVyZQ=="),
}
LEG = {"claude": 0, "gpt5": 1, "gemini": 3}  # which turn each thinking model takes
USER_TEXTS = ["What is the weather in Paris?", "And in Oslo?", "Rome?", "Berlin too.", "Sum it up."]
RESULTS = ["Paris: 18 C", "Oslo: -3 C", "Rome: 25 C", "Berlin: 12 C"]
ANTHROPIC_ID = re.compile(r"^[a-zA-Z0-9_-]+$")  # the Messages API's tool_use id pattern
OPENAI_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


# -- replies in each vendor's wire format ----------------------------------------


def _sse(events: list[dict[str, Any]], *, named: bool) -> bytes:
    out = []
    for e in events:
        head = f"event: {e['type']}\n" if named else ""
        out.append(f"{head}data: {json.dumps(e)}\n\n")
    return "".join(out).encode()


def anthropic_reply(thinking: bool, text: str, call: tuple[str, str] | None) -> bytes:
    usage = {"input_tokens": 50, "output_tokens": 20, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}
    message = {"id": "msg_01X", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5", "content": []}
    events: list[dict[str, Any]] = [{"type": "message_start", "message": {**message, "usage": usage}}]
    blocks: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    if thinking:
        thought, sig = THOUGHT["claude"]
        deltas = [{"type": "thinking_delta", "thinking": thought}, {"type": "signature_delta", "signature": sig}]
        blocks.append(({"type": "thinking", "thinking": "", "signature": ""}, deltas))
    blocks.append(({"type": "text", "text": ""}, [{"type": "text_delta", "text": text}]))
    if call:
        args = {"type": "input_json_delta", "partial_json": json.dumps({"city": call[1]})}
        blocks.append(({"type": "tool_use", "id": call[0], "name": "get_weather", "input": {}}, [args]))
    for i, (start, deltas) in enumerate(blocks):
        events.append({"type": "content_block_start", "index": i, "content_block": start})
        events += [{"type": "content_block_delta", "index": i, "delta": d} for d in deltas]
        events.append({"type": "content_block_stop", "index": i})
    stop = "tool_use" if call else "end_turn"
    events.append({"type": "message_delta", "delta": {"stop_reason": stop}, "usage": {"output_tokens": 20}})
    events.append({"type": "message_stop"})
    return _sse(events, named=True)


def responses_reply() -> bytes:
    thought, encrypted = THOUGHT["gpt5"]
    reasoning = {"id": "rs_1", "type": "reasoning", "encrypted_content": encrypted, "summary": []}
    call = {"id": "fc_oslo", "type": "function_call", "call_id": "call_oslo", "name": "get_weather", "arguments": ""}
    args = json.dumps({"city": "Oslo"})
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": {"id": "resp_1", "status": "in_progress", "output": []}},
        {"type": "response.output_item.added", "output_index": 0, "item": reasoning},
        {"type": "response.reasoning_summary_text.delta", "item_id": "rs_1", "summary_index": 0, "delta": thought},
        {
            "type": "response.output_item.done",
            "output_index": 0,
            "item": {**reasoning, "summary": [{"type": "summary_text", "text": thought}]},
        },
        {"type": "response.output_item.added", "output_index": 1, "item": call},
        {"type": "response.function_call_arguments.delta", "item_id": "fc_oslo", "output_index": 1, "delta": args},
        {"type": "response.output_item.done", "output_index": 1, "item": {**call, "arguments": args}},
        {
            "type": "response.completed",
            "response": {
                "id": "resp_1",
                "status": "completed",
                "output": [],
                "usage": {"input_tokens": 90, "output_tokens": 30, "total_tokens": 120},
            },
        },
    ]
    return _sse(events, named=True)


def chat_reply() -> bytes:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "model": "gpt-4.1",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    call = {"index": 0, "id": "call_rome", "type": "function", "function": {"name": "get_weather", "arguments": ""}}
    args = {"index": 0, "function": {"arguments": json.dumps({"city": "Rome"})}}
    events = [
        chunk({"role": "assistant", "content": "Checking Rome."}),
        chunk({"tool_calls": [call]}),
        chunk({"tool_calls": [args]}),
        chunk({}, "tool_calls"),
        {
            "id": "chatcmpl-1",
            "choices": [],
            "usage": {"prompt_tokens": 120, "completion_tokens": 9, "total_tokens": 129},
        },
    ]
    return _sse(events, named=False) + b"data: [DONE]\n\n"


def gemini_reply() -> bytes:
    thought, sig = THOUGHT["gemini"]
    parts = [
        {"text": thought, "thought": True},
        {"functionCall": {"name": "get_weather", "args": {"city": "Berlin"}}, "thoughtSignature": sig},
    ]
    body = {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 150, "candidatesTokenCount": 12, "totalTokenCount": 162},
        "modelVersion": "gemini-2.5-pro",
    }
    return _sse([body], named=False)


class Endpoint(httpx.BaseTransport):
    """An in-process vendor endpoint: records the request, streams ``body``."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=httpx.ByteStream(self.body))


def turn(model: aiwire.Model | str, ctx: Context, body: bytes) -> tuple[AssistantMessage, dict[str, Any]]:
    endpoint = Endpoint(body)
    msg = aiwire.stream_sync(model, ctx, api_key="test-key", transport=endpoint).result()
    assert msg.stop_reason in ("tool_use", "stop"), msg.error_message
    (request,) = endpoint.requests
    return msg, json.loads(request.content)


# -- checks -------------------------------------------------------------------------


def strings(obj: Any) -> Iterator[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from strings(v)


def check_common(body: dict[str, Any], users: int, results: int, own: str | None = None) -> None:
    """Every user text and tool result so far arrives; no foreign signature does;
    the thinking of every other model arrives (as text, checked per api)."""
    found = list(strings(body))
    for text in [*USER_TEXTS[:users], *RESULTS[:results]]:
        assert any(text in s for s in found), f"{text!r} did not reach the target"
    for name, (thought, sig) in THOUGHT.items():
        if name == own:
            continue
        assert not any(sig in s for s in found), f"{name}'s signature leaked into another model's request"
        if results > LEG[name]:  # that model has had its turn
            assert any(thought in s for s in found), f"{name}'s thinking was lost"


def check_anthropic(body: dict[str, Any], calls: int) -> None:
    msgs = body["messages"]
    assert msgs[0]["role"] == "user"
    uses: list[str] = []
    for i, m in enumerate(msgs):
        blocks = m["content"] if isinstance(m["content"], list) else [{"type": "text", "text": m["content"]}]
        if m["role"] == "assistant":
            for b in blocks:
                if b["type"] == "thinking":  # only its own, signed
                    assert (b["thinking"], b["signature"]) == THOUGHT["claude"]
                assert b["type"] in ("thinking", "text", "tool_use"), b
            ids = [b["id"] for b in blocks if b["type"] == "tool_use"]
            if ids:
                assert all(ANTHROPIC_ID.match(x) for x in ids), ids
                answered = [b["tool_use_id"] for b in msgs[i + 1]["content"] if b["type"] == "tool_result"]
                assert msgs[i + 1]["role"] == "user" and answered == ids, "tool results must follow their calls"
            uses += ids
    assert len(uses) == len(set(uses)) == calls


def check_responses(body: dict[str, Any], calls: int) -> None:
    made: list[str] = []
    for item in body["input"]:
        kind = item.get("type")
        assert kind != "reasoning", "another model's reasoning item was sent"
        if kind == "function_call":
            assert OPENAI_ID.match(item["call_id"]) and item.get("id", "fc").startswith("fc")
            made.append(item["call_id"])
        elif kind == "function_call_output":
            assert item["call_id"] in made, f"output for unknown call {item['call_id']}"
        else:
            assert item["role"] in ("user", "assistant", "developer", "system"), item
    assert len(made) == len(set(made)) == calls


def check_chat(body: dict[str, Any], calls: int) -> None:
    made: list[str] = []
    msgs = body["messages"]
    for i, m in enumerate(msgs):
        assert not any("reasoning" in k or "signature" in k for k in m), f"foreign reasoning field in {m}"
        ids = [c["id"] for c in m.get("tool_calls") or ()]
        if ids:
            assert all(OPENAI_ID.match(x) and len(x) <= 40 for x in ids), ids
            answers = [r["tool_call_id"] for r in msgs[i + 1 : i + 1 + len(ids)] if r["role"] == "tool"]
            assert answers == ids, "every tool call must be answered right after it"
        made += ids
    assert len(made) == len(set(made)) == calls


def check_gemini(body: dict[str, Any], calls: int) -> None:
    contents = body["contents"]
    made = 0
    for i, c in enumerate(contents):
        assert c["role"] in ("user", "model")
        for p in c["parts"]:
            assert "thought" not in p and "thoughtSignature" not in p, f"foreign thought part {p}"
        fcalls = [p["functionCall"] for p in c["parts"] if "functionCall" in p]
        if fcalls:
            responses = [p["functionResponse"] for p in contents[i + 1]["parts"] if "functionResponse" in p]
            assert [(f["name"], f.get("id")) for f in fcalls] == [(r["name"], r.get("id")) for r in responses]
        made += len(fcalls)
    assert made == calls


# -- the conversation -----------------------------------------------------------


def _answer(ctx: Context, msg: AssistantMessage, result: str, user: str) -> None:
    (call,) = msg.tool_calls
    ctx.messages += [
        msg,
        ToolResultMessage(tool_call_id=call.id, tool_name=call.name, content=[TextContent(text=result)]),
        UserMessage(content=user),
    ]


def test_a_conversation_travels_across_every_wire_api_and_back() -> None:
    ctx = Context(system_prompt="Answer briefly.", tools=[TOOL], messages=[UserMessage(content=USER_TEXTS[0])])

    claude, body = turn(CLAUDE, ctx, anthropic_reply(True, "Let me check.", ("toolu_01Paris", "Paris")))
    check_anthropic(body, calls=0)
    assert isinstance(claude.content[0], ThinkingContent) and claude.content[0].signature == THOUGHT["claude"][1]
    _answer(ctx, claude, RESULTS[0], USER_TEXTS[1])

    gpt5, body = turn(GPT5, ctx, responses_reply())
    check_responses(body, calls=1)
    check_common(body, users=2, results=1)
    assert gpt5.tool_calls[0].id == "call_oslo|fc_oslo"
    _answer(ctx, gpt5, RESULTS[1], USER_TEXTS[2])

    chat_model = aiwire.custom_model("gpt-4.1", provider="openai", api="openai-completions")
    gpt41, body = turn(chat_model, ctx, chat_reply())
    check_chat(body, calls=2)
    check_common(body, users=3, results=2)
    _answer(ctx, gpt41, RESULTS[2], USER_TEXTS[3])

    gemini, body = turn(GEMINI, ctx, gemini_reply())
    check_gemini(body, calls=3)
    check_common(body, users=4, results=3)
    assert gemini.content[-1].signature == THOUGHT["gemini"][1]  # type: ignore[union-attr]
    _answer(ctx, gemini, RESULTS[3], USER_TEXTS[4])

    # The conversation is plain data: persisted and reloaded, it goes home.
    ctx = aiwire.loads(aiwire.dumps(ctx), Context)
    final, body = turn(CLAUDE, ctx, anthropic_reply(False, "Paris 18, Oslo -3, Rome 25, Berlin 12.", None))
    check_anthropic(body, calls=4)
    check_common(body, users=5, results=4, own="claude")
    # Claude gets its own signed thinking back; the others' as plain text.
    sent = json.dumps(body)
    assert THOUGHT["claude"][1] in sent
    texts = [
        b["text"]
        for m in body["messages"]
        if isinstance(m["content"], list)
        for b in m["content"]
        if b["type"] == "text"
    ]
    assert THOUGHT["gpt5"][0] in texts and THOUGHT["gemini"][0] in texts
    assert final.text.startswith("Paris 18")


@pytest.mark.parametrize("target", [GPT5, "chat", GEMINI])
def test_an_anthropic_turn_continues_directly_on(target: str) -> None:
    """Each target straight after Claude: thinking as text, the call paired."""
    ctx = Context(tools=[TOOL], messages=[UserMessage(content=USER_TEXTS[0])])
    claude, _ = turn(CLAUDE, ctx, anthropic_reply(True, "Let me check.", ("toolu_01Paris", "Paris")))
    _answer(ctx, claude, RESULTS[0], USER_TEXTS[1])
    if target == GPT5:
        _, body = turn(GPT5, ctx, responses_reply())
        check_responses(body, calls=1)
        assert {"role": "assistant", "content": THOUGHT["claude"][0]} in body["input"]
    elif target == GEMINI:
        _, body = turn(GEMINI, ctx, gemini_reply())
        check_gemini(body, calls=1)
        assert {"text": THOUGHT["claude"][0]} in body["contents"][1]["parts"]
    else:
        chat_model = aiwire.custom_model("gpt-4.1", provider="openai", api="openai-completions")
        _, body = turn(chat_model, ctx, chat_reply())
        check_chat(body, calls=1)
        (assistant,) = [m for m in body["messages"] if m["role"] == "assistant"]
        # One content string: the thinking is its own paragraph, not run into the reply.
        assert assistant["content"] == f"{THOUGHT['claude'][0]}\n\nLet me check."
    check_common(body, users=2, results=1)


# -- handoff into Anthropic with thinking on, in the middle of a tool loop ----------


def check_thinking_first(body: dict[str, Any]) -> None:
    """Anthropic's rule: with thinking on, the assistant turn before the
    pending tool results starts with a thinking block."""
    if "thinking" not in body:
        return
    msgs = body["messages"]
    if msgs[-1]["role"] == "user" and any(b["type"] == "tool_result" for b in msgs[-1]["content"]):
        first = msgs[-2]["content"][0]["type"]
        assert first in ("thinking", "redacted_thinking"), f"thinking on, but the tool turn starts with {first}"


def _mid_loop(source: str) -> Context:
    """A conversation whose last turn is ``source`` calling the tool, answered."""
    ctx = Context(system_prompt="Answer briefly.", tools=[TOOL], messages=[UserMessage(content=USER_TEXTS[0])])
    if source == "responses":
        msg, _ = turn(GPT5, ctx, responses_reply())
    elif source == "gemini":
        msg, _ = turn(GEMINI, ctx, gemini_reply())
    elif source == "chat":
        msg, _ = turn(aiwire.custom_model("gpt-4.1", provider="openai", api="openai-completions"), ctx, chat_reply())
    else:
        msg, _ = turn(CLAUDE, ctx, anthropic_reply(True, "Let me check.", ("toolu_01Paris", "Paris")))
    (call,) = msg.tool_calls
    ctx.messages += [
        msg,
        ToolResultMessage(tool_call_id=call.id, tool_name=call.name, content=[TextContent(text="ok")]),
    ]
    return ctx


def _to_claude(target: str, ctx: Context) -> dict[str, Any]:
    endpoint = Endpoint(anthropic_reply(True, "All done.", None))
    msg = aiwire.stream_sync(target, ctx, api_key="test-key", transport=endpoint, reasoning="high").result()
    assert msg.stop_reason == "stop", msg.error_message
    (request,) = endpoint.requests
    body: dict[str, Any] = json.loads(request.content)
    return body


@pytest.mark.parametrize("target", [CLAUDE, "anthropic/claude-opus-4-6", "anthropic/claude-opus-4-7"])
@pytest.mark.parametrize("source", ["responses", "chat", "gemini"])
def test_a_handoff_into_anthropic_mid_tool_loop_with_thinking_on(source: str, target: str) -> None:
    body = _to_claude(target, _mid_loop(source))
    check_thinking_first(body)
    check_anthropic(body, calls=1)
    # Another model's turn cannot start with Anthropic thinking: that request goes without.
    assert "thinking" not in body and "output_config" not in body


def test_claude_mid_tool_loop_keeps_its_own_signed_thinking() -> None:
    body = _to_claude(CLAUDE, _mid_loop("anthropic"))
    check_thinking_first(body)
    assert body["thinking"]["type"] == "enabled"
    assert body["messages"][1]["content"][0] == {
        "type": "thinking",
        "thinking": THOUGHT["claude"][0],
        "signature": THOUGHT["claude"][1],
    }
