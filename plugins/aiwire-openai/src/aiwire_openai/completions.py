"""The ``openai-completions`` api: Chat Completions, as OpenAI and every
compatible host speak it. Quirks come from :class:`~aiwire_openai.compat.Compat`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from aiwire.plugin import CODEC_OPTIONS, BaseCodec, Credentials, ErrorInfo, Options, Request
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
    UserContent,
    UserMessage,
)

from . import rules
from ._chat_decode import API, ChatDecoder, ChatResponse
from ._common import data_url, effort, error_info, target, tool_id
from .compat import Compat, resolve_compat
from .structured import json_schema_format

__all__ = ["CompletionsCodec", "chat_messages"]

_enc = msgspec.json.Encoder()
_REPLAY_FIELDS = frozenset({"reasoning_content", "reasoning", "reasoning_text"})
IMAGE_OMITTED = "(image omitted: this model does not accept images)"
TOOL_IMAGES = "Attached image(s) from tool result:"
AFTER_TOOLS = "I have processed the tool results."


class CompletionsCodec(BaseCodec):
    """Chat Completions (``POST {base_url}/chat/completions``)."""

    api = API
    # thinking_budgets: Chat Completions takes an effort level, never a token budget.
    supported_options = CODEC_OPTIONS - {"thinking_budgets"}
    embedding_api = "openai-embeddings"  # models outside the catalog (a local server's ids) embed here

    def build_request(
        self, model: Model, context: Context, options: Options, credentials: Credentials, *, stream: bool = True
    ) -> Request:
        compat, url, model_name, headers, extra = target(
            model, options, credentials, "/chat/completions", stream=stream
        )
        body: dict[str, Any] = {"model": model_name, "messages": chat_messages(model, context, compat)}
        body["stream"] = stream
        if stream and compat.usage_in_stream:
            body["stream_options"] = {"include_usage": True}
        if compat.store:
            body["store"] = False
        limit = rules.max_tokens(model, options)
        if limit is not None:
            body[compat.max_tokens_field] = limit
        reasoning = options.reasoning is not None and (model.reasoning or compat.open_catalog)
        level = rules.clamp_effort(model, compat, effort(options, compat)) if reasoning else None
        rules.sampling(body, model, options, level)
        if options.stop:
            body["stop"] = options.stop
        if context.tools:
            body["tools"] = [_tool(t.name, t.description, t.parameters, compat) for t in context.tools]
        if rules.tool_choice_allowed(model, options, bool(context.tools)):
            choice = options.tool_choice
            body["tool_choice"] = (
                choice if choice in ("auto", "none", "required") else {"type": "function", "function": {"name": choice}}
            )
        if reasoning:
            _reasoning(body, options, compat, level)
        if compat.prompt_cache_key and options.session_id and options.cache_retention != "none":
            body["prompt_cache_key"] = options.session_id
        if compat.session_header and options.session_id and options.cache_retention != "none":
            headers = {**headers, compat.session_header: options.session_id}
        if compat.routing:
            body["provider"] = compat.routing
        body.update(extra)
        return Request(url=url, headers=headers, json=body)

    def decoder(self, model: Model, options: Options) -> ChatDecoder:
        return ChatDecoder(model, options, resolve_compat(model.provider, model.compat))

    def parse_response(self, model: Model, options: Options, body: bytes) -> AssistantMessage:
        dec = self.decoder(model, options)
        data = msgspec.json.decode(body, type=ChatResponse)
        for choice in data.choices or ():
            for n, tc in enumerate((choice.message.tool_calls if choice.message else None) or ()):
                if tc.index is None:
                    tc.index = n
        dec.chunk(data)
        dec._complete()
        return dec.message

    def parse_error(self, status: int, headers: Mapping[str, str], body: bytes) -> ErrorInfo:
        return error_info(status, body)

    def tool_call_id(self, id: str) -> str:
        return tool_id(id, Compat())

    def structured_output(self, model: Model, schema: dict[str, Any], name: str) -> dict[str, Any] | None:
        """``response_format`` json_schema where the compat flag ``structured_output`` is on."""
        fmt = json_schema_format(model, resolve_compat(model.provider, model.compat), schema, name)
        if fmt is None:
            return None
        fmt.pop("type")
        return {"response_format": {"type": "json_schema", "json_schema": fmt}}


def _tool(name: str, description: str, parameters: dict[str, Any], compat: Compat) -> dict[str, Any]:
    fn: dict[str, Any] = {"name": name, "description": description, "parameters": parameters}
    if compat.strict_tools:
        fn["strict"] = False
    return {"type": "function", "function": fn}


def _reasoning(body: dict[str, Any], options: Options, compat: Compat, level: str | None) -> None:
    fmt = compat.reasoning_format
    on = options.reasoning != "off"
    if fmt == "openai":
        if level is not None:
            body["reasoning_effort"] = level
    elif fmt == "openrouter":
        body["reasoning"] = {"effort": level} if on and level else {"enabled": False} if not on else {"enabled": True}
    elif fmt == "thinking_type":
        body["thinking"] = {"type": "enabled" if on else "disabled"}
        if on and level is not None:
            body["reasoning_effort"] = level
    elif fmt == "enable_thinking":
        body["enable_thinking"] = on
    elif fmt == "chat_template":
        kwargs = dict(body.get("chat_template_kwargs") or {})
        kwargs["enable_thinking"] = on
        body["chat_template_kwargs"] = kwargs


# -- messages -------------------------------------------------------------------


def chat_messages(model: Model, context: Context, compat: Compat) -> list[dict[str, Any]]:
    """The ``messages`` array for ``context`` (the context is not modified)."""
    out: list[dict[str, Any]] = []
    if context.system_prompt:
        role = rules.system_role(model, compat)
        if role == "user":
            rules.note(
                "openai.system-role", model, "takes no system or developer message: the system prompt goes as user"
            )
        out.append({"role": role, "content": context.system_prompt})
    images_ok = "image" in model.input
    pending: list[dict[str, Any]] = []  # tool-result images, sent after the tool messages
    last = ""
    for m in context.messages:
        if not isinstance(m, ToolResultMessage) and (pending or last == "tool"):
            _after_tools(out, pending, compat, before_user=isinstance(m, UserMessage))
        if isinstance(m, UserMessage):
            out.append({"role": "user", "content": _user_content(m.content, images_ok)})
            last = "user"
        elif isinstance(m, AssistantMessage):
            msg = _assistant(m, compat)
            if msg is not None:
                out.append(msg)
                last = "assistant"
        else:
            out.append(_tool_result(m, compat, images_ok, pending))
            last = "tool"
    if pending:
        _after_tools(out, pending, compat, before_user=True)
    return out


def _after_tools(
    out: list[dict[str, Any]], pending: list[dict[str, Any]], compat: Compat, *, before_user: bool
) -> None:
    if compat.assistant_after_tool_result and out and out[-1]["role"] == "tool" and (before_user or pending):
        out.append({"role": "assistant", "content": AFTER_TOOLS})
    if pending:
        out.append({"role": "user", "content": [{"type": "text", "text": TOOL_IMAGES}, *pending]})
        pending.clear()


def _user_content(content: str | list[UserContent], images_ok: bool) -> Any:
    if isinstance(content, str):
        return content
    if all(isinstance(b, TextContent) for b in content):
        # A plain string is what every host accepts.
        return "\n".join(b.text for b in content if isinstance(b, TextContent))
    parts: list[dict[str, Any]] = []
    for b in content:
        if isinstance(b, TextContent):
            parts.append({"type": "text", "text": b.text})
        elif images_ok:
            parts.append({"type": "image_url", "image_url": {"url": data_url(b)}})
        else:
            parts.append({"type": "text", "text": IMAGE_OMITTED})
    return parts


def _assistant(m: AssistantMessage, compat: Compat) -> dict[str, Any] | None:
    texts: list[str] = []
    thinking: dict[str, list[str]] = {}
    chunks: list[dict[str, Any]] = []  # Mistral typed thinking chunks
    calls: list[dict[str, Any]] = []
    details: list[Any] = []
    replay = compat.thinking_replay
    for b in m.content:
        if isinstance(b, TextContent):
            if b.text:
                texts.append(b.text)
        elif isinstance(b, ThinkingContent):
            if b.redacted or not b.thinking or replay == "drop":
                continue
            if replay == "text":
                texts.append(b.thinking)
            elif b.signature == "content.thinking":
                chunks.append({"type": "thinking", "thinking": [{"type": "text", "text": b.thinking}]})
            elif b.signature in _REPLAY_FIELDS:
                thinking.setdefault(b.signature, []).append(b.thinking)
            # Unsigned thinking is display-only; the host never asked for it back.
        elif isinstance(b, ToolCall):
            calls.append(
                {
                    "id": tool_id(b.id, compat),
                    "type": "function",
                    "function": {"name": b.name, "arguments": _enc.encode(b.arguments).decode()},
                }
            )
        elif isinstance(b, ProviderContent) and b.api == API and b.kind == "reasoning_details" and replay != "drop":
            details.extend(b.data.get("details") or ())
    # Separate blocks stay separate paragraphs: another model's thinking,
    # handed over as text, must not run into the reply that followed it.
    text = "\n\n".join(texts)
    if not text and not calls and not chunks:
        return None  # hosts reject empty assistant turns
    msg: dict[str, Any] = {"role": "assistant"}
    if chunks:
        msg["content"] = [*chunks, {"type": "text", "text": text}] if text else chunks
    else:
        msg["content"] = text or ("" if compat.assistant_after_tool_result else None)
    if details:
        msg["reasoning_details"] = details
    else:
        for field, parts in thinking.items():
            msg[field] = "".join(parts)
    if calls:
        msg["tool_calls"] = calls
        if compat.thinking_field and compat.thinking_field not in msg:
            msg[compat.thinking_field] = ""
    return msg


def _tool_result(
    m: ToolResultMessage, compat: Compat, images_ok: bool, pending: list[dict[str, Any]]
) -> dict[str, Any]:
    texts = [b.text for b in m.content if isinstance(b, TextContent)]
    images = [b for b in m.content if isinstance(b, ImageContent)]
    if images:
        if images_ok:
            pending.extend({"type": "image_url", "image_url": {"url": data_url(i)}} for i in images)
            texts.append("(see the attached image)" if len(images) == 1 else "(see the attached images)")
        else:
            texts.append(IMAGE_OMITTED)
    msg: dict[str, Any] = {"role": "tool", "tool_call_id": tool_id(m.tool_call_id, compat), "content": "\n".join(texts)}
    if compat.tool_result_name:
        msg["name"] = m.tool_name
    return msg
