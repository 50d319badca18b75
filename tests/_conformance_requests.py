"""Recorded vendor requests (``../shared/conformance``) turned into aiwire
calls, and the fields of a request body that decide whether a vendor accepts it.

``to_call(recording)`` gives ``(model, context, options, kind)`` or raises
:class:`Unexpressible` with the reason; ``features(api, body)`` extracts what
is compared: roles and block types, tool definitions and tool_choice,
thinking/reasoning configuration, cache-control placement, token limits,
streaming flags and include lists.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import aiwire
from aiwire.types import (
    AssistantMessage,
    Context,
    ImageContent,
    TextContent,
    ThinkingContent,
    Tool,
    ToolCall,
    ToolResultMessage,
    UserMessage,
)

WIRE_API = {
    "anthropic-messages": "anthropic-messages",
    "openai-chat": "openai-completions",
    "openai-responses": "openai-responses",
    "google-gemini": "google-generative-ai",
}
PROVIDERS = {
    "anthropic": "anthropic",
    "openai": "openai",
    "groq": "groq",
    "openrouter": "openrouter",
    "huggingface": "huggingface",
    "ollama": "ollama",
    "cerebras": "cerebras",
    "mistral": "mistral",
    "deepseek": "deepseek",
    "azure-openai": "azure",
    "google-gla": "google",
    "google-vertex": "google-vertex",
}


class Unexpressible(Exception):
    """The recorded request uses something an aiwire call cannot say."""


def _no(reason: str) -> Unexpressible:
    return Unexpressible(reason)


# -- recordings -> aiwire calls ------------------------------------------------------------


def to_call(rec: dict[str, Any]) -> tuple[aiwire.Model, Context, dict[str, Any], str]:
    api, body = rec["api"], rec["request"]["body"] or {}
    provider = PROVIDERS.get(rec["provider"])
    if provider is None:
        raise _no(f"host {rec['provider']!r} is not an aiwire provider")
    if not body:
        raise _no("no request body was recorded")
    wire = WIRE_API[api]
    model_id = body.get("model") or rec["request"]["url"].split("/models/")[-1].split(":")[0]
    try:
        model = aiwire.get_model(provider, model_id)
    except aiwire.errors.AiwireError:  # not in the catalog: say what the recording's request assumes
        model = aiwire.custom_model(model_id, provider=provider, api=wire, reasoning=_asks_reasoning(body))
    if model.api != wire:
        model = aiwire.custom_model(model_id, provider=provider, api=wire, reasoning=model.reasoning)
    if wire == "anthropic-messages":
        ctx, opts = _anthropic(body)
    elif wire == "openai-completions":
        ctx, opts = _chat(body, provider)
    elif wire == "openai-responses":
        ctx, opts = _responses(body)
    else:
        ctx, opts = _gemini(body)
    if provider == "azure":
        opts["provider_options"] = {"azure_resource": rec["request"]["url"].split("//")[1].split(".")[0]}
    kind = "stream" if rec["streaming"] else "complete"
    return model, ctx, {"api_key": "k", **opts}, kind


def _asks_reasoning(body: dict[str, Any]) -> bool:
    conf = body.get("generationConfig") or {}
    keys = ("thinking", "reasoning", "reasoning_effort", "output_config")
    return any(body.get(k) for k in keys) or bool(conf.get("thinkingConfig"))


def _json_schema(schema: Any) -> Any:
    """Gemini's OpenAPI-style Schema (``type: OBJECT``) as the JSON Schema it means."""
    if isinstance(schema, dict):
        return {k: (v.lower() if k == "type" and isinstance(v, str) else _json_schema(v)) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_json_schema(v) for v in schema]
    return schema


def _image(media_type: str, data: str) -> ImageContent:
    if data.startswith("<elided"):
        data = base64.b64encode(b"elided").decode()
    return ImageContent(data=data, mime_type=media_type)


def _text_of(blocks: Any) -> str:
    if isinstance(blocks, str):
        return blocks
    return "\n".join(b.get("text", "") for b in blocks if isinstance(b, dict))


def _level(effort: str) -> str:
    return {"max": "xhigh", "xhigh": "xhigh", "minimal": "minimal"}.get(effort, effort)


