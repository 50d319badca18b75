"""Converse's request rules that no request type expresses.

Each rule is a constraint Bedrock enforces (a ``ValidationException`` with
the text in ``prevents``) that a well-typed body can still break. The codec
applies them where it builds the body (:mod:`._request`): it **adapts** the
request in the documented way, with a record on the ``aiwire`` logger naming
the rule. ``docs/providers/bedrock.md`` lists the same table.
"""

from __future__ import annotations

import logging
from typing import Literal, NamedTuple

from aiwire.types import Model

__all__ = ["RULES", "Rule", "note"]

log = logging.getLogger("aiwire")


class Rule(NamedTuple):
    """One vendor rule: where it applies, what it prevents, what aiwire does."""

    id: str
    applies_to: str
    prevents: str
    action: Literal["adapt", "refuse"]
    does: str


RULES: tuple[Rule, ...] = (
    Rule(
        "bedrock.tool-config",
        "a history with tool calls or results, sent without tools (none declared, or `tool_choice='none'`)",
        "The toolConfig field must be defined when using toolUse and toolResult content blocks.",
        "adapt",
        "sends those tool calls and results as text",
    ),
    Rule(
        "bedrock.user-first",
        "a conversation whose first turn is the assistant's",
        "A conversation must start with a user message. Try again with a conversation that starts with a user message.",
        "adapt",
        "puts a `(continue)` user turn first",
    ),
    Rule(
        "bedrock.blank-text",
        "every text block",
        "The text field in the ContentBlock object at messages.N.content.M is blank. Add text to the text field, "
        "and try again.",
        "adapt",
        "drops blank text blocks (a turn left empty is dropped; consecutive turns of one role are merged)",
    ),
    Rule(
        "bedrock.thinking-forced-tool",
        "Claude with thinking on and `tool_choice` `required` or a tool name",
        "Thinking may not be enabled when tool_choice forces tool use.",
        "adapt",
        "the explicit tool choice wins: the request goes without thinking",
    ),
    Rule(
        "bedrock.thinking-sampling",
        "Claude with thinking on, and `temperature` or `top_p` set",
        "`temperature` may only be set to 1 when thinking is enabled. / top_p must be unset when thinking is enabled.",
        "adapt",
        "drops `temperature` and `top_p`",
    ),
    Rule(
        "bedrock.max-tokens-limit",
        "`max_tokens` above the catalog's output limit for the model",
        "The maximum tokens you requested exceeds the model limit of N. Try again with a maximum tokens value "
        "that is lower than N.",
        "adapt",
        "clamps `max_tokens` to the model's limit",
    ),
    Rule(
        "bedrock.reasoning-replay",
        "reasoning blocks in the history",
        "a 400 on a Claude reasoning block without its signature, or reasoning from another model",
        "adapt",
        "sends reasoning back only to the model that made it (with its signature on Claude); otherwise as text",
    ),
)

_BY_ID = {r.id: r for r in RULES}


def note(rule_id: str, model: Model, detail: str, level: int = logging.INFO) -> None:
    """The log record of an adaptation: which rule, which model, what changed."""
    rule = _BY_ID[rule_id]
    log.log(level, "%s: %s (request rule %s)", model.ref, detail, rule.id, extra={"aiwire_rule": rule.id})
