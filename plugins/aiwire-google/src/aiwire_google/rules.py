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

from aiwire.plugin import RequestRule, RequestRules
from aiwire.types import Model

__all__ = ["BUDGET_RANGES", "RULES", "clamp_budget", "max_output_tokens", "note"]


RULES = RequestRules(
    RequestRule(
        id="google.max-output-tokens",
        applies_to="`max_tokens` above the catalog's output limit for the model",
        prevents=(
            "Unable to submit request because it has a maxOutputTokens value of 65536 but the supported range is "
            "from 1 (inclusive) to 65536 (exclusive). Update the value and try again."
        ),
        source="https://github.com/BerriAI/litellm/pull/10548 ; https://github.com/stackblitz-labs/bolt.diy/issues/955",
        action="adapt",
        does="clamps `maxOutputTokens` to the model's limit",
    ),
    RequestRule(
        id="google.thinking-budget-range",
        applies_to=(
            "Gemini 2.5 budgets from `thinking_budgets` outside the model's range (Pro 128-32768, Flash 0-24576, "
            "Flash-Lite 0 or 512-24576; -1 is dynamic everywhere)"
        ),
        prevents=(
            "thinking_budget is out of range; supported values are integers from 1 to 24576. / "
            "The thinking budget (52428) is invalid."
        ),
        source=(
            "https://github.com/su-kaka/gcli2api/issues/108 ; https://github.com/RooCodeInc/Roo-Code/issues/4399 ; "
            "https://ai.google.dev/gemini-api/docs/thinking#set-budget"
        ),
        action="adapt",
        does="clamps the budget into the range",
    ),
    RequestRule(
        id="google.thought-signature",
        applies_to="Gemini 3: the first function call of each model turn in the context",
        prevents=(
            "Function call is missing a thought_signature in functionCall parts. This is required for tools to work "
            "correctly ..."
        ),
        source="https://github.com/nanbingxyz/5ire/issues/405 ; https://ai.google.dev/gemini-api/docs/thought-signatures",
        action="adapt",
        does=(
            "the model's own signature goes back on its part; a call from another model gets Google's documented "
            "`skip_thought_signature_validator`"
        ),
    ),
    RequestRule(
        id="google.thinking-off",
        applies_to="Gemini 2.5 Pro and Gemini 3 Pro asked for `reasoning='off'` or `minimal`",
        prevents="Budget 0 is invalid. This model only works in thinking mode.",
        source="https://github.com/snailyp/gemini-balance/issues/206 ; https://github.com/vercel/ai/issues/8027",
        action="adapt",
        does="sends the smallest setting the model has (budget 128, level LOW)",
    ),
    RequestRule(
        id="google.function-responses",
        applies_to="every request (`aiwire.handoff` and the codec)",
        prevents=(
            "Please ensure that the number of function response parts is equal to the number of function call parts "
            "of the function call turn."
        ),
        source="https://ai.google.dev/gemini-api/docs/function-calling",
        action="adapt",
        does="a missing result becomes an error result; the results of one turn share one user turn, in call order",
    ),
    RequestRule(
        id="google.empty-parts",
        applies_to="every request",
        prevents="Unable to submit request because it has an empty text parameter. / contents.parts must not be empty",
        source="https://ai.google.dev/api/caching#Content",
        action="adapt",
        does="empty user text is dropped and a turn without parts is not sent",
    ),
)

note = RULES.note

# (lowest budget that thinks, highest budget) per family; 0 (off) and -1
# (dynamic) are the special values, and Pro cannot switch thinking off.
BUDGET_RANGES = {"pro": (128, 32768), "flash": (1, 24576), "flash-lite": (512, 24576)}


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