def _anthropic(body: dict[str, Any]) -> tuple[Context, dict[str, Any]]:
    for key in ("mcp_servers", "container"):
        if key in body:
            raise _no(f"{key}: Anthropic's server-side {key.replace('_', ' ')} have no aiwire option")
    out = body.get("output_config") or {}
    if "format" in out:
        raise _no(
            "output_config.format: native structured output (aiwire sends it from aiwire.extract, not as a call option)"
        )
    names: dict[str, str] = {}
    messages: list[Any] = []
    for m in body["messages"]:
        content = m["content"]
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if m["role"] == "assistant":
            parts: list[Any] = []
            for b in blocks:
                if b["type"] == "text":
                    parts.append(TextContent(text=b["text"]))
                elif b["type"] == "thinking":
                    parts.append(ThinkingContent(thinking=b["thinking"], signature=b.get("signature")))
                elif b["type"] == "tool_use":
                    names[b["id"]] = b["name"]
                    parts.append(ToolCall(id=b["id"], name=b["name"], arguments=b.get("input") or {}))
                else:
                    raise _no(f"assistant block {b['type']!r}")
            messages.append(
                AssistantMessage(
                    content=parts,
                    api="anthropic-messages",
                    provider="anthropic",
                    model=body["model"],
                    stop_reason="tool_use" if names else "stop",
                )
            )
            continue
        user: list[Any] = []
        for b in blocks:
            if b["type"] == "text":
                user.append(TextContent(text=b["text"]))
            elif b["type"] == "image" and b["source"]["type"] == "base64":
                user.append(_image(b["source"]["media_type"], b["source"]["data"]))
            elif b["type"] == "tool_result":
                if user:
                    messages.append(UserMessage(content=user))
                    user = []
                inner = b.get("content") or []
                inner = [{"type": "text", "text": inner}] if isinstance(inner, str) else inner
                messages.append(
                    ToolResultMessage(
                        tool_call_id=b["tool_use_id"],
                        tool_name=names.get(b["tool_use_id"], "tool"),
                        content=[TextContent(text=i["text"]) for i in inner if i["type"] == "text"],
                        is_error=bool(b.get("is_error")),
                    )
                )
            else:
                kind = b["type"] + (f" ({b['source']['type']} source)" if "source" in b else "")
                raise _no(f"user block {kind}: aiwire user content is text and base64 images")
        if user:
            messages.append(UserMessage(content=user))
    tools = []
    for t in body.get("tools") or []:
        if "type" in t and t["type"] != "custom":
            raise _no(f"server tool {t['type']!r}: aiwire tools are functions")
        tools.append(Tool(name=t["name"], description=t.get("description", ""), parameters=t["input_schema"]))
    opts: dict[str, Any] = {"max_tokens": body["max_tokens"]}
    choice = body.get("tool_choice")
    if choice:
        opts["tool_choice"] = {"auto": "auto", "any": "required", "none": "none"}.get(choice["type"]) or choice["name"]
    thinking = body.get("thinking") or {}
    if thinking.get("type") == "enabled":
        opts |= {"reasoning": "medium", "thinking_budgets": {"medium": thinking["budget_tokens"]}}
    elif thinking.get("type") == "adaptive" or "effort" in out:
        opts["reasoning"] = _level(out.get("effort", "medium"))
    if "stop_sequences" in body:
        opts["stop"] = body["stop_sequences"]
    for key in ("temperature", "top_p"):
        if key in body:
            opts[key] = body[key]
    system = body.get("system")
    return Context(system_prompt=_text_of(system) if system else None, messages=messages, tools=tools), opts


