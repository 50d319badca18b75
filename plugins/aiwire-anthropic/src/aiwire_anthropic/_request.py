"""Building a Messages API request from an aiwire context (pure, no I/O).

The context is never mutated: every block sent is a new dict. Blocks that
came from other apis or other models are converted or dropped, so a context
this codec did not produce never makes it crash.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import msgspec

from aiwire.plugin import Credentials, Options, Request
from aiwire.types import (
    AssistantMessage,
    Context,
    ImageContent,
    Model,
    ProviderContent,
    TextContent,
    ThinkingContent,
    ToolCall,
    ToolResultMessage,
)

from .rules import final_turn_lacks_thinking, note, one_sampling_knob

__all__ = ["ANTHROPIC_VERSION", "API", "build_request", "thinking_mode"]

API = "anthropic-messages"
ANTHROPIC_VERSION = "2023-06-01"
INTERLEAVED_BETA = "interleaved-thinking-2025-05-14"
OAUTH_BETA = "oauth-2025-04-20"

# Budgets for manual ("enabled") thinking, per aiwire reasoning level.
DEFAULT_BUDGETS = {"minimal": 1024, "low": 2048, "medium": 8192, "high": 16384, "xhigh": 32000}
EFFORTS = {"minimal": "low", "low": "low", "medium": "medium", "high": "high", "xhigh": "xhigh"}
MIN_BUDGET = 1024
# A non-streamed request must finish within about ten minutes (the official
# SDK refuses larger ones), so it gets a smaller default than a stream.
STREAM_MAX_TOKENS = 32000
COMPLETE_MAX_TOKENS = 16384
IMAGE_ONLY_RESULT = "(see attached image)"
NO_IMAGES = "(image omitted: this model does not accept images)"

_VERSIONED = re.compile(r"claude-(?:[a-z]+-)?(\d+)(?:-(\d))?(?:-|$)")

Block = dict[str, Any]


def thinking_mode(model: Model) -> str:
    """``adaptive``, ``budget`` or ``none``: how ``model`` takes thinking.

    The catalog says so in ``compat["thinking"]``; for models outside it the
    version in the id decides (adaptive thinking arrived with Claude 4.6).
    """
    mode = model.compat.get("thinking")
    if isinstance(mode, str):
        return mode
    if not model.reasoning:
        return "none"
    m = _VERSIONED.search(model.id)
    if m:
        major, minor = int(m.group(1)), int(m.group(2) or 0)
        if major >= 5 or (major == 4 and minor >= 6):
            return "adaptive"
    return "budget"


def _is_first_party(model: Model) -> bool:
    return "api.anthropic.com" in model.base_url


def _cache_control(model: Model, options: Options) -> Block | None:
    if options.cache_retention == "none":
        return None
    if options.cache_retention == "long" and model.compat.get("cache_ttl_1h", _is_first_party(model)):
        return {"type": "ephemeral", "ttl": "1h"}
    return {"type": "ephemeral"}


def _image(block: ImageContent, model: Model) -> Block:
    if "image" not in model.input:
        return {"type": "text", "text": NO_IMAGES}
    return {"type": "image", "source": {"type": "base64", "media_type": block.mime_type, "data": block.data}}


def _user_blocks(content: str | list[TextContent | ImageContent], model: Model) -> list[Block]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content.strip() else []
    out: list[Block] = []
    for b in content:
        if isinstance(b, TextContent):
            if b.text.strip():
                out.append({"type": "text", "text": b.text})
        elif isinstance(b, ImageContent):
            out.append(_image(b, model))
    return out


def _tool_result(msg: ToolResultMessage, model: Model, fix_id: Callable[[str], str]) -> Block:
    content = _user_blocks(msg.content, model)
    if content and all(b["type"] == "image" for b in content):
        content.insert(0, {"type": "text", "text": IMAGE_ONLY_RESULT})
    block: Block = {"type": "tool_result", "tool_use_id": fix_id(msg.tool_call_id)}
    if content:
        block["content"] = content
    if msg.is_error:
        block["is_error"] = True
    return block


def _assistant_blocks(msg: AssistantMessage, model: Model, fix_id: Callable[[str], str]) -> list[Block]:
    same_model = msg.api == API and msg.provider == model.provider and msg.model == model.id
    out: list[Block] = []
    for b in msg.content:
        if isinstance(b, TextContent):
            if b.text.strip():
                out.append({"type": "text", "text": b.text})
        elif isinstance(b, ThinkingContent):
            if same_model and b.signature:
                if b.redacted:
                    out.append({"type": "redacted_thinking", "data": b.signature})
                else:
                    out.append({"type": "thinking", "thinking": b.thinking, "signature": b.signature})
            elif b.thinking.strip() and not b.redacted:
                # Thinking without a valid signature cannot be replayed as thinking.
                out.append({"type": "text", "text": b.thinking})
        elif isinstance(b, ToolCall):
            out.append({"type": "tool_use", "id": fix_id(b.id), "name": b.name, "input": dict(b.arguments)})
        elif isinstance(b, ProviderContent):
            if b.api == API:
                out.append(dict(b.data))
            elif b.text and b.text.strip():
                out.append({"type": "text", "text": b.text})
    return out


def convert_messages(context: Context, model: Model, fix_id: Callable[[str], str]) -> list[Block]:
    """Messages as Anthropic turns; consecutive user-side messages (tool
    results, then user text) share one user turn, as the API requires."""
    turns: list[Block] = []
    for msg in context.messages:
        if isinstance(msg, AssistantMessage):
            blocks = _assistant_blocks(msg, model, fix_id)
            role = "assistant"
        elif isinstance(msg, ToolResultMessage):
            blocks = [_tool_result(msg, model, fix_id)]
            role = "user"
        else:
            blocks = _user_blocks(msg.content, model)
            role = "user"
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    return turns


def _tool_blocks_as_text(turns: list[Block]) -> int:
    """Tool calls and results as text (``anthropic.tool-blocks-need-tools``);
    how many blocks changed."""
    names: dict[str, str] = {}
    changed = 0
    for turn in turns:
        out: list[Block] = []
        for b in turn["content"]:
            kind = b.get("type")
            if kind == "tool_use":
                names[b["id"]] = b["name"]
                args = msgspec.json.encode(b.get("input") or {}).decode()
                out.append({"type": "text", "text": f"[called tool {b['name']} with {args}]"})
            elif kind == "tool_result":
                parts = b.get("content") or []
                text = "\n".join(p["text"] for p in parts if p.get("type") == "text")
                said = "failed" if b.get("is_error") else "returned"
                out.append({"type": "text", "text": f"[tool {names.get(b['tool_use_id'], '')} {said}: {text}]"})
                out.extend(p for p in parts if p.get("type") == "image")
            else:
                out.append(b)
                continue
            changed += 1
        turn["content"] = out
    return changed


def _tools(context: Context, model: Model) -> list[Block]:
    eager = model.compat.get("eager_input_streaming", _is_first_party(model))
    out: list[Block] = []
    for t in context.tools:
        tool: Block = {"name": t.name, "input_schema": dict(t.parameters)}
        if t.description:
            tool["description"] = t.description
        if eager:
            tool["eager_input_streaming"] = True
        out.append(tool)
    return out


def _tool_choice(choice: str) -> Block:
    if choice in ("auto", "none"):
        return {"type": choice}
    if choice == "required":
        return {"type": "any"}
    return {"type": "tool", "name": choice}


def _thinking(model: Model, options: Options, body: Block, betas: list[str], has_tools: bool) -> bool:
    """Add the thinking fields to ``body``; return whether thinking is on."""
    level = options.reasoning
    mode = thinking_mode(model)
    if level in (None, "off") or mode == "none":
        return False
    if options.tool_choice not in (None, "auto", "none") and body.get("tools"):
        # Forcing a tool is incompatible with thinking; the explicit choice wins.
        note("anthropic.thinking-forced-tool", model, f"tool_choice={options.tool_choice!r}: sent without thinking")
        return False
    if mode == "adaptive":
        efforts = model.compat.get("efforts") or ["low", "medium", "high", "max"]
        effort = EFFORTS.get(level, "high")
        if effort not in efforts:
            wanted, effort = effort, "max" if effort == "xhigh" and "max" in efforts else "high"
            note("anthropic.effort-levels", model, f"effort {wanted!r} is not offered: sent as {effort!r}")
        body["thinking"] = {"type": "adaptive", "display": "summarized"}
        body["output_config"] = {"effort": effort}
        return True
    budgets = {**DEFAULT_BUDGETS, **(options.thinking_budgets or {})}
    budget = budgets.get(level, DEFAULT_BUDGETS["medium"])
    max_tokens = body["max_tokens"]
    if options.max_tokens is None:
        max_tokens = body["max_tokens"] = min(max_tokens + budget, model.max_tokens or max_tokens + budget)
    if max_tokens <= budget:
        budget = max_tokens - MIN_BUDGET
    if budget < MIN_BUDGET:
        return False
    body["thinking"] = {"type": "enabled", "budget_tokens": budget}
    if has_tools and not model.id.startswith("claude-3"):
        betas.append(INTERLEAVED_BETA)
    return True


def _sampling(model: Model, options: Options, body: Block, thinking: bool) -> None:
    if model.compat.get("temperature", True) is False:
        return
    temperature, top_p = options.temperature, options.top_p
    if thinking and (temperature is not None or (top_p is not None and top_p < 0.95)):
        note("anthropic.thinking-sampling", model, "thinking is on: temperature, and top_p below 0.95, not sent")
        temperature = None
        if top_p is not None and top_p < 0.95:
            top_p = None
    if temperature is not None and top_p is not None and one_sampling_knob(model):
        note(
            "anthropic.sampling-one-of",
            model,
            "takes temperature or top_p, not both: top_p not sent",
            logging.WARNING,
        )
        top_p = None
    if temperature is not None:
        body["temperature"] = temperature
    if top_p is not None:
        body["top_p"] = top_p


def _max_tokens(model: Model, options: Options, stream: bool) -> int:
    if options.max_tokens is not None:
        if model.max_tokens and options.max_tokens > model.max_tokens:
            note(
                "anthropic.max-tokens-limit",
                model,
                f"max_tokens={options.max_tokens} is above the model's {model.max_tokens}: clamped",
                logging.WARNING,
            )
            return model.max_tokens
        return options.max_tokens
    cap = STREAM_MAX_TOKENS if stream else COMPLETE_MAX_TOKENS
    return min(model.max_tokens, cap) if model.max_tokens else 4096


def _headers(model: Model, credentials: Credentials, betas: list[str], stream: bool) -> dict[str, str]:
    headers = {
        "content-type": "application/json",
        "accept": "text/event-stream" if stream else "application/json",
        "anthropic-version": ANTHROPIC_VERSION,
    }
    if credentials.kind == "oauth" and credentials.api_key:
        # Subscription tokens are bearer tokens and need the oauth beta.
        headers["authorization"] = f"Bearer {credentials.api_key}"
        betas.insert(0, OAUTH_BETA)
    elif credentials.api_key:
        headers["x-api-key"] = credentials.api_key
    betas.extend(model.compat.get("betas") or ())
    betas.extend(credentials.extra.get("anthropic_beta") or ())
    if betas:
        headers["anthropic-beta"] = ",".join(dict.fromkeys(betas))
    return headers


def build_request(
    model: Model,
    context: Context,
    options: Options,
    credentials: Credentials,
    fix_id: Callable[[str], str],
    *,
    stream: bool = True,
) -> Request:
    """The HTTP request for one turn (see the module docstring)."""
    cache = _cache_control(model, options)
    body: Block = {"model": model.id, "max_tokens": _max_tokens(model, options, stream)}
    if context.system_prompt and context.system_prompt.strip():
        system: Block = {"type": "text", "text": context.system_prompt}
        if cache:
            system["cache_control"] = cache
        body["system"] = [system]
    messages = convert_messages(context, model, fix_id)
    if not context.tools:
        changed = _tool_blocks_as_text(messages)
        if changed:
            note("anthropic.tool-blocks-need-tools", model, f"{changed} tool call/result block(s) sent as text")
    if cache:
        for turn in reversed(messages):
            if turn["role"] == "user":
                turn["content"][-1] = {**turn["content"][-1], "cache_control": cache}
                break
    body["messages"] = messages
    tools = _tools(context, model)
    if tools:
        if cache:
            tools[-1]["cache_control"] = cache
        body["tools"] = tools
        if options.tool_choice is not None:
            body["tool_choice"] = _tool_choice(options.tool_choice)
    betas: list[str] = []
    thinking = _thinking(model, options, body, betas, bool(tools))
    if thinking and final_turn_lacks_thinking(messages):
        # Another model's turn (its thinking now text) or one sent without
        # thinking sits in the open tool loop: send this request without.
        body.pop("thinking", None)
        body.pop("output_config", None)
        if INTERLEAVED_BETA in betas:
            betas.remove(INTERLEAVED_BETA)
        thinking = False
        note(
            "anthropic.thinking-first",
            model,
            "the open tool loop's assistant turn has no thinking block: sent without thinking",
        )
    _sampling(model, options, body, thinking)
    if options.stop:
        body["stop_sequences"] = list(options.stop)
    if options.session_id:
        body["metadata"] = {"user_id": options.session_id}
    if stream:
        body["stream"] = True
    if options.provider_options:
        body.update(options.provider_options)
    headers = _headers(model, credentials, betas, stream)
    return Request(url=f"{model.base_url.rstrip('/')}/messages", headers=headers, json=body)
