"""The request rules (aiwire_google.rules): each builds the request Gemini
would refuse and asserts the adapted one and its log record."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from gemini_helpers import model

import aiwire
from aiwire import AssistantMessage, Context, TextContent, ThinkingContent, Tool, ToolCall, UserMessage
from aiwire import ToolResultMessage as Result
from aiwire_google.request import SKIP_SIGNATURE, build_body
from aiwire_google.rules import RULES

TOOL = Tool(name="f", description="d", parameters={"type": "object", "properties": {"a": {"type": "string"}}})


def body(m: aiwire.Model, ctx: Context | None = None, **opts: Any) -> dict[str, Any]:
    return build_body(m, ctx or Context(messages=[UserMessage(content="hi")]), aiwire.Options(**opts))


def rules_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [getattr(r, "aiwire_rule", "") for r in caplog.records if r.name == "aiwire"]


def test_every_rule_cites_its_vendor_error_and_source() -> None:
    assert len({r.id for r in RULES}) == len(RULES)
    for r in RULES:
        assert r.id.startswith("google.") and r.prevents and r.source.startswith("https://") and r.does


def test_max_output_tokens_is_clamped_to_the_models_limit(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "aiwire")
    m = model("gemini-2.5-pro", max_tokens=65536)
    assert body(m, max_tokens=100_000)["generationConfig"]["maxOutputTokens"] == 65536
    assert body(m, max_tokens=1000)["generationConfig"]["maxOutputTokens"] == 1000
    assert rules_logged(caplog) == ["google.max-output-tokens"]


@pytest.mark.parametrize(
    ("model_id", "asked", "sent"),
    [
        ("gemini-2.5-flash", 32768, 24576),
        ("gemini-2.5-pro", 50_000, 32768),
        ("gemini-2.5-pro", 0, 128),
        ("gemini-2.5-flash-lite", 100, 512),
    ],
)
def test_thinking_budgets_are_clamped_into_the_models_range(
    model_id: str, asked: int, sent: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "aiwire")
    cfg = body(model(model_id), reasoning="high", thinking_budgets={"high": asked})["generationConfig"]
    assert cfg["thinkingConfig"]["thinkingBudget"] == sent
    assert rules_logged(caplog) == ["google.thinking-budget-range"]


def test_budgets_inside_the_range_and_special_values_pass(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "aiwire")
    for asked in (-1, 0, 20000):
        cfg = body(model("gemini-2.5-flash"), reasoning="high", thinking_budgets={"high": asked})["generationConfig"]
        assert cfg["thinkingConfig"]["thinkingBudget"] == asked
    assert rules_logged(caplog) == []


def test_thought_signature_rule_already_holds_for_calls_from_other_models() -> None:
    """google.thought-signature (done before this table): the skip sentinel."""
    foreign = AssistantMessage(
        content=[
            ThinkingContent(thinking="plan", signature="sig-of-claude"),
            ToolCall(id="toolu_1", name="f", arguments={"a": "x"}),
        ],
        api="anthropic-messages",
        provider="anthropic",
        model="claude-sonnet-4-5",
        stop_reason="tool_use",
    )
    ctx = Context(
        tools=[TOOL],
        messages=[
            UserMessage(content="go"),
            foreign,
            Result(tool_call_id="toolu_1", tool_name="f", content=[TextContent(text="ok")]),
        ],
    )
    parts = body(model("gemini-3-pro-preview"), ctx, reasoning="high")["contents"][1]["parts"]
    (call,) = [p for p in parts if "functionCall" in p]
    assert call["thoughtSignature"] == SKIP_SIGNATURE


def test_the_provider_page_lists_every_rule() -> None:
    from pathlib import Path

    page = (Path(__file__).resolve().parents[3] / "docs" / "providers" / "google.md").read_text()
    table = page.split("## Request rules", 1)[1]
    for r in RULES:
        assert f"`{r.id}`" in table, f"{r.id} is missing from docs/providers/google.md"
