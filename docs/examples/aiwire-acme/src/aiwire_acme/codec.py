"""The ``acme-chat`` wire protocol (invented for aiwire's plugin guide).

Request: ``POST {base_url}/chat`` with header ``x-acme-key`` and a JSON body
``{"model", "system", "turns", "tools", "limit", "heat", "stream"}``. A turn
is ``{"who": "user" | "bot" | "tool", ...}``.

Streamed response, server-sent events, one JSON object per ``data:``::

    event: begin   {"id": "r-1"}
    event: think   {"t": "..."}                 thinking, in pieces
    event: text    {"t": "..."}                 answer text, in pieces
    event: call    {"call": "c-1", "fn": "f"}   a tool call starts
    event: args    {"call": "c-1", "part": "{\\"ci"}  its JSON arguments, in pieces
    event: end     {"why": "done" | "max" | "tools", "tokens": {"in": 1, "out": 2}}
    event: fault   {"msg": "...", "kind": "overloaded"}

Errors: an HTTP status with ``{"fault": {"msg": "...", "kind": "..."}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import msgspec

from aiwire.plugin import BaseCodec, Credentials, ErrorInfo, Options, Request, StreamDecoder, generic_error_info
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
    UserMessage,
)

__all__ = ["AcmeCodec", "AcmeDecoder"]

_STOP: dict[str, Literal["stop", "length", "tool_use"]] = {"done": "stop", "max": "length", "tools": "tool_use"}


# Wire events decoded straight into typed structs: unknown fields are ignored.
class _Piece(msgspec.Struct):
    t: str


class _Call(msgspec.Struct):
    call: str
    fn: str


class _Args(msgspec.Struct):
    call: str
    part: str


class _Tokens(msgspec.Struct):
    in_: int = msgspec.field(name="in", default=0)
    out: int = 0


class _End(msgspec.Struct):
    why: str
    tokens: _Tokens | None = None


class _Fault(msgspec.Struct):
    msg: str
    kind: str | None = None


class _Begin(msgspec.Struct):
    id: str | None = None


_piece = msgspec.json.Decoder(_Piece)
_call = msgspec.json.Decoder(_Call)
_args = msgspec.json.Decoder(_Args)
_end = msgspec.json.Decoder(_End)
_fault = msgspec.json.Decoder(_Fault)
_begin = msgspec.json.Decoder(_Begin)


class AcmeDecoder(StreamDecoder):
    """Turns acme-chat events into aiwire events with the base class helpers."""

    def __init__(self, model: Model, options: Options | None = None) -> None:
        super().__init__(model, options)
        self._text: int | None = None
        self._think: int | None = None
        self._calls: dict[str, int] = {}

    def feed(self, event: str, data: bytes) -> None:
        if event == "text":
            if self._text is None:
                self._close_think()
                self._text = self.open_text()
            self.add_text(self._text, _piece.decode(data).t)
        elif event == "args":
            a = _args.decode(data)
            self.add_tool_arguments(self._calls[a.call], a.part)
        elif event == "think":
            if self._think is None:
                self._think = self.open_thinking()
            self.add_thinking(self._think, _piece.decode(data).t)
        elif event == "call":
            c = _call.decode(data)
            self._close_think()
            self._calls[c.call] = self.open_tool_call(c.call, c.fn)
        elif event == "begin":
            self.message.id = _begin.decode(data).id
        elif event == "end":
            end = _end.decode(data)
            if end.tokens is not None:
                self.set_usage(input=end.tokens.in_, output=end.tokens.out)
            self.finish(_STOP.get(end.why, "stop"))
        elif event == "fault":
            f = _fault.decode(data)
            self.fail(f.msg, error_type=f.kind)

    def _close_think(self) -> None:
        if self._think is not None:
            self.close_block(self._think)
            self._think = None


def _user_parts(content: str | list[TextContent | ImageContent]) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"text": content}]
    return [{"text": c.text} if isinstance(c, TextContent) else {"image": c.data, "mime": c.mime_type} for c in content]


def _turns(context: Context, model: Model, tool_id: Any) -> list[dict[str, Any]]:
    turns: list[dict[str, Any]] = []
    for m in context.messages:
        if isinstance(m, UserMessage):
            turns.append({"who": "user", "parts": _user_parts(m.content)})
        elif isinstance(m, ToolResultMessage):
            text = "".join(c.text for c in m.content if isinstance(c, TextContent))
            turns.append({"who": "tool", "call": tool_id(m.tool_call_id), "result": text, "failed": m.is_error})
        else:
            if m.stop_reason in ("error", "aborted") and not m.content:
                continue
            parts: list[dict[str, Any]] = []
            for b in m.content:
                if isinstance(b, TextContent) and b.text:
                    parts.append({"text": b.text})
                elif isinstance(b, ThinkingContent) and b.thinking and not b.redacted:
                    # Acme cannot replay other vendors' reasoning; keep it readable as text.
                    same = m.api == model.api and m.model == model.id
                    parts.append({"think": b.thinking} if same else {"text": b.thinking})
                elif isinstance(b, ToolCall):
                    parts.append({"call": tool_id(b.id), "fn": b.name, "args": b.arguments})
                elif isinstance(b, ProviderContent) and b.text:
                    parts.append({"text": b.text})
            if parts:
                turns.append({"who": "bot", "parts": parts})
    return turns


class AcmeCodec(BaseCodec):
    """Codec of the ``acme-chat`` api."""

    api = "acme-chat"
    supported_options = frozenset({"max_tokens", "temperature", "headers", "provider_options", "tool_choice"})

    def build_request(
        self, model: Model, context: Context, options: Options, credentials: Credentials, *, stream: bool = True
    ) -> Request:
        body: dict[str, Any] = {
            "model": model.id,
            "turns": _turns(context, model, self.tool_call_id),
            "stream": stream,
            "limit": options.max_tokens or model.max_tokens or 1024,
        }
        if context.system_prompt:
            body["system"] = context.system_prompt
        if context.tools:
            body["tools"] = [{"name": t.name, "about": t.description, "schema": t.parameters} for t in context.tools]
        if options.tool_choice is not None:
            body["tool_choice"] = options.tool_choice
        if options.temperature is not None:
            body["heat"] = options.temperature
        if options.provider_options:
            body.update(options.provider_options)
        headers = {"content-type": "application/json", "accept": "text/event-stream" if stream else "application/json"}
        if credentials.api_key:
            headers["x-acme-key"] = credentials.api_key
        return Request(url=f"{model.base_url}/chat", headers=headers, json=body)

    def decoder(self, model: Model, options: Options) -> StreamDecoder:
        return AcmeDecoder(model, options)

    def parse_response(self, model: Model, options: Options, body: bytes) -> AssistantMessage:
        """A non-streamed reply: ``{"id", "reply": [{"text"} | {"think"} |
        {"call", "fn", "args"}], "why", "tokens"}``."""
        data = msgspec.json.decode(body)
        dec = AcmeDecoder(model, options)
        dec.message.id = data.get("id")
        for part in data.get("reply", []):
            if "text" in part:
                dec.add_block(TextContent(text=part["text"]))
            elif "think" in part:
                dec.add_block(ThinkingContent(thinking=part["think"]))
            elif "call" in part:
                dec.add_block(ToolCall(id=part["call"], name=part["fn"], arguments=part.get("args") or {}))
        tokens = data.get("tokens")
        if tokens:
            dec.set_usage(input=tokens.get("in", 0), output=tokens.get("out", 0))
        dec.finish(_STOP.get(data.get("why", "done"), "stop"))
        return dec.message

    def parse_error(self, status: int, headers: Mapping[str, str], body: bytes) -> ErrorInfo:
        try:
            fault = msgspec.json.decode(body).get("fault")
        except (msgspec.DecodeError, AttributeError):
            fault = None
        if isinstance(fault, dict) and fault.get("msg"):
            return ErrorInfo(str(fault["msg"]), fault.get("kind"))
        return generic_error_info(status, body)
