"""Decoding Messages API streams (and whole responses) into aiwire events.

Each SSE event name equals its ``data.type``, so the event name picks a typed
msgspec decoder directly; unknown fields are ignored and unknown event types
skipped. Streams without event names (some proxies) fall back to reading
``type`` first. Server tool blocks (web search, code execution, MCP...) and any
block type this module does not know become :class:`ProviderContent`, kept
whole so they can be shown and sent back.
"""

from __future__ import annotations

from typing import Any

import msgspec

from aiwire.plugin import Options, StreamDecoder
from aiwire.types import AssistantMessage, Model, ProviderContent, TextContent, ThinkingContent

from ._request import API

__all__ = ["AnthropicDecoder", "ERROR_STATUS", "parse_message"]

# In-stream error types and the HTTP status the same error has as a response.
ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}
_LENGTH = frozenset({"max_tokens", "model_context_window_exceeded"})


class _Usage(msgspec.Struct):
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    cache_creation: dict[str, Any] | None = None
    output_tokens_details: dict[str, Any] | None = None
    service_tier: str | None = None
    server_tool_use: dict[str, Any] | None = None


class _Message(msgspec.Struct):
    id: str | None = None
    content: list[dict[str, Any]] = []
    stop_reason: str | None = None
    stop_sequence: str | None = None
    stop_details: dict[str, Any] | None = None
    usage: _Usage | None = None


class _MessageStart(msgspec.Struct):
    message: _Message


class _BlockStart(msgspec.Struct):
    index: int
    content_block: dict[str, Any]


# One of each per delta, decoded from JSON (no reference cycles possible):
# gc=False keeps them out of the garbage collector.
class _Delta(msgspec.Struct, gc=False):
    type: str
    text: str = ""
    thinking: str = ""
    signature: str = ""
    partial_json: str = ""
    citation: dict[str, Any] | None = None


class _BlockDelta(msgspec.Struct, gc=False):
    index: int
    delta: _Delta


class _BlockStop(msgspec.Struct):
    index: int


class _StopInfo(msgspec.Struct):
    stop_reason: str | None = None
    stop_sequence: str | None = None
    stop_details: dict[str, Any] | None = None


class _MessageDelta(msgspec.Struct):
    delta: _StopInfo = msgspec.field(default_factory=_StopInfo)
    usage: _Usage | None = None


class _ErrorBody(msgspec.Struct):
    type: str = "api_error"
    message: str = ""


class _ErrorEvent(msgspec.Struct):
    error: _ErrorBody = msgspec.field(default_factory=_ErrorBody)


class _Typed(msgspec.Struct):
    type: str = ""


_dec_delta = msgspec.json.Decoder(_BlockDelta).decode
_dec_start = msgspec.json.Decoder(_BlockStart).decode
_dec_stop = msgspec.json.Decoder(_BlockStop).decode
_dec_message_start = msgspec.json.Decoder(_MessageStart).decode
_dec_message_delta = msgspec.json.Decoder(_MessageDelta).decode
_dec_error = msgspec.json.Decoder(_ErrorEvent).decode
_dec_type = msgspec.json.Decoder(_Typed).decode
_dec_message = msgspec.json.Decoder(_Message).decode
_dec_json = msgspec.json.decode
_enc_json = msgspec.json.encode

_TEXT, _THINKING, _TOOL, _PROVIDER = 0, 1, 2, 3


