"""Request rules of OpenAI's apis (and the compatible hosts) that no request
type expresses.

Each rule is a constraint the server enforces (a 400 with the text in
``prevents``) that a well-typed body can still break. Both codecs apply the
table once per request, where they build the body: a rule either **adapts**
the request in the documented way, with a record on the ``aiwire`` logger
naming the rule, or **refuses** it before anything is sent with
:class:`aiwire.errors.BadOptionsError` naming the rule and the fix.

``docs/providers/openai.md`` lists the same table.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from aiwire.plugin import Options, RequestRule, RequestRules
from aiwire.types import Model

from .compat import Compat

__all__ = [
    "EFFORT_ORDER",
    "RULES",
    "clamp_effort",
    "max_tokens",
    "note",
    "sampling",
    "supported_efforts",
    "system_role",
    "tool_choice_allowed",
]


RULES = RequestRules(
    RequestRule(
        id="openai.reasoning-sampling",
        apis="completions, responses",
        applies_to="OpenAI reasoning models (o-series, gpt-5 family) unless the effort sent is `none`",
        prevents="Unsupported parameter: 'temperature' is not supported with this model.",
        source="https://github.com/OpenHands/software-agent-sdk/issues/1837 ; https://github.com/openai/openai-python/issues/2072",
        action="adapt",
        does="drops `temperature` and `top_p` (kept with effort `none`, where gpt-5.1 and later take them)",
    ),
    RequestRule(
        id="openai.claude-sampling-one-of",
        apis="completions, responses",
        applies_to=(
            "Claude Opus 4.1, Sonnet 4.5, Haiku 4.5 and later behind an OpenAI-compatible router "
            "(`anthropic/claude-...` ids: OpenRouter, gateways)"
        ),
        prevents="`temperature` and `top_p` cannot both be specified for this model. Please use only one.",
        source="https://github.com/skydiscover-ai/skydiscover/issues/15 ; https://github.com/NeatChat/NeatChat/issues/72",
        action="adapt",
        does="keeps the caller's `temperature` and drops `top_p`",
    ),
    RequestRule(
        id="openai.effort-levels",
        apis="completions, responses",
        applies_to="OpenAI-hosted reasoning models (openai, azure...; compat `efforts` overrides the built-in table)",
        prevents=(
            "Unsupported value: 'minimal' is not supported with the 'gpt-5.1' model. Supported values are: "
            "'none', 'low', 'medium', and 'high'."
        ),
        source="https://github.com/openai/openai-agents-python/issues/2089 ; https://github.com/zed-industries/zed/pull/45234",
        action="adapt",
        does=(
            "clamps the effort to the nearest level the model has (xhigh -> high on gpt-5, minimal -> low on o3); "
            "a tie goes up"
        ),
    ),
    RequestRule(
        id="openai.max-tokens-limit",
        apis="completions, responses",
        applies_to="`max_tokens` above the catalog's output limit for the model",
        prevents=(
            "max_tokens is too large: 200000. This model supports at most 128000 completion tokens, whereas you "
            "provided 200000."
        ),
        source="https://github.com/ChatGPTNextWeb/NextChat/issues/3195 ; https://github.com/enoch3712/ExtractThinker/issues/346",
        action="adapt",
        does="clamps `max_tokens` (`max_completion_tokens`, `max_output_tokens`) to the model's limit",
    ),
    RequestRule(
        id="openai.tool-choice-without-tools",
        apis="completions, responses",
        applies_to="`tool_choice` with no tools in the context",
        prevents="Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
        source="https://github.com/dphnAI/sonar/pull/1143 ; https://github.com/pydantic/pydantic-ai/pull/3611",
        action="adapt",
        does="sends no `tool_choice`",
    ),
    RequestRule(
        id="openai-responses.reasoning-pairs",
        apis="responses",
        applies_to="replayed turns of reasoning models",
        prevents=(
            "Item 'rs_...' of type 'reasoning' was provided without its required following item. / Item 'fc_...' "
            "of type 'function_call' was provided without its required 'reasoning' item: 'rs_...'."
        ),
        source=(
            "https://github.com/vercel/ai/issues/7099 ; https://github.com/openai/openai-node/issues/1567 ; "
            "https://github.com/continuedev/continue/issues/12620"
        ),
        action="adapt",
        does=(
            "a reasoning item is sent only with encrypted content and only when an item of its turn follows it; "
            "a turn whose reasoning cannot be sent goes without item ids (function calls keep their `call_id`)"
        ),
    ),
    RequestRule(
        id="openai.tool-id-format",
        apis="completions, responses",
        applies_to="every tool-call id (Mistral: exactly 9 letters or digits)",
        prevents="Tool call id was call_0fypS1hVX but must be a-z, A-Z, 0-9, with a length of 9.",
        source="https://github.com/anomalyco/opencode/issues/1680 ; https://github.com/langchain-ai/langchain/pull/24668",
        action="adapt",
        does="ids rewritten per host (compat `tool_id_style`), the same way on the call and its result",
    ),
    RequestRule(
        id="openai.tool-results-follow-calls",
        apis="completions, responses",
        applies_to="every request (`aiwire.handoff`), and hosts that refuse a user turn right after tool results",
        prevents=(
            "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
            "'tool_call_id'. / Unexpected role 'user' after role 'tool'"
        ),
        source="https://platform.openai.com/docs/guides/function-calling",
        action="adapt",
        does="a missing result becomes an error result; compat `assistant_after_tool_result` inserts an assistant turn",
    ),
    RequestRule(
        id="openai.reasoning-content-required",
        apis="completions",
        applies_to="DeepSeek (and hosts with compat `thinking_field`) in thinking mode",
        prevents="Missing `reasoning_content` field in the assistant message at message index N.",
        source="https://github.com/continuedev/continue/issues/9606 ; https://api-docs.deepseek.com/guides/thinking_mode#tool-calls",
        action="adapt",
        does="always sends the field on assistant turns with tool calls, empty when nothing was streamed",
    ),
    RequestRule(
        id="openai.system-role",
        apis="completions",
        applies_to="OpenAI reasoning models (compat `developer_role`); o1-mini and o1-preview (compat `system_role`)",
        prevents="Unsupported value: 'messages[0].role' does not support 'system' with this model.",
        source="https://github.com/BerriAI/litellm/issues/5671 ; https://github.com/microsoft/agent-framework/issues/1077",
        action="adapt",
        does=(
            "the system prompt goes as `role: developer`; to o1-mini and o1-preview, which take neither, as the "
            "first user message"
        ),
    ),
)

note = RULES.note

EFFORT_ORDER = ("none", "minimal", "low", "medium", "high", "xhigh")

# The effort levels each OpenAI model family takes; the first match wins. Patterns stay
# strings (here and below): re compiles one when first used, not every process at import.
_EFFORTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"^gpt-5-pro", ("high",)),
    (r"^gpt-5\.\d+-pro", ("medium", "high", "xhigh")),
    (r"^gpt-5\.\d+-chat", ("medium",)),
    (r"^gpt-5-codex", ("low", "medium", "high")),
    (r"^gpt-5\.1-codex-max", ("low", "medium", "high", "xhigh")),
    (r"^gpt-5\.1-codex", ("low", "medium", "high")),
    (r"^gpt-5\.1", ("none", "low", "medium", "high")),
    (r"^gpt-5\.\d+-codex", ("low", "medium", "high", "xhigh")),
    (r"^gpt-5\.\d+", ("none", "low", "medium", "high", "xhigh")),
    (r"^gpt-5", ("minimal", "low", "medium", "high")),
    (r"^o\d.*deep-research", ("medium",)),
    (r"^o\d", ("low", "medium", "high")),
)
_OPENAI_REASONING = r"^(?:openai/)?(?:o\d|gpt-5)"
_ROUTED_CLAUDE = r"^(?:anthropic/)?claude-(?:([a-z]+)-)?(\d+)(?:[-.](\d))?(?:[-.:]|$)"
_NO_SYSTEM = r"^(?:openai/)?o1-(?:mini|preview)"


def supported_efforts(model: Model, compat: Compat) -> tuple[str, ...] | None:
    """The effort levels ``model`` takes, or ``None`` when aiwire does not know
    (other hosts, such as OpenRouter, take and map every level themselves)."""
    listed = model.compat.get("efforts")
    if isinstance(listed, (list, tuple)) and listed:
        return tuple(str(x) for x in listed)
    if compat.reasoning_format != "openai" or "/" in model.id:
        return None
    for pattern, levels in _EFFORTS:
        if re.match(pattern, model.id):
            return levels
    return None


def clamp_effort(model: Model, compat: Compat, level: str | None) -> str | None:
    """``level`` or the nearest level the model has (rule ``openai.effort-levels``)."""
    if level is None or level not in EFFORT_ORDER:
        return level
    levels = supported_efforts(model, compat)
    if not levels or level in levels:
        return level
    known = [x for x in levels if x in EFFORT_ORDER]
    if not known:
        return level
    want = EFFORT_ORDER.index(level)
    best = min(known, key=lambda x: (abs(EFFORT_ORDER.index(x) - want), -EFFORT_ORDER.index(x)))
    note("openai.effort-levels", model, f"effort {level!r} is not offered ({', '.join(levels)}): sent as {best!r}")
    return best


def sampling(body: dict[str, Any], model: Model, options: Options, sent_effort: str | None) -> None:
    """``temperature`` and ``top_p``, unless rule ``openai.reasoning-sampling`` drops them."""
    if options.temperature is None and options.top_p is None:
        return
    if model.reasoning and re.match(_OPENAI_REASONING, model.id) and sent_effort != "none":
        dropped = [k for k in ("temperature", "top_p") if getattr(options, k) is not None]
        note(
            "openai.reasoning-sampling",
            model,
            f"a reasoning model takes no {' or '.join(dropped)}: not sent",
            logging.WARNING,
        )
        return
    top_p = options.top_p
    if options.temperature is not None and top_p is not None and _one_sampling_knob(model.id):
        note(
            "openai.claude-sampling-one-of",
            model,
            "takes temperature or top_p, not both: top_p not sent",
            logging.WARNING,
        )
        top_p = None
    if options.temperature is not None:
        body["temperature"] = options.temperature
    if top_p is not None:
        body["top_p"] = top_p


def _one_sampling_knob(model_id: str) -> bool:
    m = re.match(_ROUTED_CLAUDE, model_id)
    if not m:
        return False
    major, minor = int(m.group(2)), int(m.group(3) or 0)
    return major >= 5 or (major == 4 and (minor >= 5 or (m.group(1) == "opus" and minor >= 1)))


def system_role(model: Model, compat: Compat) -> str:
    """The role the system prompt goes in (rule ``openai.system-role``):
    ``system``, ``developer``, or ``user`` for models that take neither."""
    role = model.compat.get("system_role")
    if role in ("system", "developer", "user"):
        return str(role)
    if re.match(_NO_SYSTEM, model.id):
        return "user"
    return "developer" if compat.developer_role and model.reasoning else "system"


def max_tokens(model: Model, options: Options) -> int | None:
    """``options.max_tokens``, clamped to the model's output limit."""
    wanted = options.max_tokens
    if wanted is not None and model.max_tokens and wanted > model.max_tokens:
        note(
            "openai.max-tokens-limit",
            model,
            f"max_tokens={wanted} is above the model's {model.max_tokens}: clamped",
            logging.WARNING,
        )
        return model.max_tokens
    return wanted


def tool_choice_allowed(model: Model, options: Options, has_tools: bool) -> bool:
    """Whether ``tool_choice`` may be sent (rule ``openai.tool-choice-without-tools``)."""
    if options.tool_choice is None:
        return False
    if not has_tools:
        note("openai.tool-choice-without-tools", model, f"tool_choice={options.tool_choice!r} without tools: not sent")
        return False
    return True