def _chat(body: dict[str, Any], provider: str) -> tuple[Context, dict[str, Any]]:
    if "response_format" in body:
        raise _no(
            "response_format: native structured output (aiwire sends it from aiwire.extract, not as a call option)"
        )
    for key in ("models", "transforms", "moderation"):
        if key in body:
            raise _no(f"{key}: a host routing field with no aiwire option")
    system: list[str] = []
    messages: list[Any] = []
    names: dict[str, str] = {}
    for m in body["messages"]:
        role, content = m["role"], m.get("content")
        if role in ("system", "developer"):
            system.append(_text_of(content))
        elif role == "user":
            if isinstance(content, str):
                messages.append(UserMessage(content=content))
                continue
            parts: list[Any] = []
            for p in content:
                if p["type"] == "text":
                    parts.append(TextContent(text=p["text"]))
                elif p["type"] == "image_url" and p["image_url"]["url"].startswith("data:"):
                    head, data = p["image_url"]["url"].split(",", 1)
                    parts.append(_image(head[5:].split(";")[0], data))
                else:
                    raise _no(f"user part {p['type']!r}: aiwire user content is text and base64 images")
            messages.append(UserMessage(content=parts))
        elif role == "assistant":
            parts = []
            if isinstance(content, list):
                raise _no("assistant content as typed parts (Mistral thinking chunks)")
            if content:
                parts.append(TextContent(text=content))
            for tc in m.get("tool_calls") or []:
                names[tc["id"]] = tc["function"]["name"]
                args = json.loads(tc["function"]["arguments"] or "{}")
                parts.append(ToolCall(id=tc["id"], name=tc["function"]["name"], arguments=args))
            messages.append(
                AssistantMessage(
                    content=parts,
                    api="openai-completions",
                    provider=provider,
                    model=body["model"],
                    stop_reason="tool_use" if names else "stop",
                )
            )
        elif role == "tool":
            messages.append(
                ToolResultMessage(
                    tool_call_id=m["tool_call_id"],
                    tool_name=names.get(m["tool_call_id"], "t"),
                    content=[TextContent(text=_text_of(content))],
                )
            )
    for t in body.get("tools") or []:
        if t.get("type") != "function":
            raise _no(f"tool of type {t.get('type')!r}: aiwire tools are functions")
    tools = [
        Tool(
            name=t["function"]["name"],
            description=t["function"].get("description", ""),
            parameters=t["function"].get("parameters") or {"type": "object", "properties": {}},
        )
        for t in body.get("tools") or []
    ]
    opts: dict[str, Any] = {}
    if isinstance(body.get("tool_choice"), str):
        opts["tool_choice"] = body["tool_choice"]
    for key, opt in (
        ("max_completion_tokens", "max_tokens"),
        ("max_tokens", "max_tokens"),
        ("temperature", "temperature"),
        ("top_p", "top_p"),
    ):
        if key in body:
            opts[opt] = body[key]
    if "reasoning_effort" in body:
        opts["reasoning"] = _level(body["reasoning_effort"])
    elif (body.get("reasoning") or {}).get("enabled") or (body.get("thinking") or {}).get("type") == "enabled":
        opts["reasoning"] = "medium"
    if body.get("n", 1) != 1:
        raise _no("n > 1: aiwire returns one choice")
    return Context(system_prompt="\n".join(system) or None, messages=messages, tools=tools), opts


def _responses(body: dict[str, Any]) -> tuple[Context, dict[str, Any]]:
    if body.get("previous_response_id"):
        raise _no("previous_response_id: aiwire sends the whole conversation (stateless), not a stored response")
    if (body.get("text") or {}).get("format", {}).get("type", "text") != "text":
        raise _no("text.format: native structured output (aiwire sends it from aiwire.extract, not as a call option)")
    if body.get("background"):
        raise _no("background: a background response has no aiwire option")
    inp = body["input"]
    inp = [{"role": "user", "content": inp}] if isinstance(inp, str) else inp
    messages: list[Any] = []
    names: dict[str, str] = {}
    system = [body["instructions"]] if body.get("instructions") else []
    pending: list[Any] = []

    def flush() -> None:
        if pending:
            messages.append(
                AssistantMessage(
                    content=list(pending),
                    api="openai-responses",
                    provider="openai",
                    model=body["model"],
                    stop_reason="tool_use",
                )
            )
            pending.clear()

    for item in inp:
        kind = item.get("type", "message")
        if kind == "message" and item["role"] in ("system", "developer"):
            system.append(_text_of(item["content"]))
        elif kind == "message" and item["role"] == "user":
            flush()
            c = item["content"]
            if isinstance(c, str):
                messages.append(UserMessage(content=c))
            elif all(p["type"] == "input_text" for p in c):
                messages.append(UserMessage(content=[TextContent(text=p["text"]) for p in c]))
            else:
                raise _no("user input parts other than text")
        elif kind == "message" and item["role"] == "assistant":
            pending.append(
                TextContent(
                    text=_text_of(item["content"])
                    if isinstance(item["content"], str)
                    else "".join(p.get("text", "") for p in item["content"])
                )
            )
        elif kind == "function_call":
            names[item["call_id"]] = item["name"]
            pending.append(
                ToolCall(id=item["call_id"], name=item["name"], arguments=json.loads(item["arguments"] or "{}"))
            )
        elif kind == "function_call_output":
            flush()
            messages.append(
                ToolResultMessage(
                    tool_call_id=item["call_id"],
                    tool_name=names.get(item["call_id"], "t"),
                    content=[TextContent(text=str(item["output"]))],
                )
            )
        elif kind == "reasoning":
            raise _no("a reasoning item from another response id, sent back as an input item")
        else:
            raise _no(f"input item {kind!r}")
    flush()
    tools = []
    for t in body.get("tools") or []:
        if t.get("type") != "function":
            raise _no(f"built-in tool {t.get('type')!r}: aiwire tools are functions")
        tools.append(Tool(name=t["name"], description=t.get("description") or "", parameters=t["parameters"]))
    opts: dict[str, Any] = {}
    if isinstance(body.get("tool_choice"), str):
        opts["tool_choice"] = body["tool_choice"]
    if "max_output_tokens" in body:
        opts["max_tokens"] = body["max_output_tokens"]
    if (body.get("reasoning") or {}).get("effort"):
        opts["reasoning"] = _level(body["reasoning"]["effort"])
    if "temperature" in body:
        opts["temperature"] = body["temperature"]
    return Context(system_prompt="\n".join(system) or None, messages=messages, tools=tools), opts


