"""Building the Gemini ``generateContent`` request body.

:func:`build_body` is the whole translation of an aiwire context and options
into the JSON body, with no URL, credentials or I/O, so codecs that wrap the
same body in an envelope (Cloud Code Assist) reuse it as is. It never mutates
the context it is given.

Replay rules: thought signatures go back only to the provider, api and model
that produced them (and only when they look like base64); Gemini 3 models get
the documented skip sentinel on the first function call of a turn that has no
signature (a call that came from another model); thinking from other models
becomes plain text; blocks from other apis are sent as their text or dropped;
call ids from other apis (``call_1|fc_2``) are normalised the same way on the
call and on its result, so the pair still matches.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aiwire.plugin import Options, normalize_tool_call_id
from aiwire.types import (
    AssistantMessage,
    Context,
    ImageContent,
    Model,
    ProviderContent,
    TextContent,
    ThinkingContent,
    Tool,
    ToolCall,
    ToolResultMessage,
    UserMessage,
)

from . import rules
from .decoder import API
from .schema import to_gemini_schema

__all__ = ["SKIP_SIGNATURE", "build_body", "convert_messages", "gemini_major", "thinking_config", "tool_config"]

SKIP_SIGNATURE = "skip_thought_signature_validator"
"""Google's documented placeholder for function calls that carry no signature."""

_B64 = re.compile(r"^[A-Za-z0-9+/_-]+={0,2}$")
_VERSION = re.compile(r"gemini-(\d+)")
_IMAGE_OMITTED = "(image omitted: this model does not accept image input)"

Part = dict[str, Any]


def gemini_major(model: Model) -> int:
    """The Gemini generation of a model id (``gemini-3-pro`` -> 3), 0 if unknown."""
    m = _VERSION.search(model.id.lower())
    return int(m.group(1)) if m else 0


def build_body(model: Model, context: Context, options: Options) -> dict[str, Any]:
    """The JSON body of a ``generateContent`` / ``streamGenerateContent`` call."""
    body: dict[str, Any] = {"contents": convert_messages(model, context)}
    if context.system_prompt:
        body["systemInstruction"] = {"parts": [{"text": context.system_prompt}]}
    if context.tools:
        body["tools"] = [{"functionDeclarations": [_declaration(model, t) for t in context.tools]}]
        choice = tool_config(options.tool_choice)
        if choice is not None:
            body["toolConfig"] = choice
    gen: dict[str, Any] = {}
    if options.max_tokens is not None:
        gen["maxOutputTokens"] = rules.max_output_tokens(model, options.max_tokens)
    if options.temperature is not None:
        gen["temperature"] = options.temperature
    if options.top_p is not None:
        gen["topP"] = options.top_p
    if options.stop:
        gen["stopSequences"] = list(options.stop)
    thinking = thinking_config(model, options)
    if thinking is not None:
        gen["thinkingConfig"] = thinking
    if gen:
        body["generationConfig"] = gen
    if options.provider_options:
        _merge(body, options.provider_options)
    return body


def _merge(into: dict[str, Any], extra: Mapping[str, Any]) -> None:
    # Nested objects merge so that e.g. {"generationConfig": {"seed": 1}}
    # keeps the generation settings built from the options.
    for key, value in extra.items():
        current = into.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            merged = dict(current)
            _merge(merged, value)
            into[key] = merged
        else:
            into[key] = value


# -- tools -------------------------------------------------------------------------


def _declaration(model: Model, tool: Tool) -> dict[str, Any]:
    decl: dict[str, Any] = {"name": tool.name, "description": tool.description}
    if model.compat.get("tool_schema") == "json":
        decl["parametersJsonSchema"] = tool.parameters
    else:
        params = to_gemini_schema(tool.name, tool.parameters)
        # An object without properties is rejected; a tool without arguments omits it.
        if params.get("properties"):
            decl["parameters"] = params
    return decl


def tool_config(choice: str | None) -> dict[str, Any] | None:
    """``toolConfig`` for an aiwire ``tool_choice`` (None when unset)."""
    if choice is None:
        return None
    if choice == "auto":
        return {"functionCallingConfig": {"mode": "AUTO"}}
    if choice == "none":
        return {"functionCallingConfig": {"mode": "NONE"}}
    if choice == "required":
        return {"functionCallingConfig": {"mode": "ANY"}}
    return {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [choice]}}


# -- thinking ------------------------------------------------------------------------

# Default budgets per level for budget-style (Gemini 2.5) models, by family.
_BUDGETS = {
    "pro": {"minimal": 128, "low": 2048, "medium": 8192, "high": 32768, "xhigh": 32768},
    "flash-lite": {"minimal": 512, "low": 2048, "medium": 8192, "high": 24576, "xhigh": 24576},
    "flash": {"minimal": 128, "low": 2048, "medium": 8192, "high": 24576, "xhigh": 24576},
}
_PRO_LEVELS = {"off": "LOW", "minimal": "LOW", "low": "LOW", "medium": "HIGH", "high": "HIGH", "xhigh": "HIGH"}
_FLASH_LEVELS = {
    "off": "MINIMAL",
    "minimal": "MINIMAL",
    "low": "LOW",
    "medium": "MEDIUM",
    "high": "HIGH",
    "xhigh": "HIGH",
}


def _family(model: Model) -> str:
    mid = model.id.lower()
    if "flash-lite" in mid:
        return "flash-lite"
    return "pro" if "pro" in mid else "flash"


