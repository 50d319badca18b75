"""The request rules (aiwire_openai.rules) on Chat Completions and Responses:
each builds the request the server would refuse and asserts the adapted one
and its log record."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import aiwire
from aiwire._wire.codec import Credentials, Options
from aiwire.types import AssistantMessage, Context, Model, TextContent, ThinkingContent, Tool, ToolCall, UserMessage
from aiwire_openai.completions import CompletionsCodec
from aiwire_openai.responses import ResponsesCodec
from aiwire_openai.rules import RULES

KEY = Credentials("sk-test")
CODECS = {"openai-completions": CompletionsCodec(), "openai-responses": ResponsesCodec()}
APIS = list(CODECS)
TOOL = Tool(name="f", description="d", parameters={"type": "object", "properties": {}})


def model(id: str, api: str, provider: str = "openai") -> Model:
    m = aiwire.get_model(provider, id)
    return aiwire.Model(**{**{f: getattr(m, f) for f in m.__struct_fields__}, "api": api})


def build(m: Model, ctx: Context | None = None, **opts: Any) -> dict[str, Any]:
    ctx = ctx or Context(messages=[UserMessage(content="hi")])
    body: dict[str, Any] = CODECS[m.api].build_request(m, ctx, Options(**opts), KEY).json
    return body


def effort_of(body: dict[str, Any]) -> str | None:
    if "reasoning_effort" in body:
        return str(body["reasoning_effort"])
    return body.get("reasoning", {}).get("effort")


def rules_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [getattr(r, "aiwire_rule", "") for r in caplog.records if r.name == "aiwire"]


def test_every_rule_cites_its_vendor_error_and_source() -> None:
    assert len({r.id for r in RULES}) == len(RULES)
    for r in RULES:
        assert r.prevents and r.source.startswith("https://") and r.action in ("adapt", "refuse") and r.does


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("model_id", ["gpt-5", "o3", "o4-mini", "gpt-5.2"])
def test_reasoning_models_get_no_sampling_options(api: str, model_id: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "aiwire")
    body = build(model(model_id, api), temperature=0.2, top_p=0.9, reasoning="medium")
    assert "temperature" not in body and "top_p" not in body
    assert "openai.reasoning-sampling" in rules_logged(caplog)


@pytest.mark.parametrize("api", APIS)
def test_sampling_stays_where_it_is_accepted(api: str) -> None:
    # gpt-5.1 and later take temperature with effort none; non-reasoning models always.
    body = build(model("gpt-5.2", api), temperature=0.2, reasoning="off")
    assert body["temperature"] == 0.2 and effort_of(body) == "none"
    assert build(model("gpt-4.1", api), temperature=0.2, top_p=0.5)["top_p"] == 0.5


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize(
    ("model_id", "level", "sent"),
    [
        ("gpt-5", "xhigh", "high"),
        ("o3", "minimal", "low"),
        ("o3", "xhigh", "high"),
        ("gpt-5.1", "minimal", "low"),
        ("gpt-5-pro", "low", "high"),
        ("gpt-5.1-chat-latest", "high", "medium"),
        ("gpt-5-codex", "minimal", "low"),
    ],
)
def test_effort_levels_are_clamped_to_the_models(
    api: str, model_id: str, level: str, sent: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "aiwire")
    assert effort_of(build(model(model_id, api), reasoning=level)) == sent
    assert rules_logged(caplog) == ["openai.effort-levels"]


@pytest.mark.parametrize("api", APIS)
def test_supported_efforts_and_other_hosts_pass_unchanged(api: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "aiwire")
    assert effort_of(build(model("gpt-5", api), reasoning="minimal")) == "minimal"
    assert effort_of(build(model("gpt-5.2", api), reasoning="xhigh")) == "xhigh"
    routed = model("openai/gpt-5.2", api, provider="openrouter") if api == "openai-completions" else None
    if routed is not None:  # OpenRouter maps every level itself
        assert build(routed, reasoning="minimal")["reasoning"] == {"effort": "minimal"}
    custom = aiwire.custom_model("o3", provider="openai", api=api, reasoning=True, compat={"efforts": ["high"]})
    assert effort_of(build(custom, reasoning="low")) == "high"
    assert rules_logged(caplog) == ["openai.effort-levels"]


@pytest.mark.parametrize("api", APIS)
def test_max_tokens_above_the_models_limit_is_clamped(api: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "aiwire")
    body = build(model("gpt-4.1", api), max_tokens=1_000_000)
    field = "max_output_tokens" if api == "openai-responses" else "max_completion_tokens"
    assert body[field] == aiwire.get_model("openai", "gpt-4.1").max_tokens
    assert rules_logged(caplog) == ["openai.max-tokens-limit"]


@pytest.mark.parametrize("api", APIS)
def test_tool_choice_without_tools_is_not_sent(api: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "aiwire")
    assert "tool_choice" not in build(model("gpt-4.1", api), tool_choice="required")
    with_tools = Context(tools=[TOOL], messages=[UserMessage(content="hi")])
    assert build(model("gpt-4.1", api), with_tools, tool_choice="required")["tool_choice"] == "required"
    assert rules_logged(caplog) == ["openai.tool-choice-without-tools"]


def _responses_turn(*content: Any) -> Context:
    turn = AssistantMessage(
        content=list(content), api="openai-responses", provider="openai", model="gpt-5", stop_reason="tool_use"
    )
    return Context(tools=[TOOL], messages=[UserMessage(content="go"), turn, UserMessage(content="next")])


REASONING = '{"type":"reasoning","id":"rs_1","summary":[],"encrypted_content":"gAAA"}'
NO_CONTENT = '{"type":"reasoning","id":"rs_2","summary":[]}'


def test_responses_reasoning_goes_with_its_following_item(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "aiwire")
    m = model("gpt-5", "openai-responses")
    paired = build(m, _responses_turn(ThinkingContent(thinking="t", signature=REASONING), TextContent(text="ok")))
    assert [i.get("type", i.get("role")) for i in paired["input"]] == ["user", "reasoning", "assistant", "user"]
    # A reasoning item that nothing of its turn follows is not sent.
    alone = build(m, _responses_turn(ThinkingContent(thinking="t", signature=REASONING), TextContent(text="")))
    assert [i.get("type", i.get("role")) for i in alone["input"]] == ["user", "user"]
    assert rules_logged(caplog) == ["openai-responses.reasoning-pairs"]


def test_responses_items_lose_ids_when_their_reasoning_cannot_be_sent(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "aiwire")
    ctx = _responses_turn(
        ThinkingContent(thinking="t", signature=NO_CONTENT),
        TextContent(text="ok", signature='{"v":1,"id":"msg_1"}'),
        ToolCall(id="call_1|fc_1", name="f", arguments={}),
    )
    items = build(model("gpt-5", "openai-responses"), ctx)["input"]
    assert not any(i.get("type") == "reasoning" for i in items)
    assert {"role": "assistant", "content": "ok"} in items
    (call,) = [i for i in items if i.get("type") == "function_call"]
    assert call["call_id"] == "call_1" and "id" not in call
    assert rules_logged(caplog) == ["openai-responses.reasoning-pairs"]


def test_responses_same_turn_with_its_reasoning_keeps_every_id() -> None:
    ctx = _responses_turn(
        ThinkingContent(thinking="t", signature=REASONING), ToolCall(id="call_1|fc_1", name="f", arguments={})
    )
    items = build(model("gpt-5", "openai-responses"), ctx)["input"]
    assert items[1]["id"] == "rs_1" and items[2]["id"] == "fc_1"


def test_mistral_tool_ids_and_deepseek_reasoning_content_already_hold() -> None:
    """Rules openai.tool-id-format and openai.reasoning-content-required (done before this table)."""
    turn = AssistantMessage(
        content=[ToolCall(id="call_0fypS1hVX_long", name="f", arguments={})],
        api="openai-completions",
        provider="x",
        model="y",
    )
    ctx = Context(tools=[TOOL], messages=[UserMessage(content="go"), turn])
    body = build(model("mistral-large-latest", "openai-completions", provider="mistral"), ctx)
    (call,) = body["messages"][1]["tool_calls"]
    assert len(call["id"]) == 9 and call["id"].isalnum()


def test_system_prompt_goes_as_user_to_models_without_system_messages(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "aiwire")
    ctx = Context(system_prompt="Be brief.", messages=[UserMessage(content="hi")])
    o1_mini = aiwire.custom_model("o1-mini", provider="openai", api="openai-completions", reasoning=True)
    msgs = build(o1_mini, ctx)["messages"]
    assert msgs == [{"role": "user", "content": "Be brief."}, {"role": "user", "content": "hi"}]
    assert build(model("o3", "openai-completions"), ctx)["messages"][0]["role"] == "developer"
    assert build(model("gpt-4.1", "openai-completions"), ctx)["messages"][0]["role"] == "system"
    assert rules_logged(caplog) == ["openai.system-role"]


def test_the_provider_page_lists_every_rule() -> None:
    from pathlib import Path

    page = (Path(__file__).resolve().parents[3] / "docs" / "providers" / "openai.md").read_text()
    table = page.split("## Request rules", 1)[1]
    for r in RULES:
        assert f"`{r.id}`" in table, f"{r.id} is missing from docs/providers/openai.md"


@pytest.mark.parametrize(
    "model_id", ["anthropic/claude-sonnet-4.5", "anthropic/claude-opus-4.1", "anthropic/claude-opus-4.7"]
)
def test_routed_claude_keeps_temperature_and_drops_top_p(model_id: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "aiwire")
    body = build(model(model_id, "openai-completions", provider="openrouter"), temperature=0.3, top_p=0.8)
    assert body["temperature"] == 0.3 and "top_p" not in body
    assert rules_logged(caplog) == ["openai.claude-sampling-one-of"]
    older = model("anthropic/claude-sonnet-4", "openai-completions", provider="openrouter")
    assert build(older, temperature=0.3, top_p=0.8)["top_p"] == 0.8