def _gemini(body: dict[str, Any]) -> tuple[Context, dict[str, Any]]:
    if body.get("cachedContent"):
        raise _no("cachedContent: a server-side cache created outside the call")
    conf = body.get("generationConfig") or {}
    if "responseJsonSchema" in conf or "responseSchema" in conf:
        raise _no(
            "responseJsonSchema: native structured output (aiwire sends it from aiwire.extract, not as a call option)"
        )
    if body.get("modelArmorConfig"):
        raise _no("modelArmorConfig: Vertex AI's Model Armor has no aiwire option")
    messages: list[Any] = []
    names: list[str] = []
    for c in body["contents"]:
        parts = c.get("parts") or []
        if c.get("role") == "model":
            out: list[Any] = []
            for p in parts:
                fc = p.get("functionCall") or p.get("function_call")
                if fc:
                    names.append(fc["name"])
                    out.append(
                        ToolCall(id=f"{fc['name']}_{len(names)}", name=fc["name"], arguments=fc.get("args") or {})
                    )
                elif "text" in p:
                    out.append(TextContent(text=p["text"]))
            messages.append(
                AssistantMessage(
                    content=out,
                    api="google-generative-ai",
                    provider="google",
                    model="m",
                    stop_reason="tool_use" if names else "stop",
                )
            )
            continue
        user: list[Any] = []
        for p in parts:
            fr = p.get("functionResponse") or p.get("function_response")
            if fr and fr.get("parts"):
                raise _no("a function response carrying files by URL (fileData)")
            if fr:
                i = names.index(fr["name"]) + 1 if fr["name"] in names else 0
                messages.append(
                    ToolResultMessage(
                        tool_call_id=f"{fr['name']}_{i}",
                        tool_name=fr["name"],
                        content=[TextContent(text=str(fr.get("response")))],
                    )
                )
            elif "text" in p:
                user.append(TextContent(text=p["text"]))
            elif "inlineData" in p and p["inlineData"]["mimeType"].startswith("image/"):
                user.append(_image(p["inlineData"]["mimeType"], p["inlineData"]["data"]))
            else:
                raise _no(f"user part {next(iter(p))!r}: aiwire user content is text and base64 images")
        if user:
            messages.append(UserMessage(content=user))
    tools = []
    for t in body.get("tools") or []:
        for fd in t.get("functionDeclarations") or t.get("function_declarations") or []:
            schema = (
                fd.get("parametersJsonSchema")
                or _json_schema(fd.get("parameters"))
                or {"type": "object", "properties": {}}
            )
            tools.append(Tool(name=fd["name"], description=fd.get("description", ""), parameters=schema))
        if set(t) - {"functionDeclarations", "function_declarations"}:
            raise _no(f"built-in tool {sorted(set(t))}: aiwire tools are functions")
    opts: dict[str, Any] = {}
    if "maxOutputTokens" in conf:
        opts["max_tokens"] = conf["maxOutputTokens"]
    if "temperature" in conf:
        opts["temperature"] = conf["temperature"]
    if conf.get("thinkingConfig"):
        opts["reasoning"] = "medium"
    mode = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
    if mode.get("allowedFunctionNames"):
        raise _no("toolConfig.allowedFunctionNames: a subset of tools is not an aiwire tool_choice")
    system = body.get("systemInstruction")
    return Context(system_prompt=_text_of(system["parts"]) if system else None, messages=messages, tools=tools), opts