def thinking_config(model: Model, options: Options) -> dict[str, Any] | None:
    """``thinkingConfig`` for ``options.reasoning``: ``thinkingLevel`` on
    Gemini 3 and later, ``thinkingBudget`` before (compat ``thinking_format``
    overrides). ``None`` when reasoning is unset or the model does not think."""
    level = options.reasoning
    if level is None or not model.reasoning:
        return None
    style = model.compat.get("thinking_format") or ("level" if gemini_major(model) >= 3 else "budget")
    family = _family(model)
    if style == "level":
        levels = _PRO_LEVELS if family == "pro" else _FLASH_LEVELS
        return {"thinkingLevel": levels[level], "includeThoughts": level != "off"}
    if level == "off":
        # Pro models cannot switch thinking off; their smallest budget is 128.
        return {"thinkingBudget": 128 if family == "pro" else 0, "includeThoughts": False}
    budgets = options.thinking_budgets or {}
    budget = budgets.get(level)
    budget = _BUDGETS[family][level] if budget is None else rules.clamp_budget(model, family, budget)
    return {"thinkingBudget": budget, "includeThoughts": True}


# -- messages ---------------------------------------------------------------------------


def convert_messages(model: Model, context: Context) -> list[dict[str, Any]]:
    """``contents``: one entry per turn; consecutive tool results share one user turn."""
    contents: list[dict[str, Any]] = []
    images = "image" in model.input
    major = gemini_major(model)
    last_results: list[Part] | None = None
    for msg in context.messages:
        if isinstance(msg, ToolResultMessage):
            part, extra = _function_response(msg, images, nested=major >= 3)
            if last_results is None:
                last_results = []
                contents.append({"role": "user", "parts": last_results})
            last_results.insert(_count_responses(last_results), part)
            last_results.extend(extra)
            continue
        last_results = None
        if isinstance(msg, UserMessage):
            parts = _user_parts(msg.content, images)
            if parts:
                contents.append({"role": "user", "parts": parts})
        elif isinstance(msg, AssistantMessage):
            parts = _model_parts(model, msg, needs_signature=major >= 3)
            if parts:
                contents.append({"role": "model", "parts": parts})
    return contents


def _count_responses(parts: list[Part]) -> int:
    # Function responses first, then any images that had to follow them.
    n = 0
    for p in parts:
        if "functionResponse" not in p:
            break
        n += 1
    return n


def _user_parts(content: str | list[TextContent | ImageContent], images: bool) -> list[Part]:
    if isinstance(content, str):
        return [{"text": content}] if content else []
    parts: list[Part] = []
    for block in content:
        if isinstance(block, TextContent):
            if block.text:
                parts.append({"text": block.text})
        elif images:
            parts.append({"inlineData": {"mimeType": block.mime_type, "data": block.data}})
        else:
            parts.append({"text": _IMAGE_OMITTED})
    return parts


def _function_response(msg: ToolResultMessage, images: bool, *, nested: bool) -> tuple[Part, list[Part]]:
    text = "\n".join(b.text for b in msg.content if isinstance(b, TextContent))
    pics = [b for b in msg.content if isinstance(b, ImageContent)]
    if pics and not images:
        text = f"{text}\n{_IMAGE_OMITTED}" if text else _IMAGE_OMITTED
        pics = []
    if not text and pics:
        text = "(see attached image)"
    response: dict[str, Any] = {"error": text} if msg.is_error else {"output": text}
    fr: dict[str, Any] = {"name": msg.tool_name, "id": normalize_tool_call_id(msg.tool_call_id), "response": response}
    extra: list[Part] = []
    if pics:
        blobs = [{"inlineData": {"mimeType": p.mime_type, "data": p.data}} for p in pics]
        if nested:
            # Gemini 3 takes images inside the function response itself.
            fr["parts"] = blobs
        else:
            extra = [{"text": f"Image(s) returned by the {msg.tool_name} tool:"}, *blobs]
    return {"functionResponse": fr}, extra


def _model_parts(model: Model, msg: AssistantMessage, *, needs_signature: bool) -> list[Part]:
    same = msg.api == API and msg.provider == model.provider and msg.model == model.id
    parts: list[Part] = []
    first_call: Part | None = None
    signed_call = False
    for block in msg.content:
        if isinstance(block, TextContent):
            if not block.text and not (same and block.signature):
                continue
            part: Part = {"text": block.text}
            _sign(part, block.signature, same)
            parts.append(part)
        elif isinstance(block, ThinkingContent):
            if same and not block.redacted and (block.thinking or block.signature):
                part = {"thought": True, "text": block.thinking}
                _sign(part, block.signature, same)
                parts.append(part)
            elif not same and not block.redacted and block.thinking:
                parts.append({"text": block.thinking})
        elif isinstance(block, ToolCall):
            call = {"name": block.name, "args": dict(block.arguments), "id": normalize_tool_call_id(block.id)}
            part = {"functionCall": call}
            if _sign(part, block.signature, same):
                signed_call = True
            if first_call is None:
                first_call = part
            parts.append(part)
        elif isinstance(block, ProviderContent):
            if block.api == API:
                parts.append(_restore(block.data, same))
            elif block.text:
                parts.append({"text": block.text})
    if needs_signature and first_call is not None and not signed_call:
        first_call["thoughtSignature"] = SKIP_SIGNATURE
    return parts


def _sign(part: Part, signature: str | None, same: bool) -> bool:
    if same and signature and _B64.match(signature):
        part["thoughtSignature"] = signature
        return True
    return False


def _restore(data: Mapping[str, Any], same: bool) -> Part:
    part = dict(data)
    sig = part.get("thoughtSignature")
    if not (same and isinstance(sig, str) and _B64.match(sig)):
        part.pop("thoughtSignature", None)
    return part
