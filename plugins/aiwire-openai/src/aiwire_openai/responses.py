"""The ``openai-responses`` api (``POST {base_url}/responses``), stateless:
``store: false`` with encrypted reasoning sent back on every turn."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from aiwire.plugin import (
    CODEC_OPTIONS,
    BaseCodec,
    Credentials,
    ErrorInfo,
    Options,
    Request,
    normalize_tool_call_id,
)
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
from ._common import data_url, effort, error_info, target
from ._responses_decode import API, ResponsesDecoder, tool_ids
from .compat import resolve_compat
from .structured import json_schema_format

__all__ = ["ResponsesCodec", "response_input"]

_enc = msgspec.json.Encoder()
IMAGE_OMITTED = "(image omitted: this model does not accept images)"


class ResponsesCodec(BaseCodec):
    """OpenAI Responses. ``stop`` is not part of this api."""

    api = API
    supported_options = CODEC_OPTIONS - {"stop"}
    embedding_api = "openai-embeddings"  # models outside the catalog embed here

    def build_request(
        self, model: Model, context: Context, options: Options, credentials: Credentials, *, stream: bool = True
    ) -> Request:
        compat, url, model_name, headers, extra = target(model, options, credentials, "/responses", stream=stream)
        body: dict[str, Any] = {"model": model_name, "input": response_input(model, context), "stream": stream}
        if context.system_prompt or compat.require_instructions:
            body["instructions"] = context.system_prompt or ""
        if compat.store:
            body["store"] = False
        limit = rules.max_tokens(model, options)
        if limit is not None:
            body["max_output_tokens"] = limit
        level = effort(options, compat) if model.reasoning or compat.open_catalog else None
        level = rules.clamp_effort(model, compat, level)
        rules.sampling(body, model, options, level)
        if context.tools:
            # strict defaults to true here, which rejects most hand-written schemas.
            body["tools"] = [
                {
                    "type": "function",
                    "name": t.name,
                    "description": t.description,
                    "parameters": t.parameters,
                    "strict": False,
                }
                for t in context.tools
            ]
        if rules.tool_choice_allowed(model, options, bool(context.tools)):
            choice = options.tool_choice
            body["tool_choice"] = (
                choice if choice in ("auto", "none", "required") else {"type": "function", "name": choice}
            )
        if level is not None:
            reasoning: dict[str, Any] = {"effort": level}
            if compat.reasoning_summary and level != "none":
                reasoning["summary"] = compat.reasoning_summary
            body["reasoning"] = reasoning
        if compat.encrypted_reasoning == "always" or (compat.encrypted_reasoning and model.reasoning):
            body["include"] = ["reasoning.encrypted_content"]
        if compat.prompt_cache_key and options.session_id and options.cache_retention != "none":
            body["prompt_cache_key"] = options.session_id
            if options.cache_retention == "long" and "api.openai.com" in model.base_url:
                body["prompt_cache_retention"] = "24h"
        body.update(extra)
        return Request(url=url, headers=headers, json=body)

    def decoder(self, model: Model, options: Options) -> ResponsesDecoder:
        return ResponsesDecoder(model, options)

    def parse_response(self, model: Model, options: Options, body: bytes) -> AssistantMessage:
        dec = ResponsesDecoder(model, options)
        data = msgspec.json.decode(body)
        if not isinstance(data, dict):
            dec.fail("the provider answered with something that is not a response object")
        else:
            dec.whole(data)
        return dec.message

    def parse_error(self, status: int, headers: Mapping[str, str], body: bytes) -> ErrorInfo:
        return error_info(status, body)

    def structured_output(self, model: Model, schema: dict[str, Any], name: str) -> dict[str, Any] | None:
        """``text.format`` json_schema where the compat flag ``structured_output`` is on."""
        fmt = json_schema_format(model, resolve_compat(model.provider, model.compat), schema, name)
        return None if fmt is None else {"text": {"format": fmt}}

    def tool_call_id(self, id: str) -> str:
        # A foreign id keeps only its call part: another model's item ids
        # are unknown to this one.
        return normalize_tool_call_id(id.partition("|")[0], max_len=64)


# -- input items --------------------------------------------------------------------


def response_input(model: Model, context: Context) -> list[dict[str, Any]]:
    """The ``input`` items for ``context`` (the context is not modified)."""
    images_ok = "image" in model.input
    items: list[dict[str, Any]] = []
    unpaired = 0
    for m in context.messages:
        if isinstance(m, UserMessage):
            items.append({"role": "user", "content": _user_content(m.content, images_ok)})
        elif isinstance(m, AssistantMessage):
            start = len(items)
            _assistant_items(m, items)
            unpaired += _pair_reasoning(m, items, start)
        else:
            items.append(_tool_output(m, images_ok))
    if unpaired:
        rules.note(
            "openai-responses.reasoning-pairs",
            model,
            f"{unpaired} replayed item(s) adjusted so that reasoning items and the items they precede travel together",
        )
    return items


def _pair_reasoning(m: AssistantMessage, items: list[dict[str, Any]], start: int) -> int:
    """Rule ``openai-responses.reasoning-pairs`` on the items of one turn
    (``items[start:]``); returns how many items it changed."""
    changed = 0
    turn = items[start:]
    # A reasoning item must be followed by an item of its own turn.
    while turn and turn[-1].get("type") == "reasoning":
        turn.pop()
        changed += 1
    had_reasoning = any(isinstance(b, ThinkingContent) for b in m.content)
    if had_reasoning and not any(i.get("type") == "reasoning" for i in turn):
        # The turn's reasoning cannot be sent: its output items may not carry
        # the ids that point at it.
        for n, item in enumerate(turn):
            if item.get("type") == "function_call" and "id" in item:
                turn[n] = {k: v for k, v in item.items() if k != "id"}
                changed += 1
            elif item.get("type") == "message" and item.get("id"):
                text = "".join(p.get("text", "") for p in item.get("content") or ())
                turn[n] = {"role": "assistant", "content": text}
                changed += 1
    items[start:] = turn
    return changed


def _user_content(content: str | list[UserContent], images_ok: bool) -> Any:
    if isinstance(content, str):
        return content
    parts: list[dict[str, Any]] = []
    for b in content:
        if isinstance(b, TextContent):
            parts.append({"type": "input_text", "text": b.text})
        elif images_ok:
            parts.append({"type": "input_image", "image_url": data_url(b), "detail": "auto"})
        else:
            parts.append({"type": "input_text", "text": IMAGE_OMITTED})
    return parts


def _text_signature(sig: str | None) -> dict[str, Any]:
    if not sig:
        return {}
    if sig.startswith("{"):
        try:
            data = msgspec.json.decode(sig)
        except msgspec.DecodeError:
            return {}
        return data if isinstance(data, dict) else {}
    return {"id": sig}


def _assistant_items(m: AssistantMessage, items: list[dict[str, Any]]) -> None:
    for b in m.content:
        if isinstance(b, TextContent):
            if not b.text:
                continue
            sig = _text_signature(b.signature)
            msg_id = sig.get("id")
            if isinstance(msg_id, str) and msg_id.startswith("msg"):
                item: dict[str, Any] = {
                    "type": "message",
                    "role": "assistant",
                    "id": msg_id,
                    "status": "completed",
                    "content": [{"type": "output_text", "text": b.text, "annotations": []}],
                }
                if sig.get("phase"):
                    item["phase"] = sig["phase"]
                items.append(item)
            else:
                items.append({"role": "assistant", "content": b.text})
        elif isinstance(b, ThinkingContent):
            reasoning = _reasoning_item(b.signature)
            if reasoning is not None:
                items.append(reasoning)
            # Unsigned thinking is display-only: nothing to send back.
        elif isinstance(b, ToolCall):
            call_id, item_id = tool_ids(b.id)
            call: dict[str, Any] = {
                "type": "function_call",
                "call_id": call_id,
                "name": b.name,
                "arguments": _enc.encode(b.arguments).decode(),
            }
            if item_id:
                call["id"] = item_id
            items.append(call)
        elif isinstance(b, ProviderContent) and b.api == API and b.data:
            items.append(dict(b.data))


def _reasoning_item(signature: str | None) -> dict[str, Any] | None:
    if not signature or not signature.startswith("{"):
        return None
    try:
        item = msgspec.json.decode(signature)
    except msgspec.DecodeError:
        return None
    if not isinstance(item, dict) or item.get("type") != "reasoning":
        return None
    if not item.get("encrypted_content"):
        # Without it the server looks the id up, and stateless requests
        # (store: false) keep nothing to find.
        return None
    # The server rejects its own output-only fields on input.
    item.pop("status", None)
    return item


def _tool_output(m: ToolResultMessage, images_ok: bool) -> dict[str, Any]:
    call_id = tool_ids(m.tool_call_id)[0]
    images = [b for b in m.content if isinstance(b, ImageContent)]
    text = "\n".join(b.text for b in m.content if isinstance(b, TextContent))
    output: Any
    if images and images_ok:
        output = [{"type": "input_text", "text": text}] if text else []
        output += [{"type": "input_image", "image_url": data_url(i), "detail": "auto"} for i in images]
    else:
        output = f"{text}\n{IMAGE_OMITTED}".strip() if images else text
    return {"type": "function_call_output", "call_id": call_id, "output": output}
