"""Decoding Chat Completions streams (and whole responses) into aiwire events.

Chunks decode straight into msgspec Structs that name only the fields we
read; everything else a host adds is skipped by the decoder. Hosts differ in
where reasoning arrives (``reasoning_content``, ``reasoning``,
``reasoning_text``, OpenRouter's ``reasoning_details``, Mistral's typed
``content`` chunks); each is read, and the field's name is kept as the
thinking block's signature so the next request can echo it the same way.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from aiwire.plugin import Options, StreamDecoder
from aiwire.types import Cost, Model, ProviderContent

from ._common import error_from, price_tier
from .compat import Compat

__all__ = ["ChatDecoder", "ChatResponse"]

API = "openai-completions"


# The per-chunk structs are decoded from JSON (no reference cycles possible):
# gc=False keeps thousands of them per stream out of the garbage collector.
class _Function(msgspec.Struct, gc=False):
    name: str | None = None
    arguments: str | None = None


class _ToolCallDelta(msgspec.Struct, gc=False):
    index: int | None = None
    id: str | None = None
    function: _Function | None = None


class _Delta(msgspec.Struct, gc=False):
    content: str | list[Any] | None = None
    reasoning_content: str | None = None
    reasoning: Any = None
    reasoning_text: str | None = None
    reasoning_details: list[Any] | None = None
    tool_calls: list[_ToolCallDelta] | None = None
    refusal: str | None = None


class _Choice(msgspec.Struct, gc=False):
    index: int = 0
    delta: _Delta | None = None
    message: _Delta | None = None
    finish_reason: str | None = None


class _PromptDetails(msgspec.Struct):
    cached_tokens: int | None = None
    cache_write_tokens: int | None = None


class _OutputDetails(msgspec.Struct):
    reasoning_tokens: int | None = None


class _CostDetails(msgspec.Struct):
    upstream_inference_prompt_cost: float | None = None
    upstream_inference_completions_cost: float | None = None


class _Usage(msgspec.Struct):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    prompt_tokens_details: _PromptDetails | None = None
    completion_tokens_details: _OutputDetails | None = None
    prompt_cache_hit_tokens: int | None = None
    cost: float | None = None
    cost_details: _CostDetails | None = None


class _XGroq(msgspec.Struct):
    usage: _Usage | None = None


class ChatResponse(msgspec.Struct, gc=False):
    """A chunk, or a whole non-streamed response (``message`` instead of ``delta``)."""

    id: str | None = None
    choices: list[_Choice] | None = None
    usage: _Usage | None = None
    error: Any = None
    x_groq: _XGroq | None = None  # Groq streams its usage only here, on the last chunk
    service_tier: str | None = None


_decode_chunk = msgspec.json.Decoder(ChatResponse).decode
_decode_any = msgspec.json.decode

_STOP: dict[str, Literal["stop", "length", "tool_use"]] = {
    "stop": "stop",
    "end_turn": "stop",
    "eos": "stop",
    "length": "length",
    "max_tokens": "length",
    "model_length": "length",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "tool_use": "tool_use",
}
_REFUSED = frozenset({"content_filter", "refusal", "safety"})


class ChatDecoder(StreamDecoder):
    """One Chat Completions response: the choice with ``index`` 0.

    With ``n`` > 1 a stream carries each choice's deltas under its own
    ``index``, in chunks of their own; the others are skipped, never merged.
    """

    def __init__(self, model: Model, options: Options | None, compat: Compat) -> None:
        super().__init__(model, options)
        self.compat = compat
        self._text: int | None = None
        self._thinking: int | None = None
        self._thinking_field: str | None = None
        self._tools: dict[int, int] = {}
        self._tool_ids: dict[int, str] = {}
        self._details: dict[int, dict[str, Any]] = {}
        self._finish_reason: str | None = None
        self._tier: str | None = None

    def feed(self, event: str, data: bytes) -> None:
        if data[:1] == b"[":  # "[DONE]"
            if data.strip() == b"[DONE]":
                self._complete()
            return
        if event == "error":
            info = error_from(_decode_any(data))
            self.fail(info.message, error_type=info.type)
            return
        chunk = _decode_chunk(data)
        self.chunk(chunk)

    def chunk(self, chunk: ChatResponse) -> None:
        if chunk.error is not None:
            info = error_from({"error": chunk.error})
            self.fail(info.message, error_type=info.type)
            return
        if self.message.id is None and chunk.id:
            self.message.id = chunk.id
        if chunk.service_tier and chunk.service_tier != self._tier:
            self._tier = chunk.service_tier
            self.message.provider_data = {**(self.message.provider_data or {}), "service_tier": chunk.service_tier}
        choices = chunk.choices
        if choices:
            choice = choices[0]
            if choice.index != 0:
                choice = next((c for c in choices if c.index == 0), None)  # type: ignore[assignment]
            if choice is not None:
                delta = choice.delta or choice.message
                if delta is not None:
                    self.delta(delta)
                if choice.finish_reason:
                    self._finish_reason = choice.finish_reason
        if chunk.usage is not None:
            self.usage(chunk.usage)
        elif chunk.x_groq is not None and chunk.x_groq.usage is not None:
            self.usage(chunk.x_groq.usage)

    # -- content -------------------------------------------------------------

    def delta(self, d: _Delta) -> None:
        # Reasoning before content: a whole message carries both, thinking first.
        if d.reasoning_content:
            self._add_thinking(d.reasoning_content, "reasoning_content")
        reasoning = d.reasoning
        if d.reasoning_details:
            self._reasoning_details(d.reasoning_details, reasoning if isinstance(reasoning, str) else None)
        elif reasoning and isinstance(reasoning, str):
            self._add_thinking(reasoning, "reasoning")
        if d.reasoning_text:
            self._add_thinking(d.reasoning_text, "reasoning_text")
        content = d.content
        if content:
            if isinstance(content, str):
                if self._text is not None:  # the hot path: more text for the open block
                    self.add_text(self._text, content)
                else:
                    self._add_text(content)
            else:
                self._typed_chunks(content)
        if d.refusal:
            self._add_text(d.refusal)
        if d.tool_calls:
            tools = self._tools
            for tc in d.tool_calls:
                fn = tc.function
                # The hot path: a fragment of a call already open (no id, no name).
                if tc.id is None and tc.index is not None and fn is not None and fn.name is None and fn.arguments:
                    i = tools.get(tc.index)
                    if i is not None:
                        self.add_tool_arguments(i, fn.arguments)
                        continue
                self._tool_call(tc)

    def _add_text(self, text: str) -> None:
        i = self._text
        if i is None:
            if self._thinking is not None:
                self.close_block(self._thinking)
                self._thinking = None
            i = self._text = self.open_text()
        self.add_text(i, text)

    def _add_thinking(self, text: str, field: str) -> None:
        i = self._thinking
        if i is None or field != self._thinking_field:
            if i is not None:
                self.close_block(i)
            if self._text is not None:
                self.close_block(self._text)
                self._text = None
            i = self._thinking = self.open_thinking(signature=field)
            self._thinking_field = field
        self.add_thinking(i, text)

    def _typed_chunks(self, parts: list[Any]) -> None:
        # Mistral streams content as typed chunks: text, and thinking that
        # itself holds text chunks.
        for part in parts:
            if not isinstance(part, dict):
                continue
            kind = part.get("type")
            if kind == "text" and part.get("text"):
                self._add_text(part["text"])
            elif kind == "thinking":
                inner = part.get("thinking")
                if isinstance(inner, str):
                    texts = [inner]
                else:
                    texts = [t.get("text", "") for t in inner or () if isinstance(t, dict)]
                for t in texts:
                    if t:
                        self._add_thinking(t, "content.thinking")

    def _reasoning_details(self, details: list[Any], reasoning: str | None) -> None:
        # OpenRouter: keep every detail (merged by index) to send back
        # verbatim; show the readable text.
        shown = bool(reasoning)
        if reasoning:
            self._add_thinking(reasoning, "reasoning")
        for d in details:
            if not isinstance(d, dict):
                continue
            idx = d.get("index", len(self._details))
            have = self._details.get(idx)
            if have is None:
                self._details[idx] = dict(d)
            else:
                for k, v in d.items():
                    if isinstance(v, str) and isinstance(have.get(k), str) and k not in ("type", "format", "id"):
                        have[k] += v
                    elif v is not None and k not in have:
                        have[k] = v
            if not shown:
                text = d.get("text") or d.get("summary")
                if isinstance(text, str) and text:
                    self._add_thinking(text, "reasoning")

    def _tool_call(self, tc: _ToolCallDelta) -> None:
        key = tc.index if tc.index is not None else len(self._tools)
        fn = tc.function
        i = self._tools.get(key)
        if i is None or (tc.id and tc.id != self._tool_ids[key]):
            if self._text is not None:
                self.close_block(self._text)
                self._text = None
            if self._thinking is not None:
                self.close_block(self._thinking)
                self._thinking = None
            tid = tc.id or f"call_{key}_{len(self.message.content)}"
            i = self.open_tool_call(tid, (fn.name if fn else None) or "")
            self._tools[key] = i
            self._tool_ids[key] = tid
        elif fn is not None and fn.name and not self.block(i).name:  # type: ignore[union-attr]
            self.block(i).name = fn.name  # type: ignore[union-attr]
        if fn is not None and fn.arguments:
            self.add_tool_arguments(i, fn.arguments)

    # -- usage and end ---------------------------------------------------------

    def usage(self, u: _Usage) -> None:
        pd = u.prompt_tokens_details
        cached = (pd.cached_tokens if pd else None) or u.prompt_cache_hit_tokens or 0
        written = (pd.cache_write_tokens if pd else None) or 0
        od = u.completion_tokens_details
        self.set_usage(
            input=max(0, (u.prompt_tokens or 0) - cached - written),
            output=u.completion_tokens or 0,
            cache_read=cached,
            cache_write=written,
            reasoning=od.reasoning_tokens if od else None,
        )
        price_tier(self.message.usage, self._tier, self.compat)
        if self.compat.reported_cost and u.cost is not None and self.message.usage is not None:
            cd = u.cost_details
            inp = (cd.upstream_inference_prompt_cost if cd else None) or 0.0
            out = (cd.upstream_inference_completions_cost if cd else None) or 0.0
            self.message.usage.cost = Cost(input=inp, output=out, total=float(u.cost))

    def _complete(self) -> None:
        if self._details:
            self.close_all()
            details = [self._details[k] for k in sorted(self._details)]
            self.add_block(ProviderContent(api=API, kind="reasoning_details", data={"details": details}))
        reason = self._finish_reason
        if reason in _REFUSED:
            self.fail(f"the provider stopped the answer ({reason})", error_type=reason)
            return
        self.finish(_STOP.get(reason or "stop", "stop"))

    def end_of_stream(self) -> None:
        # Some hosts close the body without "[DONE]"; a finish_reason is
        # enough to know the answer was complete.
        if not self.terminated and self._finish_reason is not None:
            self._complete()
        super().end_of_stream()
