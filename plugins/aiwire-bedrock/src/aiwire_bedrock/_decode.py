"""Decoding ConverseStream events and whole Converse responses.

The event-stream framer (:class:`aiwire.plugin.EventStreamFramer`) hands the
decoder ``(event type, JSON payload)``. Text and reasoning blocks start with
their first delta (only tool use and tool results have a
``contentBlockStart``); a reasoning block's signature arrives as its last
delta. ``messageStop`` carries the stop reason and ``metadata`` the usage,
after it, so the turn ends at ``metadata`` (or at the end of the body).
Server-side tools (Nova's code interpreter) come back as provider content,
not as tool calls for the caller to run.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from aiwire.plugin import Options, StreamDecoder, make_usage
from aiwire.types import (
    AssistantContent,
    AssistantMessage,
    Model,
    ProviderContent,
    TextContent,
    ThinkingContent,
    ToolCall,
)

from . import API
from ._errors import exception_name, hint

__all__ = ["BedrockDecoder", "parse_message"]

StopReason = Literal["stop", "length", "tool_use"]
_STOP: dict[str, StopReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "tool_use": "tool_use",
    "max_tokens": "length",
}
# Stop reasons that are failures, with what they mean.
_STOP_ERRORS = {
    "guardrail_intervened": "a Bedrock guardrail intervened",
    "content_filtered": "the response was filtered by the model's content policy",
    "model_context_window_exceeded": "the conversation exceeds the model's context window",
    "malformed_model_output": "the model produced output Bedrock could not parse",
    "malformed_tool_use": "the model produced a malformed tool call",
}


class _ToolStart(msgspec.Struct):
    toolUseId: str = ""
    name: str = ""
    type: str | None = None


class _Start(msgspec.Struct):
    toolUse: _ToolStart | None = None
    toolResult: dict[str, Any] | None = None


class _BlockStart(msgspec.Struct):
    contentBlockIndex: int = 0
    start: _Start = msgspec.field(default_factory=_Start)


class _Reasoning(msgspec.Struct):
    text: str | None = None
    signature: str | None = None
    redactedContent: str | None = None


class _ToolDelta(msgspec.Struct):
    input: str = ""


class _Delta(msgspec.Struct):
    text: str | None = None
    toolUse: _ToolDelta | None = None
    reasoningContent: _Reasoning | None = None
    toolResult: list[Any] | None = None
    citation: dict[str, Any] | None = None


class _BlockDelta(msgspec.Struct):
    contentBlockIndex: int = 0
    delta: _Delta = msgspec.field(default_factory=_Delta)


class _BlockStop(msgspec.Struct):
    contentBlockIndex: int = 0


class _MessageStop(msgspec.Struct):
    stopReason: str = "end_turn"


class _Usage(msgspec.Struct):
    inputTokens: int = 0
    outputTokens: int = 0
    cacheReadInputTokens: int | None = None
    cacheWriteInputTokens: int | None = None


class _Metadata(msgspec.Struct):
    usage: _Usage | None = None


class _Exception(msgspec.Struct):
    message: str = ""


_decode_start = msgspec.json.Decoder(_BlockStart).decode
_decode_delta = msgspec.json.Decoder(_BlockDelta).decode
_decode_stop = msgspec.json.Decoder(_BlockStop).decode
_decode_mstop = msgspec.json.Decoder(_MessageStop).decode
_decode_meta = msgspec.json.Decoder(_Metadata).decode
_decode_exc = msgspec.json.Decoder(_Exception).decode


class _Pending:
    """A block that is reported whole at its stop (server tool use, tool results)."""

    __slots__ = ("data", "kind", "parts")

    def __init__(self, kind: str, data: dict[str, Any]) -> None:
        self.kind = kind
        self.data = data
        self.parts: list[str] = []


class BedrockDecoder(StreamDecoder):
    """ConverseStream events to aiwire events."""

    def __init__(self, model: Model, options: Options | None = None) -> None:
        super().__init__(model, options)
        self._blocks: dict[int, int] = {}  # Bedrock's contentBlockIndex -> ours
        self._pending: dict[int, _Pending] = {}
        self._stop: str | None = None

    def feed(self, event: str, data: bytes) -> None:
        if event == "contentBlockDelta":
            self._delta(_decode_delta(data))
        elif event == "contentBlockStart":
            self._start(_decode_start(data))
        elif event == "contentBlockStop":
            self._close(_decode_stop(data).contentBlockIndex)
        elif event == "messageStart":
            pass
        elif event == "messageStop":
            self._stop = _decode_mstop(data).stopReason
        elif event == "metadata":
            meta = _decode_meta(data)
            if meta.usage is not None:
                self._usage(meta.usage)
            self._end()
        elif event.startswith(("exception:", "error:")):
            self._exception(event, data)
        else:
            self.fail(f"unknown ConverseStream event {event!r}: this plugin may be older than the service")

    def end_of_stream(self) -> None:
        if self._stop is not None and not self.terminated:
            self._end()  # metadata never came: the stop reason still stands
        super().end_of_stream()

    # -- blocks ------------------------------------------------------------------------

    def _start(self, ev: _BlockStart) -> None:
        idx = ev.contentBlockIndex
        use = ev.start.toolUse
        if use is not None:
            if use.type == "server_tool_use":
                data = {"toolUseId": use.toolUseId, "name": use.name, "type": use.type}
                self._pending[idx] = _Pending("server_tool_use", data)
            else:
                self._blocks[idx] = self.open_tool_call(use.toolUseId, use.name)
        elif ev.start.toolResult is not None:
            self._pending[idx] = _Pending("toolResult", {**ev.start.toolResult, "content": []})

    def _delta(self, ev: _BlockDelta) -> None:
        idx = ev.contentBlockIndex
        d = ev.delta
        if d.text is not None:
            i = self._blocks.get(idx)
            if i is None:
                i = self._blocks[idx] = self.open_text()
            if d.text:
                self.add_text(i, d.text)
        elif d.toolUse is not None:
            pending = self._pending.get(idx)
            if pending is not None:
                pending.parts.append(d.toolUse.input)
            elif idx in self._blocks and d.toolUse.input:
                self.add_tool_arguments(self._blocks[idx], d.toolUse.input)
        elif d.reasoningContent is not None:
            self._reasoning(idx, d.reasoningContent)
        elif d.toolResult is not None:
            pending = self._pending.get(idx)
            if pending is not None:
                pending.data["content"].extend(d.toolResult)
        elif d.citation is not None:
            self.add_block(ProviderContent(api=API, kind="citation", data={"citation": d.citation}))

    def _reasoning(self, idx: int, r: _Reasoning) -> None:
        i = self._blocks.get(idx)
        if i is None:
            redacted = r.redactedContent is not None
            i = self._blocks[idx] = self.open_thinking(signature=r.redactedContent, redacted=redacted)
            if redacted:
                return
        if r.text:
            self.add_thinking(i, r.text)
        block = self.message.content[i]
        if isinstance(block, ThinkingContent):
            if r.signature is not None:
                block.signature = r.signature
            elif r.redactedContent is not None:
                block.signature = (block.signature or "") + r.redactedContent

    def _close(self, idx: int) -> None:
        i = self._blocks.pop(idx, None)
        if i is not None:
            self.close_block(i)
            return
        pending = self._pending.pop(idx, None)
        if pending is None:
            return
        if pending.kind == "server_tool_use":
            raw = "".join(pending.parts)
            try:
                pending.data["input"] = msgspec.json.decode(raw) if raw else {}
            except msgspec.DecodeError:
                pending.data["input"] = raw
            self.add_block(ProviderContent(api=API, kind="server_tool_use", data={"toolUse": pending.data}))
        else:
            self.add_block(ProviderContent(api=API, kind="toolResult", data={"toolResult": pending.data}))

    # -- the end ------------------------------------------------------------------------

    def _usage(self, u: _Usage) -> None:
        self.set_usage(
            input=u.inputTokens,
            output=u.outputTokens,
            cache_read=u.cacheReadInputTokens or 0,
            cache_write=u.cacheWriteInputTokens or 0,
        )

    def _end(self) -> None:
        for idx in list(self._pending):
            self._close(idx)
        stop = self._stop or "end_turn"
        reason = _STOP.get(stop)
        if reason is not None:
            self.finish(reason)
            return
        why = _STOP_ERRORS.get(stop, f"the model stopped with reason {stop!r}")
        self.fail(f"{why} (stopReason {stop})", error_type=stop)

    def _exception(self, event: str, data: bytes) -> None:
        kind, _, raw = event.partition(":")
        name = exception_name(raw) if raw else "InternalServerException"
        try:
            message = _decode_exc(data).message if kind == "exception" else data.decode("utf-8", "replace")
        except msgspec.DecodeError:
            message = data.decode("utf-8", "replace")
        text = hint(name)
        full = f"{text}: {message}" if text and message else text or message or name
        self.fail(f"{full} ({name})", error_type=name)


# -- whole responses ----------------------------------------------------------------


def _content(model: Model, raw: list[dict[str, Any]]) -> list[AssistantContent]:
    out: list[AssistantContent] = []
    for block in raw:
        if "text" in block:
            out.append(TextContent(text=block["text"]))
        elif "toolUse" in block:
            use = block["toolUse"]
            if use.get("type") == "server_tool_use":
                out.append(ProviderContent(api=API, kind="server_tool_use", data={"toolUse": use}))
            else:
                args = use.get("input")
                out.append(
                    ToolCall(id=use["toolUseId"], name=use["name"], arguments=args if isinstance(args, dict) else {})
                )
        elif "reasoningContent" in block:
            r = block["reasoningContent"]
            if "redactedContent" in r:
                out.append(ThinkingContent(thinking="", signature=r["redactedContent"], redacted=True))
            else:
                rt = r.get("reasoningText") or {}
                out.append(ThinkingContent(thinking=rt.get("text", ""), signature=rt.get("signature")))
        elif block:
            kind = next(iter(block))
            out.append(ProviderContent(api=API, kind=kind, data=dict(block)))
    return out


def parse_message(model: Model, body: bytes) -> AssistantMessage:
    """A Converse (non-streamed) response as a message."""
    data = msgspec.json.decode(body)
    msg = AssistantMessage(api=model.api, provider=model.provider, model=model.id)
    if not isinstance(data, dict) or "output" not in data:
        message = data.get("message") if isinstance(data, dict) else None
        msg.stop_reason, msg.error_message = "error", str(message or body[:500].decode("utf-8", "replace"))
        return msg
    msg.content = _content(model, (data["output"].get("message") or {}).get("content") or [])
    u = data.get("usage")
    if isinstance(u, dict):
        msg.usage = make_usage(
            model,
            input=u.get("inputTokens", 0),
            output=u.get("outputTokens", 0),
            cache_read=u.get("cacheReadInputTokens") or 0,
            cache_write=u.get("cacheWriteInputTokens") or 0,
        )
    stop = data.get("stopReason") or "end_turn"
    reason = _STOP.get(stop)
    if reason is None:
        msg.stop_reason = "error"
        msg.error_message = f"{_STOP_ERRORS.get(stop, f'the model stopped with reason {stop!r}')} (stopReason {stop})"
        msg.error_type = stop
    else:
        if reason == "stop" and any(isinstance(b, ToolCall) for b in msg.content):
            reason = "tool_use"
        msg.stop_reason = reason
    return msg
