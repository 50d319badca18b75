"""Building a Converse request from an aiwire context (pure, no I/O).

One body serves every model family Converse fronts; what differs per family
(how reasoning is asked for, whether cache points are taken) is decided by
:func:`family` and the catalog's compat. The context is never mutated, and
blocks from other apis or models are converted or dropped (see
:mod:`.rules`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

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

from . import API, BASE_URL
from .rules import note

__all__ = ["build_request", "family", "thinking_mode"]

Block = dict[str, Any]

# Budgets for Claude's manual thinking, per aiwire reasoning level.
DEFAULT_BUDGETS = {"minimal": 1024, "low": 2048, "medium": 8192, "high": 16384, "xhigh": 32000}
CLAUDE_EFFORTS = {"minimal": "low", "low": "low", "medium": "medium", "high": "high", "xhigh": "max"}
LEVELS = {"minimal": "low", "low": "low", "medium": "medium", "high": "high", "xhigh": "high"}
MIN_BUDGET = 1024
DEFAULT_MAX_TOKENS = 4096
IMAGE_FORMATS = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
}
NO_IMAGES = "(image omitted: this model does not accept images)"
IMAGE_ONLY_RESULT = "(see attached image)"

# Cross-region inference profiles prefix the model id with a geography.
_GEO = re.compile(r"^(?:us|eu|apac|jp|au|ca|us-gov|global)\.")
_CLAUDE_VERSION = re.compile(r"claude-(?:[a-z]+-)?(\d+)(?:-(\d))?(?:-|$)")


def family(model: Model) -> str:
    """``anthropic``, ``amazon``, ``meta``, ``mistral``, ``openai``... from the
    model id (``compat["family"]`` wins, e.g. for an inference-profile ARN)."""
    fam = model.compat.get("family")
    if isinstance(fam, str):
        return fam
    mid = _GEO.sub("", model.id.rsplit("/", 1)[-1])
    return mid.split(".", 1)[0] if "." in mid else ""


def thinking_mode(model: Model) -> str:
    """How a Claude model takes thinking: ``adaptive``, ``budget`` or ``none``."""
    mode = model.compat.get("thinking")
    if isinstance(mode, str):
        return mode
    if not model.reasoning:
        return "none"
    m = _CLAUDE_VERSION.search(model.id)
    if m:
        major, minor = int(m.group(1)), int(m.group(2) or 0)
        if major >= 5 or (major == 4 and minor >= 6):
            return "adaptive"
    return "budget"


def takes_cache_points(model: Model) -> bool:
    flag = model.compat.get("cache_points")
    if isinstance(flag, bool):
        return flag
    return model.cost.cache_read > 0 or model.cost.cache_write > 0


def _image(block: ImageContent, model: Model) -> Block:
    fmt = IMAGE_FORMATS.get(block.mime_type.lower())
    if "image" not in model.input or fmt is None:
        why = NO_IMAGES if fmt else f"(image omitted: Bedrock takes png, jpeg, gif or webp, not {block.mime_type})"
        return {"text": why}
    return {"image": {"format": fmt, "source": {"bytes": block.data}}}


def _user_blocks(content: str | list[TextContent | ImageContent], model: Model) -> list[Block]:
    if isinstance(content, str):
        return [{"text": content}] if content.strip() else []
    out: list[Block] = []
    for b in content:
        if isinstance(b, TextContent):
            if b.text.strip():
                out.append({"text": b.text})
        elif isinstance(b, ImageContent):
            out.append(_image(b, model))
    return out


def _tool_result(msg: ToolResultMessage, model: Model, fix_id: Callable[[str], str]) -> Block:
    content = _user_blocks(msg.content, model)
    if content and all("image" in b for b in content):
        content.insert(0, {"text": IMAGE_ONLY_RESULT})
    result: Block = {"toolUseId": fix_id(msg.tool_call_id), "content": content or [{"text": "(no output)"}]}
    if msg.is_error:
        result["status"] = "error"
    return {"toolResult": result}


def _assistant_blocks(msg: AssistantMessage, model: Model, fix_id: Callable[[str], str]) -> list[Block]:
    same_model = msg.api == API and msg.model == model.id
    out: list[Block] = []
    for b in msg.content:
        if isinstance(b, TextContent):
            if b.text.strip():
                out.append({"text": b.text})
        elif isinstance(b, ThinkingContent):
            if same_model and b.redacted and b.signature:
                out.append({"reasoningContent": {"redactedContent": b.signature}})
            elif same_model and (b.signature or family(model) != "anthropic") and b.thinking:
                text: Block = {"text": b.thinking}
                if b.signature:
                    text["signature"] = b.signature
                out.append({"reasoningContent": {"reasoningText": text}})
            elif b.thinking.strip() and not b.redacted:
                out.append({"text": b.thinking})  # unsigned or foreign reasoning cannot be replayed as such
        elif isinstance(b, ToolCall):
            out.append({"toolUse": {"toolUseId": fix_id(b.id), "name": b.name, "input": dict(b.arguments)}})
        elif isinstance(b, ProviderContent):
            if b.api == API and b.data:
                out.append(dict(b.data))
            elif b.text and b.text.strip():
                out.append({"text": b.text})
    return out


def convert_messages(context: Context, model: Model, fix_id: Callable[[str], str]) -> list[Block]:
    """Turns that alternate user / assistant (tool results are user content)."""
    turns: list[Block] = []
    for msg in context.messages:
        if isinstance(msg, AssistantMessage):
            blocks, role = _assistant_blocks(msg, model, fix_id), "assistant"
        elif isinstance(msg, ToolResultMessage):
            blocks, role = [_tool_result(msg, model, fix_id)], "user"
        else:
            blocks, role = _user_blocks(msg.content, model), "user"
        if not blocks:
            continue
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    if turns and turns[0]["role"] == "assistant":
        note("bedrock.user-first", model, "the conversation starts with an assistant turn: a user turn was put first")
        turns.insert(0, {"role": "user", "content": [{"text": "(continue)"}]})
    return turns


def _uses_tools(turns: list[Block]) -> bool:
    return any("toolUse" in b or "toolResult" in b for t in turns for b in t["content"])


def _tools_as_text(turns: list[Block]) -> None:
    """Without ``toolConfig`` Converse refuses tool blocks: say them in words."""
    for turn in turns:
        content = []
        for b in turn["content"]:
            if "toolUse" in b:
                use = b["toolUse"]
                content.append({"text": f"[called tool {use['name']} with {json.dumps(use['input'])}]"})
            elif "toolResult" in b:
                res = b["toolResult"]
                parts = [c["text"] for c in res["content"] if "text" in c]
                content.append(
                    {
                        "text": f"[tool result{' (error)' if res.get('status') == 'error' else ''}: "
                        + " ".join(parts)
                        + "]"
                    }
                )
            else:
                content.append(b)
        turn["content"] = content


def _cache_point(options: Options) -> Block:
    point: Block = {"type": "default"}
    if options.cache_retention == "long":
        point["ttl"] = "1h"
    return {"cachePoint": point}


def _tool_config(context: Context, options: Options, cache: Block | None) -> Block:
    tools: list[Block] = []
    for t in context.tools:
        spec: Block = {"name": t.name, "inputSchema": {"json": dict(t.parameters)}}
        if t.description:
            spec["description"] = t.description
        tools.append({"toolSpec": spec})
    if cache:
        tools.append(cache)
    config: Block = {"tools": tools}
    choice = options.tool_choice
    if choice == "required":
        config["toolChoice"] = {"any": {}}
    elif choice not in (None, "auto", "none"):
        config["toolChoice"] = {"tool": {"name": choice}}
    elif choice == "auto":
        config["toolChoice"] = {"auto": {}}
    return config


def _reasoning(model: Model, options: Options, inference: Block, extra: Block, forced_tool: bool) -> bool:
    """Ask for reasoning the way the model's family takes it; whether it is on."""
    level = options.reasoning
    if level in (None, "off") or not model.reasoning:
        return False
    fam = family(model)
    if fam == "anthropic":
        mode = thinking_mode(model)
        if mode == "none":
            return False
        if forced_tool:
            note("bedrock.thinking-forced-tool", model, f"tool_choice={options.tool_choice!r}: sent without thinking")
            return False
        if mode == "adaptive":
            extra["thinking"] = {"type": "adaptive"}
            efforts = model.compat.get("efforts") or ["low", "medium", "high", "max"]
            effort = CLAUDE_EFFORTS.get(level, "high")
            if effort not in efforts:
                effort = "high"
            extra["output_config"] = {"effort": effort}
            return True
        budget = {**DEFAULT_BUDGETS, **(options.thinking_budgets or {})}.get(level, DEFAULT_BUDGETS["medium"])
        max_tokens = inference["maxTokens"]
        if options.max_tokens is None:
            cap = model.max_tokens or max_tokens + budget
            max_tokens = inference["maxTokens"] = min(max_tokens + budget, cap)
        if max_tokens <= budget:
            budget = max_tokens - MIN_BUDGET
        if budget < MIN_BUDGET:
            return False
        extra["thinking"] = {"type": "enabled", "budget_tokens": budget}
        return True
    if fam == "openai":
        extra["reasoning_effort"] = LEVELS.get(level, "medium")
        return True
    if fam == "qwen":
        extra["reasoning_config"] = LEVELS.get(level, "high")
        return True
    if fam == "amazon" and "nova-2" in model.id:
        extra["reasoningConfig"] = {"type": "enabled", "maxReasoningEffort": LEVELS.get(level, "medium")}
        return True
    return False  # always-on reasoners (DeepSeek R1, Kimi thinking...) take no switch


