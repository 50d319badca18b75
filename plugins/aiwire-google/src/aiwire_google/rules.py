"""Request rules of Gemini's ``generateContent`` that no request type expresses.

Each rule is a constraint Google's server enforces (a 400 with the text in
``prevents``) that a well-typed body can still break. The codec applies the
table once per request, where it builds the body (:mod:`.request`): a rule
either **adapts** the request in the documented way, with a record on the
``aiwire`` logger naming the rule, or **refuses** it before anything is sent
with :class:`aiwire.errors.BadOptionsError` naming the rule and the fix.

``docs/providers/google.md`` lists the same table.
"""

from __future__ import annotations

import logging
from typing import Literal, NamedTuple

from aiwire.types import Model

__all__ = ["BUDGET_RANGES", "RULES", "Rule", "clamp_budget", "max_output_tokens", "note"]

log = logging.getLogger("aiwire")


class Rule(NamedTuple):
    """One vendor rule: where it applies, what it prevents, what aiwire does."""

    id: str
    applies_to: str
    prevents: str
    source: str
    action: Literal["adapt", "refuse"]
    does: str


RULES: tuple[Rule, ...] = (
    Rule(
        "google.max-output-tokens",
        "`max_tokens` above the catalog's output limit for the model",
        "Unable to submit request because it has a maxOutputTokens value of 65536 but the supported range is "
        "from 1 (inclusive) to 65536 (exclusive). Update the value and try again.",
        "https://github.com/BerriAI/litellm/pull/10548 ; https://github.com/stackblitz-labs/bolt.diy/issues/955",
        "adapt",
        "clamps `maxOutputTokens` to the model's limit",
    ),
    Rule(
        "google.thinking-budget-range",
        "Gemini 2.5 budgets from `thinking_budgets` outside the model's range (Pro 128-32768, Flash 0-24576, "
        "Flash-Lite 0 or 512-24576; -1 is dynamic everywhere)",
        "thinking_budget is out of range; supported values are integers from 1 to 24576. / "
        "The thinking budget (52428) is invalid.",
        "https://github.com/su-kaka/gcli2api/issues/108 ; https://github.com/RooCodeInc/Roo-Code/issues/4399 ; "
        "https://ai.google.dev/gemini-api/docs/thinking#set-budget",
        "adapt",
        "clamps the budget into the range",
    ),
    Rule(
        "google.thought-signature",
        "Gemini 3: the first function call of each model turn in the context",
        "Function call is missing a thought_signature in functionCall parts. This is required for tools to work "
        "correctly ...",
        "https://github.com/nanbingxyz/5ire/issues/405 ; https://ai.google.dev/gemini-api/docs/thought-signatures",
        "adapt",
        "the model's own signature goes back on its part; a call from another model gets Google's documented "
        "`skip_thought_signature_validator`",
    ),
    Rule(
        "google.thinking-off",
        "Gemini 2.5 Pro and Gemini 3 Pro asked for `reasoning='off'` or `minimal`",
        "Budget 0 is invalid. This model only works in thinking mode.",
        "https://github.com/snailyp/gemini-balance/issues/206 ; https://github.com/vercel/ai/issues/8027",
        "adapt",
        "sends the smallest setting the model has (budget 128, level LOW)",
    ),
    Rule(
        "google.function-responses",
        "every request (`aiwire.handoff` and the codec)",
        "Please ensure that the number of function response parts is equal to the number of function call parts "
        "of the function call turn.",
        "https://ai.google.dev/gemini-api/docs/function-calling",
        "adapt",
        "a missing result becomes an error result; the results of one turn share one user turn, in call order",
    ),
    Rule(
        "google.empty-parts",
        "every request",
        "Unable to submit request because it has an empty text parameter. / contents.parts must not be empty",
        "https://ai.google.dev/api/caching#Content",
        "adapt",
        "empty user text is dropped and a turn without parts is not sent",
    ),
)

_BY_ID = {r.id: r for r in RULES}

# (lowest budget that thinks, highest budget) per family; 0 (off) and -1
# (dynamic) are the special values, and Pro cannot switch thinking off.
BUDGET_RANGES = {"pro": (128, 32768), "flash": (1, 24576), "flash-lite": (512, 24576)}


def note(rule_id: str, model: Model, detail: str, level: int = logging.INFO) -> None:
    """The log record of an adaptation: which rule, which model, what changed."""
    rule = _BY_ID[rule_id]
    log.log(level, "%s: %s (request rule %s)", model.ref, detail, rule.id, extra={"aiwire_rule": rule.id})


def clamp_budget(model: Model, family: str, budget: int) -> int:
    """``budget`` inside the family's range (rule ``google.thinking-budget-range``)."""
    low, high = BUDGET_RANGES[family]
    if budget == -1 or (budget == 0 and family != "pro"):
        return budget
    fixed = min(max(budget, low), high)
    if fixed != budget:
        note(
            "google.thinking-budget-range",
            model,
            f"thinking budget {budget} is outside {low}-{high}: sent as {fixed}",
            logging.WARNING,
        )
    return fixed


def max_output_tokens(model: Model, wanted: int) -> int:
    """``wanted`` clamped to the model's output limit (rule ``google.max-output-tokens``)."""
    if model.max_tokens and wanted > model.max_tokens:
        note(
            "google.max-output-tokens",
            model,
            f"max_tokens={wanted} is above the model's {model.max_tokens}: clamped",
            logging.WARNING,
        )
        return model.max_tokens
    return wanted