# -- what decides acceptance ---------------------------------------------------------------


def _schema(s: Any) -> Any:
    return _json_schema(s) if isinstance(s, dict) else {}


def features(api: str, body: dict[str, Any]) -> dict[str, Any]:
    if api == "anthropic-messages":
        msgs = body.get("messages", [])
        cache = sorted(_cache_paths(body))
        return {
            "roles": [m["role"] for m in msgs],
            "blocks": [[b["type"] for b in m["content"]] if isinstance(m["content"], list) else ["text"] for m in msgs],
            "tools": [(t["name"], _schema(t.get("input_schema"))) for t in body.get("tools") or []],
            "tool_choice": (body.get("tool_choice") or {}).get("type"),
            "thinking": body.get("thinking"),
            "effort": (body.get("output_config") or {}).get("effort"),
            "cache_control": cache,
            "max_tokens": body.get("max_tokens"),
            "stream": bool(body.get("stream")),
        }
    if api == "openai-completions":
        msgs = body.get("messages", [])
        return {
            "roles": [m["role"] for m in msgs],
            "parts": [
                [p["type"] for p in m["content"]] if isinstance(m.get("content"), list) else ["text"] for m in msgs
            ],
            "tool_calls": [len(m.get("tool_calls") or []) for m in msgs],
            "tools": [
                (t["function"]["name"], _schema(t["function"].get("parameters"))) for t in body.get("tools") or []
            ],
            "tool_choice": body.get("tool_choice"),
            "reasoning": body.get("reasoning_effort") or body.get("reasoning") or body.get("thinking"),
            "max_tokens": body.get("max_completion_tokens") or body.get("max_tokens"),
            "stream": bool(body.get("stream")),
            "include_usage": bool((body.get("stream_options") or {}).get("include_usage")),
        }
    if api == "openai-responses":
        inp = body.get("input")
        items = [{"role": "user"}] if isinstance(inp, str) else inp or []
        return {
            "items": [i.get("type", "message") + (":" + i["role"] if "role" in i else "") for i in items],
            "instructions": bool(body.get("instructions")),
            "tools": [(t.get("name"), _schema(t.get("parameters"))) for t in body.get("tools") or []],
            "tool_choice": body.get("tool_choice"),
            "reasoning_effort": (body.get("reasoning") or {}).get("effort"),
            "max_tokens": body.get("max_output_tokens"),
            "stream": bool(body.get("stream")),
            "include": sorted(body.get("include") or []),
        }
    conf = body.get("generationConfig") or {}
    return {
        "roles": [c.get("role") for c in body.get("contents", [])],
        "parts": [sorted({_part_kind(p) for p in c.get("parts", [])}) for c in body.get("contents", [])],
        "system": bool(body.get("systemInstruction")),
        "tools": [
            (fd["name"], _schema(fd.get("parametersJsonSchema") or fd.get("parameters")))
            for t in body.get("tools") or []
            for fd in t.get("functionDeclarations") or []
        ],
        "tool_mode": ((body.get("toolConfig") or {}).get("functionCallingConfig") or {}).get("mode"),
        "thinking": bool(conf.get("thinkingConfig")),
        "max_tokens": conf.get("maxOutputTokens"),
    }


def _part_kind(p: dict[str, Any]) -> str:
    for key in ("functionCall", "function_call"):
        if key in p:
            return "functionCall"
    for key in ("functionResponse", "function_response"):
        if key in p:
            return "functionResponse"
    return "inlineData" if "inlineData" in p else "text" if "text" in p else next(iter(p))


def _cache_paths(body: dict[str, Any]) -> list[str]:
    out = ["<request>"] if "cache_control" in body else []
    system = body.get("system")
    if isinstance(system, list) and any("cache_control" in b for b in system):
        out.append("system")
    if any("cache_control" in t for t in body.get("tools") or []):
        out.append("tools")
    msgs = body.get("messages", [])
    for i, m in enumerate(msgs):
        if isinstance(m["content"], list) and any("cache_control" in b for b in m["content"]):
            out.append("last message" if i == len(msgs) - 1 else f"message {i}")
    return out
