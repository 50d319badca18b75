"""The Messages API's request rules that no request type expresses.

Each rule is a constraint Anthropic's server enforces (a 400 with the text in
``prevents``) that a well-typed body can still break. The codec applies the
table once per request, where it builds the body (:mod:`._request`): a rule
either **adapts** the request in the documented way, with a record on the
``aiwire`` logger naming the rule, or **refuses** it before anything is sent
with :class:`aiwire.errors.BadOptionsError` naming the rule and the fix.

``docs/providers/anthropic.md`` lists the same table.
"""

from __future__ import annotations

import re
from typing import Any

from aiwire.plugin import RequestRule, RequestRules
from aiwire.types import Model

__all__ = ["RULES", "final_turn_lacks_thinking", "note", "one_sampling_knob"]


RULES = RequestRules(
    RequestRule(
        id="anthropic.sampling-one-of",
        applies_to="Claude Opus 4.1, Sonnet 4.5, Haiku 4.5 and later (compat `sampling_one_of`)",
        prevents="`temperature` and `top_p` cannot both be specified for this model. Please use only one.",
        source="https://github.com/Vali-98/ChatterUI/issues/564 ; https://github.com/langfuse/langfuse/issues/9882",
        action="adapt",
        does="keeps the caller's `temperature` and drops `top_p`",
    ),
    RequestRule(
        id="anthropic.thinking-first",
        applies_to=(
            "thinking on, and the last assistant turn before the pending tool results does not start with a "
            "thinking block (another model's turn, or one sent without thinking)"
        ),
        prevents=(
            "messages.N.content.0.type: Expected `thinking` or `redacted_thinking`, but found `text`. When `thinking` "
            "is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of "
            "`tool_use` and `tool_result` blocks)."
        ),
        source="https://github.com/n8n-io/n8n/issues/22550 ; https://github.com/OpenRouterTeam/ai-sdk-provider/issues/162",
        action="adapt",
        does=(
            "sends that request without thinking (as pi-ai does); the same model's signed thinking is kept and "
            "satisfies the rule, so thinking stays on then"
        ),
    ),
    RequestRule(
        id="anthropic.thinking-forced-tool",
        applies_to="thinking on with `tool_choice` `required` or a tool name",
        prevents="Thinking may not be enabled when tool_choice forces tool use.",
        source="https://github.com/mastra-ai/mastra/issues/7507 ; https://github.com/BerriAI/litellm/pull/17129",
        action="adapt",
        does="the explicit tool choice wins: the request goes without thinking",
    ),
    RequestRule(
        id="anthropic.thinking-sampling",
        applies_to="thinking on, with `temperature`, or with `top_p` below 0.95",
        prevents=(
            "`temperature` may only be set to 1 when thinking is enabled or in adaptive mode. / "
            "top_p must be unset when thinking is enabled."
        ),
        source=(
            "https://github.com/dotCipher/opencode-claude-bridge/pull/1 ; https://github.com/MartialBE/one-hub/issues/529 ; "
            "https://github.com/n8n-io/n8n/issues/14288 ; "
            "https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility"
        ),
        action="adapt",
        does="drops `temperature`, and `top_p` below 0.95",
    ),
    RequestRule(
        id="anthropic.max-tokens-limit",
        applies_to="`max_tokens` above the catalog's output limit for the model",
        prevents=(
            "max_tokens: 200000 > 64000, which is the maximum allowed number of output tokens for "
            "claude-sonnet-4-5-20250929"
        ),
        source="https://github.com/BerriAI/litellm/pull/15715 ; https://github.com/anthropics/claude-code/issues/24451",
        action="adapt",
        does="clamps `max_tokens` to the model's limit",
    ),
    RequestRule(
        id="anthropic.effort-levels",
        applies_to="adaptive-thinking models asked for an effort they do not have (compat `efforts`)",
        prevents=(
            "a 400 on `output_config.effort` for a level the model does not offer (`xhigh` before Claude Opus 4.7; "
            "no public report quotes the text)"
        ),
        source="https://github.com/github/copilot-cli/issues/3823",
        action="adapt",
        does="clamps to the nearest level the model has (`xhigh` -> `max` where there is one, else `high`)",
    ),
    RequestRule(
        id="anthropic.non-whitespace-text",
        applies_to="every text block (system, user, assistant, tool result)",
        prevents="messages: text content blocks must contain non-whitespace text / text content blocks must be non-empty",
        source="https://github.com/anthropics/claude-code/issues/23440 ; https://github.com/home-assistant/core/issues/175637",
        action="adapt",
        does="drops empty and whitespace-only text blocks (a turn left empty is dropped)",
    ),
    RequestRule(
        id="anthropic.thinking-budget",
        applies_to="budget thinking (Claude before 4.6)",
        prevents=(
            "max_tokens must be greater than thinking.budget_tokens / thinking.budget_tokens: Input should be "
            "greater than or equal to 1024"
        ),
        source="https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size",
        action="adapt",
        does=(
            "raises `max_tokens` by the budget (up to the model's limit), shrinks the budget below `max_tokens`, "
            "and sends no thinking when under 1024 tokens remain"
        ),
    ),
    RequestRule(
        id="anthropic.tool-blocks-need-tools",
        applies_to="a history with tool calls or results, and no tools in this request (a chat continued without them)",
        prevents="Requests which include `tool_use` or `tool_result` blocks must define tools.",
        source="https://github.com/anthropics/anthropic-sdk-python/issues/494",
        action="adapt",
        does="sends those calls and results as text in their turns (images of a result stay images)",
    ),
    RequestRule(
        id="anthropic.tool-pairing",
        applies_to="every request (done by `aiwire.handoff` before the codec)",
        prevents=(
            "messages.N: `tool_use` ids were found without `tool_result` blocks immediately after / "
            "tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'"
        ),
        source="https://docs.claude.com/en/docs/agents-and-tools/tool-use/implement-tool-use",
        action="adapt",
        does="ids rewritten to the pattern, a missing result becomes an error result, an orphan result user text",
    ),
)

note = RULES.note
_VERSION = re.compile(r"claude-(?:([a-z]+)-)?(\d+)(?:[-.](\d))?(?:-|$)")


def one_sampling_knob(model: Model) -> bool:
    """Whether ``model`` takes only one of ``temperature`` and ``top_p``."""
    flag = model.compat.get("sampling_one_of")
    if isinstance(flag, bool):
        return flag
    m = _VERSION.search(model.id)
    if not m:
        return False
    major, minor = int(m.group(2)), int(m.group(3) or 0)
    if major >= 5:
        return True
    if major != 4:
        return False
    # Opus 4.1 was the first; Sonnet and Haiku followed with 4.5.
    return minor >= 5 or (m.group(1) == "opus" and minor >= 1)


def final_turn_lacks_thinking(turns: list[dict[str, Any]]) -> bool:
    """Whether the request is in a tool loop whose assistant turn does not
    start with a thinking block (what ``anthropic.thinking-first`` forbids)."""
    if len(turns) < 2 or turns[-1]["role"] != "user":
        return False
    if not any(b.get("type") == "tool_result" for b in turns[-1]["content"]):
        return False
    assistant = turns[-2]
    if assistant["role"] != "assistant" or not assistant["content"]:
        return False
    blocks = assistant["content"]
    if not any(b.get("type") in ("tool_use", "server_tool_use") for b in blocks):
        return False
    return blocks[0].get("type") not in ("thinking", "redacted_thinking")
