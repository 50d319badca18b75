"""The request rules (aiwire_anthropic.rules): each builds the request a
vendor would refuse and asserts the adapted one and its log record."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import aiwire
from aiwire._wire.codec import Credentials, Options, Request
from aiwire.types import (
    AssistantMessage,
    Context,
    Model,
    TextContent,
    ThinkingContent,
    Tool,
    ToolCall,
    ToolResultMessage,
    UserMessage,
)
from aiwire_anthropic.codec import AnthropicCodec
from aiwire_anthropic.rules import RULES, one_sampling_knob

CODEC = AnthropicCodec()
KEY = Credentials("sk-ant-test")
TOOL = Tool(name="lookup", description="Look up", parameters={"type": "object", "properties": {"q": {}}})


def model(id: str = "claude-sonnet-4-5") -> Model:
    return aiwire.get_model("anthropic", id)


def build(ctx: Context | str, m: Model | None = None, **opts: Any) -> Request:
    if isinstance(ctx, str):
        ctx = Context(messages=[UserMessage(content=ctx)])
    return CODEC.build_request(m or model(), ctx, Options(**opts), KEY)


def rules_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [getattr(r, "aiwire_rule", "") for r in caplog.records if r.name == "aiwire"]


def tool_loop(assistant: AssistantMessage) -> Context:
    return Context(
        tools=[TOOL],
        messages=[
            UserMessage(content="look it up"),
            assistant,
            ToolResultMessage(tool_call_id="call_1", tool_name="lookup", content=[TextContent(text="42")]),
        ],
    )


def foreign_turn() -> AssistantMessage:
    """A turn from another api: its thinking reaches Anthropic as text."""
    return AssistantMessage(
        content=[
            ThinkingContent(thinking="I should look it up.", signature='{"type":"reasoning","id":"rs_1"}'),
            ToolCall(id="call_1|fc_1", name="lookup", arguments={"q": "x"}),
        ],
        api="openai-responses",
        provider="openai",
        model="gpt-5",
        stop_reason="tool_use",
    )


def test_every_rule_cites_its_vendor_error_and_source() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    for r in RULES:
        assert r.id.startswith("anthropic.") and r.prevents and r.source.startswith("https://")
        assert r.action in ("adapt", "refuse") and r.does


@pytest.mark.parametrize("model_id", ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1", "claude-opus-4-6"])
def test_sampling_one_of_keeps_temperature_and_drops_top_p(model_id: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "aiwire")
    body = build("q", model(model_id), temperature=0.3, top_p=0.8).json
    assert body["temperature"] == 0.3 and "top_p" not in body
    assert "anthropic.sampling-one-of" in rules_logged(caplog)


def test_sampling_one_of_leaves_older_models_and_single_knobs_alone() -> None:
    assert not one_sampling_knob(model("claude-sonnet-4-0")) and not one_sampling_knob(model("claude-opus-4-0"))
    assert build("q", top_p=0.8).json["top_p"] == 0.8
    custom = aiwire.custom_model("claude-sonnet-4-5", provider="anthropic", compat={"sampling_one_of": False})
    body = build("q", custom, temperature=0.3, top_p=0.8).json
    assert (body["temperature"], body["top_p"]) == (0.3, 0.8)


@pytest.mark.parametrize("model_id", ["claude-sonnet-4-5", "claude-opus-4-6", "claude-opus-4-7"])
def test_thinking_first_handoff_mid_tool_loop_is_sent_without_thinking(
    model_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "aiwire")
    req = build(tool_loop(foreign_turn()), model(model_id), reasoning="high")
    body = req.json
    assert "thinking" not in body and "output_config" not in body
    assert "interleaved" not in req.headers.get("anthropic-beta", "")
    assistant = body["messages"][1]
    assert assistant["content"][0] == {"type": "text", "text": "I should look it up."}
    assert "anthropic.thinking-first" in rules_logged(caplog)


def test_thinking_first_keeps_the_same_models_signed_thinking(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "aiwire")
    own = AssistantMessage(
        content=[
            ThinkingContent(thinking="look it up", signature="EqSig=="),
            ToolCall(id="call_1", name="lookup", arguments={"q": "x"}),
        ],
        api="anthropic-messages",
        provider="anthropic",
        model="claude-sonnet-4-5",
        stop_reason="tool_use",
    )
    body = build(tool_loop(own), reasoning="high").json
    assert body["thinking"]["type"] == "enabled"
    assert body["messages"][1]["content"][0] == {"type": "thinking", "thinking": "look it up", "signature": "EqSig=="}
    assert "anthropic.thinking-first" not in rules_logged(caplog)


def test_thinking_first_only_applies_inside_an_open_tool_loop() -> None:
    ctx = tool_loop(foreign_turn())
    ctx.messages.append(UserMessage(content="thanks"))
    ctx.messages.insert(3, AssistantMessage(content=[TextContent(text="It is 42.")], api="x", provider="y", model="z"))
    assert build(ctx, reasoning="high").json["thinking"]["type"] == "enabled"


def test_thinking_with_forced_tool_and_sampling_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "aiwire")
    ctx = Context(messages=[UserMessage(content="q")], tools=[TOOL])
    body = build(ctx, reasoning="high", tool_choice="lookup").json
    assert "thinking" not in body and body["tool_choice"] == {"type": "tool", "name": "lookup"}
    body = build(ctx, reasoning="high", temperature=0.2, top_p=0.5).json
    assert "temperature" not in body and "top_p" not in body
    assert build(ctx, reasoning="high", top_p=0.97).json["top_p"] == 0.97
    assert rules_logged(caplog)[:2] == ["anthropic.thinking-forced-tool", "anthropic.thinking-sampling"]


def test_max_tokens_above_the_models_limit_is_clamped(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "aiwire")
    assert build("q", max_tokens=200_000).json["max_tokens"] == 64_000
    assert build("q", max_tokens=1000).json["max_tokens"] == 1000
    assert rules_logged(caplog) == ["anthropic.max-tokens-limit"]


def test_effort_a_model_lacks_is_clamped_with_a_record(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "aiwire")
    assert build("q", model("claude-opus-4-6"), reasoning="xhigh").json["output_config"] == {"effort": "max"}
    assert rules_logged(caplog) == ["anthropic.effort-levels"]


def test_whitespace_only_text_blocks_are_dropped() -> None:
    ctx = Context(
        system_prompt="  \n",
        tools=[TOOL],
        messages=[
            UserMessage(content=[TextContent(text="q"), TextContent(text=" \n ")]),
            AssistantMessage(
                content=[TextContent(text="\n\n"), ToolCall(id="c1", name="lookup", arguments={})],
                api="anthropic-messages",
                provider="anthropic",
                model="claude-sonnet-4-5",
            ),
            ToolResultMessage(tool_call_id="c1", tool_name="lookup", content=[TextContent(text=" ")]),
            UserMessage(content="\t"),
        ],
    )
    body = build(ctx, cache_retention="none").json
    assert "system" not in body
    texts = [b.get("text") for m in body["messages"] for b in m["content"] if b["type"] == "text"]
    assert texts == ["q"]
    assert body["messages"][2]["content"] == [{"type": "tool_result", "tool_use_id": "c1"}]


def test_the_provider_page_lists_every_rule() -> None:
    from pathlib import Path

    page = (Path(__file__).resolve().parents[3] / "docs" / "providers" / "anthropic.md").read_text()
    table = page.split("## Request rules", 1)[1]
    for r in RULES:
        assert f"`{r.id}`" in table, f"{r.id} is missing from docs/providers/anthropic.md"


def test_tool_blocks_without_tools_are_sent_as_text(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "aiwire")
    own = AssistantMessage(
        content=[TextContent(text="Checking."), ToolCall(id="call_1", name="lookup", arguments={"q": "x"})],
        api="anthropic-messages",
        provider="anthropic",
        model="claude-sonnet-4-5",
        stop_reason="tool_use",
    )
    loop = tool_loop(own)
    ctx = Context(messages=[*loop.messages, UserMessage(content="thanks; now without tools")])
    body = build(ctx).json
    blocks = [b for m in body["messages"] for b in m["content"]]
    assert all(b["type"] == "text" for b in blocks), blocks
    assert [b["text"] for b in blocks] == [
        "look it up",
        "Checking.",
        '[called tool lookup with {"q":"x"}]',
        "[tool lookup returned: 42]",
        "thanks; now without tools",
    ]
    assert "tools" not in body and "anthropic.tool-blocks-need-tools" in rules_logged(caplog)
    with_tools = build(loop).json  # tools defined: the blocks stay blocks
    assert [b["type"] for m in with_tools["messages"] for b in m["content"]] == [
        "text",
        "text",
        "tool_use",
        "tool_result",
    ]
