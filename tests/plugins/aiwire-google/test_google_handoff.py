"""Cross-provider handoff: contexts started on Anthropic or OpenAI continue on
Gemini, and Gemini's turns continue elsewhere.

The foreign turns here are hand-built in the shapes the Anthropic and OpenAI
plugins decode to (thinking with their signatures, redacted thinking,
``toolu_...`` and ``call_...|fc_...`` ids), so that Gemini-only cases (the
Gemini 3 skip sentinel, dropped redacted thinking) need no other plugin. The
same handoff with turns decoded by the real plugins, across every wire api, is
``tests/core/test_cross_provider.py``. The Gemini leg runs through the public
API with an in-process transport.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from gemini_helpers import chunk, sse

import aiwire
from aiwire import (
    AssistantMessage,
    Context,
    TextContent,
    ThinkingContent,
    Tool,
    ToolCall,
    ToolResultMessage,
    UserMessage,
)
from aiwire.testing import FauxProvider, text
from aiwire_google.request import SKIP_SIGNATURE

TOOL = Tool(name="lookup", parameters={"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]})
ANTHROPIC_TURN = AssistantMessage(
    content=[
        ThinkingContent(thinking="I should look this up.", signature="EqQBCkgIAxABGAIiQL2x...anthropic"),
        ThinkingContent(thinking="", signature="ErcBCkgIAx...redacted", redacted=True),
        TextContent(text="Looking it up."),
        ToolCall(id="toolu_01A09q90qw90lq917835lq9", name="lookup", arguments={"q": "gemini"}),
    ],
    api="anthropic-messages",
    provider="anthropic",
    model="claude-sonnet-4-5",
    stop_reason="tool_use",
)
OPENAI_TURN = AssistantMessage(
    content=[
        ThinkingContent(
            thinking="**Planning**", signature='{"type":"reasoning","id":"rs_68af","encrypted_content":"gAAA"}'
        ),
        ToolCall(id="call_Xy7|fc_68af0c2e", name="lookup", arguments={"q": "again"}),
    ],
    api="openai-responses",
    provider="openai",
    model="gpt-5",
    stop_reason="tool_use",
)
ANY_PROVIDER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # what Anthropic and OpenAI accept


def _history() -> Context:
    return Context(
        system_prompt="Be helpful.",
        tools=[TOOL],
        messages=[
            UserMessage(content="Find gemini."),
            ANTHROPIC_TURN,
            ToolResultMessage(
                tool_call_id="toolu_01A09q90qw90lq917835lq9", tool_name="lookup", content=[TextContent(text="found 1")]
            ),
            UserMessage(content="And again."),
            OPENAI_TURN,
            ToolResultMessage(
                tool_call_id="call_Xy7|fc_68af0c2e", tool_name="lookup", content=[TextContent(text="found 2")]
            ),
        ],
    )


class _Gemini(httpx.BaseTransport):
    """An in-process Gemini endpoint that records requests and streams replies."""

    def __init__(self, *bodies: bytes) -> None:
        self.bodies = list(bodies)
        self.requests: list[dict[str, Any]] = []
        self.transport = self

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert request.url.params.get("alt") == "sse"
        self.requests.append(json.loads(request.content))
        body = httpx.ByteStream(self.bodies.pop(0))
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=body)


def test_anthropic_and_openai_history_continues_on_gemini_and_back() -> None:
    ctx = _history()
    reply = sse(
        chunk({"text": "Both lookups worked.", "thoughtSignature": "R0VNSU5J"}),
        chunk({"functionCall": {"name": "lookup", "args": {"q": "third"}}}, finish="STOP"),
        crlf=True,
    )
    gemini = _Gemini(reply)
    msg = aiwire.stream_sync(
        "google/gemini-3-flash-preview", ctx, api_key="test-key", transport=gemini.transport
    ).result()
    assert msg.stop_reason == "tool_use" and msg.text == "Both lookups worked."

    sent = gemini.requests[0]["contents"]
    assert [c["role"] for c in sent] == ["user", "model", "user", "user", "model", "user"]
    anthropic_parts, openai_parts = sent[1]["parts"], sent[4]["parts"]
    # Foreign thinking becomes plain text, redacted thinking is dropped, no foreign signature leaks.
    assert anthropic_parts[0] == {"text": "I should look this up."}
    assert all("anthropic" not in json.dumps(p) for p in anthropic_parts)
    assert openai_parts[0] == {"text": "**Planning**"}
    assert "encrypted_content" not in json.dumps(sent)
    # Unsigned foreign calls carry the documented skip sentinel on Gemini 3.
    assert anthropic_parts[-1]["thoughtSignature"] == SKIP_SIGNATURE
    assert openai_parts[-1]["thoughtSignature"] == SKIP_SIGNATURE
    # Call ids and their results still pair up after normalisation.
    for model_turn, results in ((sent[1], sent[2]), (sent[4], sent[5])):
        call_id = model_turn["parts"][-1]["functionCall"]["id"]
        assert ANY_PROVIDER_ID.match(call_id)
        assert results["parts"][0]["functionResponse"]["id"] == call_id

    # Gemini's turn is plain aiwire data: it survives persistence, and its ids
    # and content fit what the other providers accept.
    ctx.messages.append(msg)
    ctx = aiwire.loads(aiwire.dumps(ctx), Context)
    (call,) = ctx.messages[-1].tool_calls  # type: ignore[union-attr]
    assert ANY_PROVIDER_ID.match(call.id)
    ctx.messages.append(
        ToolResultMessage(tool_call_id=call.id, tool_name="lookup", content=[TextContent(text="found 3")])
    )

    with FauxProvider("elsewhere") as other:
        other.reply(text("Back on another provider."))
        back = aiwire.complete_sync(other.model, ctx)
        assert back.text == "Back on another provider."
        seen = other.requests[0]["json"]["context"]["messages"]
        assert seen[-2]["role"] == "assistant" and seen[-2]["provider"] == "google"
        assert seen[-1]["tool_call_id"] == call.id


def test_gemini_turns_replay_their_own_signatures_on_the_next_gemini_call() -> None:
    first = sse(
        chunk(
            {"text": "thinking", "thought": True},
            {"functionCall": {"name": "lookup", "args": {"q": "x"}}, "thoughtSignature": "U0lHMQ=="},
        ),
        chunk(finish="STOP"),
    )
    second = sse(chunk({"text": "done"}, finish="STOP"))
    gemini = _Gemini(first, second)
    ctx = Context(tools=[TOOL], messages=[UserMessage(content="go")])
    m = "google/gemini-3-flash-preview"
    turn = aiwire.stream_sync(m, ctx, api_key="test-key", transport=gemini.transport).result()
    ctx.messages.append(turn)
    (call,) = turn.tool_calls
    ctx.messages.append(ToolResultMessage(tool_call_id=call.id, tool_name="lookup", content=[TextContent(text="r")]))
    aiwire.stream_sync(m, ctx, api_key="test-key", transport=gemini.transport).result()
    parts = gemini.requests[1]["contents"][1]["parts"]
    assert parts[0] == {"thought": True, "text": "thinking"}
    assert parts[1]["thoughtSignature"] == "U0lHMQ==" and parts[1]["functionCall"]["id"] == call.id
    # The same turn sent to a different Gemini model loses its signature.
    gemini2 = _Gemini(second)
    aiwire.stream_sync("google/gemini-2.5-flash", ctx, api_key="test-key", transport=gemini2.transport).result()
    assert "thoughtSignature" not in json.dumps(gemini2.requests[0])