class AnthropicDecoder(StreamDecoder):
    """State machine for one Messages API response."""

    def __init__(self, model: Model, options: Options | None = None) -> None:
        super().__init__(model, options)
        # wire block index -> (content index, kind)
        self._slots: dict[int, tuple[int, int]] = {}
        # content index -> input JSON fragments of a provider block
        self._json: dict[int, list[str]] = {}
        self._stop: _StopInfo | None = None
        self._cache_1h = 0

    def feed(self, event: str, data: bytes) -> None:
        if event == "content_block_delta":
            # The hot path, one call per delta: text and tool-argument deltas
            # are handled here, the rarer kinds in _delta.
            bd = _dec_delta(data)
            slot = self._slots.get(bd.index)
            if slot is not None:
                delta = bd.delta
                t = delta.type
                if t == "text_delta":
                    if slot[1] == _TEXT and delta.text:
                        self.add_text(slot[0], delta.text)
                elif t == "input_json_delta" and slot[1] == _TOOL:
                    if delta.partial_json:
                        self.add_tool_arguments(slot[0], delta.partial_json)
                else:
                    self._delta(slot, delta)
        elif event == "content_block_start":
            s = _dec_start(data)
            self._start_block(s.index, s.content_block)
        elif event == "content_block_stop":
            self._stop_block(_dec_stop(data).index)
        elif event == "ping":
            return
        elif event == "message_start":
            m = _dec_message_start(data).message
            self.message.id = m.id
            if m.usage is not None:
                self._usage(m.usage)
        elif event == "message_delta":
            d = _dec_message_delta(data)
            self._stop = d.delta
            if d.usage is not None:
                self._usage(d.usage)
        elif event == "message_stop":
            self._end()
        elif event == "error":
            err = _dec_error(data).error
            self.fail(err.message or err.type, status=ERROR_STATUS.get(err.type), error_type=err.type)
        elif event == "message":
            # No event names on the wire: dispatch on the payload's type.
            kind = _dec_type(data).type
            if kind and kind != "message":
                self.feed(kind, data)

    def end_of_stream(self) -> None:
        # A stop reason already arrived: only the final message_stop was lost.
        if not self.terminated and self._stop is not None and self._stop.stop_reason:
            self._end()
        super().end_of_stream()

    # -- blocks --------------------------------------------------------------------

    def _start_block(self, index: int, cb: dict[str, Any]) -> None:
        t = cb.get("type")
        if t == "text":
            ci = self.open_text(cb.get("text") or "")
            kind = _TEXT
            citations = cb.get("citations")
            if citations:
                self.message.content[ci].citations = list(citations)  # type: ignore[union-attr]
        elif t == "thinking":
            ci = self.open_thinking(cb.get("thinking") or "", signature=cb.get("signature") or None)
            kind = _THINKING
        elif t == "redacted_thinking":
            ci = self.open_thinking(signature=cb.get("data"), redacted=True)
            kind = _THINKING
        elif t == "tool_use":
            ci = self.open_tool_call(cb.get("id") or f"toolu_{index}", cb.get("name") or "")
            kind = _TOOL
            if cb.get("input"):
                self.add_tool_arguments(ci, _enc_json(cb["input"]).decode())
        else:
            ci = self.add_block(ProviderContent(api=API, kind=str(t), data=dict(cb)))
            kind = _PROVIDER
            if "input" in cb:
                self._json[ci] = []
        self._slots[index] = (ci, kind)

    def _delta(self, slot: tuple[int, int], delta: _Delta) -> None:
        ci, kind = slot
        t = delta.type
        if t == "text_delta":
            if kind == _TEXT and delta.text:
                self.add_text(ci, delta.text)
        elif t == "input_json_delta":
            if delta.partial_json:
                if kind == _TOOL:
                    self.add_tool_arguments(ci, delta.partial_json)
                elif ci in self._json:
                    self._json[ci].append(delta.partial_json)
        elif t == "thinking_delta":
            if kind == _THINKING and delta.thinking:
                self.add_thinking(ci, delta.thinking)
        elif t == "signature_delta":
            block = self.message.content[ci]
            if isinstance(block, ThinkingContent):
                block.signature = (block.signature or "") + delta.signature
        elif t == "citations_delta":
            block = self.message.content[ci]
            if isinstance(block, TextContent) and delta.citation is not None:
                if block.citations is None:
                    block.citations = []
                block.citations.append(delta.citation)

    def _stop_block(self, index: int) -> None:
        slot = self._slots.pop(index, None)
        if slot is None:
            return
        ci, kind = slot
        if kind != _PROVIDER:
            self.close_block(ci)
            return
        parts = self._json.pop(ci, None)
        if parts:
            block = self.message.content[ci]
            assert isinstance(block, ProviderContent)
            raw = "".join(parts)
            try:
                block.data["input"] = _dec_json(raw)
            except msgspec.DecodeError:
                block.data["input"] = raw

    # -- usage and end ---------------------------------------------------------------

    def _usage(self, u: _Usage) -> None:
        details = u.output_tokens_details
        reasoning = details.get("thinking_tokens") if details else None
        self.set_usage(
            input=u.input_tokens,
            output=u.output_tokens,
            cache_read=u.cache_read_input_tokens,
            cache_write=u.cache_creation_input_tokens,
            reasoning=reasoning if isinstance(reasoning, int) else None,
        )
        extra = self.message.provider_data
        if u.cache_creation is not None:
            extra = self.message.provider_data = {**(extra or {}), "cache_creation": u.cache_creation}
            one_hour = u.cache_creation.get("ephemeral_1h_input_tokens")
            self._cache_1h = one_hour if isinstance(one_hour, int) else 0
        if u.service_tier is not None or u.server_tool_use is not None:
            extra = self.message.provider_data = dict(extra or {})
            if u.service_tier is not None:
                extra["service_tier"] = u.service_tier
            if u.server_tool_use is not None:
                extra["server_tool_use"] = u.server_tool_use
        if self._cache_1h:
            self._price_one_hour_writes()

    def _price_one_hour_writes(self) -> None:
        # The catalog's cache_write price is the 5-minute one; 1-hour writes
        # cost twice the base input price.
        usage = self.message.usage
        assert usage is not None
        p = self.model.cost
        five_min = max(usage.cache_write - self._cache_1h, 0)
        cost = usage.cost
        cost.cache_write = (five_min * p.cache_write + self._cache_1h * 2 * p.input) / 1e6
        cost.total = cost.input + cost.output + cost.cache_read + cost.cache_write

    def _end(self) -> None:
        stop = self._stop or _StopInfo()
        reason = stop.stop_reason
        if reason is not None or stop.stop_sequence is not None:
            extra = self.message.provider_data = dict(self.message.provider_data or {})
            extra["stop_reason"] = reason
            if stop.stop_sequence is not None:
                extra["stop_sequence"] = stop.stop_sequence
        if reason == "refusal":
            self.fail(_refusal_message(stop.stop_details), error_type="refusal")
        elif reason in _LENGTH:
            self.finish("length")
        elif reason == "tool_use":
            self.finish("tool_use")
        else:
            # end_turn, stop_sequence, pause_turn (provider_data says which).
            self.finish("stop")


def _refusal_message(details: dict[str, Any] | None) -> str:
    msg = "the model declined to respond (stop_reason refusal)"
    if details:
        category = details.get("category")
        explanation = details.get("explanation")
        if category:
            msg += f", category {category}"
        if explanation:
            msg += f": {explanation}"
    return msg


def parse_message(model: Model, options: Options | None, body: bytes) -> AssistantMessage:
    """A non-streamed response body as the same final message a stream gives."""
    m = _dec_message(body)
    dec = AnthropicDecoder(model, options)
    dec.message.id = m.id
    for i, block in enumerate(m.content):
        dec._start_block(i, block)
        dec._stop_block(i)
    if m.usage is not None:
        dec._usage(m.usage)
    dec._stop = _StopInfo(m.stop_reason, m.stop_sequence, m.stop_details)
    dec._end()
    return dec.message