def _sampling(model: Model, options: Options, inference: Block, thinking: bool) -> None:
    temperature, top_p = options.temperature, options.top_p
    if thinking and family(model) == "anthropic" and (temperature is not None or top_p is not None):
        note("bedrock.thinking-sampling", model, "Claude thinking is on: temperature and top_p not sent")
        return
    if temperature is not None:
        inference["temperature"] = temperature
    if top_p is not None:
        inference["topP"] = top_p


def _max_tokens(model: Model, options: Options) -> int:
    if options.max_tokens is not None:
        if model.max_tokens and options.max_tokens > model.max_tokens:
            note("bedrock.max-tokens-limit", model, f"max_tokens={options.max_tokens} clamped to {model.max_tokens}")
            return model.max_tokens
        return options.max_tokens
    return min(model.max_tokens, 32000) if model.max_tokens else DEFAULT_MAX_TOKENS


def base_url(model: Model) -> str:
    """The runtime endpoint: the model's, with the region of ``AWS_REGION`` /
    ``AWS_DEFAULT_REGION`` when it is the default us-east-1 host (the SigV4
    path has already put the profile's region there)."""
    url = model.base_url.rstrip("/")
    if url == BASE_URL:
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if region:
            suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
            return f"https://bedrock-runtime.{region}.{suffix}"
    return url


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
    cache = _cache_point(options) if options.cache_retention != "none" and takes_cache_points(model) else None
    body: Block = {}
    messages = convert_messages(context, model, fix_id)
    tools = bool(context.tools) and options.tool_choice != "none"
    if not tools and _uses_tools(messages):
        note("bedrock.tool-config", model, "tool blocks in the history without tools: sent as text")
        _tools_as_text(messages)
    if cache and messages:
        for turn in reversed(messages):
            if turn["role"] == "user":
                turn["content"].append(cache)
                break
    body["messages"] = messages
    system: list[Block] = []
    if context.system_prompt and context.system_prompt.strip():
        system.append({"text": context.system_prompt})
        if cache:
            system.append(cache)
    if system:
        body["system"] = system
    inference: Block = {"maxTokens": _max_tokens(model, options)}
    extra: Block = {}
    forced = tools and options.tool_choice not in (None, "auto", "none")
    thinking = _reasoning(model, options, inference, extra, forced)
    _sampling(model, options, inference, thinking)
    if options.stop:
        inference["stopSequences"] = list(options.stop)
    body["inferenceConfig"] = inference
    if tools:
        body["toolConfig"] = _tool_config(context, options, cache)
    if extra:
        body["additionalModelRequestFields"] = extra
    if options.provider_options:
        body.update(options.provider_options)
    op = "converse-stream" if stream else "converse"
    headers = {"content-type": "application/json"}
    if credentials.api_key:
        headers["authorization"] = f"Bearer {credentials.api_key}"
    url = f"{base_url(model)}/model/{quote(model.id, safe='')}/{op}"
    return Request(url=url, headers=headers, json=body)
