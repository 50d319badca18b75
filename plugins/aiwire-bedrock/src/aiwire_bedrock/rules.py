"""Converse's request rules that no request type expresses.

Each rule is a constraint Bedrock enforces (a ``ValidationException`` with
the text in ``prevents``) that a well-typed body can still break. The codec
applies them where it builds the body (:mod:`._request`): it **adapts** the
request in the documented way, with a record on the ``aiwire`` logger naming
the rule. ``docs/providers/bedrock.md`` lists the same table.
"""

from __future__ import annotations

from aiwire.plugin import RequestRule, RequestRules

__all__ = ["RULES", "note"]


RULES = RequestRules(
    RequestRule(
        id="bedrock.tool-config",
        applies_to="a history with tool calls or results, sent without tools (none declared, or `tool_choice='none'`)",
        prevents="The toolConfig field must be defined when using toolUse and toolResult content blocks.",
        action="adapt",
        does="sends those tool calls and results as text",
    ),
    RequestRule(
        id="bedrock.user-first",
        applies_to="a conversation whose first turn is the assistant's",
        prevents="A conversation must start with a user message. Try again with a conversation that starts with a user message.",
        action="adapt",
        does="puts a `(continue)` user turn first",
    ),
    RequestRule(
        id="bedrock.blank-text",
        applies_to="every text block",
        prevents=(
            "The text field in the ContentBlock object at messages.N.content.M is blank. Add text to the text field, "
            "and try again."
        ),
        action="adapt",
        does="drops blank text blocks (a turn left empty is dropped; consecutive turns of one role are merged)",
    ),
    RequestRule(
        id="bedrock.thinking-forced-tool",
        applies_to="Claude with thinking on and `tool_choice` `required` or a tool name",
        prevents="Thinking may not be enabled when tool_choice forces tool use.",
        action="adapt",
        does="the explicit tool choice wins: the request goes without thinking",
    ),
    RequestRule(
        id="bedrock.thinking-sampling",
        applies_to="Claude with thinking on, and `temperature` or `top_p` set",
        prevents="`temperature` may only be set to 1 when thinking is enabled. / top_p must be unset when thinking is enabled.",
        action="adapt",
        does="drops `temperature` and `top_p`",
    ),
    RequestRule(
        id="bedrock.max-tokens-limit",
        applies_to="`max_tokens` above the catalog's output limit for the model",
        prevents=(
            "The maximum tokens you requested exceeds the model limit of N. Try again with a maximum tokens value "
            "that is lower than N."
        ),
        action="adapt",
        does="clamps `max_tokens` to the model's limit",
    ),
    RequestRule(
        id="bedrock.reasoning-replay",
        applies_to="reasoning blocks in the history",
        prevents="a 400 on a Claude reasoning block without its signature, or reasoning from another model",
        action="adapt",
        does="sends reasoning back only to the model that made it (with its signature on Claude); otherwise as text",
    ),
)

note = RULES.note
