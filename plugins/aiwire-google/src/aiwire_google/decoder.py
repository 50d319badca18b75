"""Decoding Gemini responses into aiwire events and messages.

:class:`GeminiDecoder` reads ``streamGenerateContent?alt=sse`` chunks; the
same state machine reads a whole ``generateContent`` body (one chunk). Other
codecs that carry the Gemini response inside an envelope decode the envelope
themselves and hand the inner :class:`~aiwire_google.wire.Chunk` to
:meth:`GeminiDecoder.feed_chunk`.

Text and thought parts are joined into blocks; a part that brings a second
thought signature starts a new block, so every signature stays on the block
(and, when replayed, the part) that carried it. Function calls arrive whole and
become a start, one delta and an end. ``finishReason`` arrives with the last
chunk; the turn is completed when the body ends, so usage sent after it is
still counted.
"""

from __future__ import annotations

import re
import secrets
from typing import Literal

import msgspec

from aiwire.plugin import Options, StreamDecoder
from aiwire.types import AssistantMessage, Model, ProviderContent, TextContent, ThinkingContent

from .wire import OTHER_PART_KINDS, WIRE_NAMES, Chunk, FunctionCall, Part, SafetyRating, UsageMetadata, decode_chunk

__all__ = ["API", "GeminiDecoder", "finish_error", "parse_message"]

API = "google-generative-ai"

_DONE: dict[str, Literal["stop", "length"]] = {"STOP": "stop", "MAX_TOKENS": "length"}
_WHY = {
    "SAFETY": "the response was flagged by the safety filters",
    "RECITATION": "the response was flagged for reciting training data (RECITATION)",
    "LANGUAGE": "the response is in a language the model does not support",
    "BLOCKLIST": "the response contained a term from the terminology blocklist",
    "PROHIBITED_CONTENT": "the response was flagged for prohibited content",
    "SPII": "the response was flagged for sensitive personal information (SPII)",
    "MALFORMED_FUNCTION_CALL": "the model produced a function call that could not be parsed (MALFORMED_FUNCTION_CALL)",
    "UNEXPECTED_TOOL_CALL": "the model called a tool although none was enabled",
    "TOO_MANY_TOOL_CALLS": "the model made too many tool calls in a row",
    "IMAGE_SAFETY": "a generated image was flagged by the safety filters",
    "IMAGE_PROHIBITED_CONTENT": "a generated image was flagged for prohibited content",
    "IMAGE_RECITATION": "a generated image was flagged for recitation",
    "NO_IMAGE": "the model was expected to generate an image but did not",
    "MISSING_THOUGHT_SIGNATURE": "the request lacked a thought signature the model needs",
    "OTHER": "the model stopped for an unspecified reason (OTHER)",
}
_BLOCKED = {
    "SAFETY": "it was flagged by the safety filters",
    "OTHER": "of an unspecified reason",
    "BLOCKLIST": "it contains a term from the terminology blocklist",
    "PROHIBITED_CONTENT": "it was flagged for prohibited content",
    "IMAGE_SAFETY": "an image in it was flagged by the safety filters",
    "MODEL_ARMOR": "Model Armor flagged it",
    "JAILBREAK": "it was flagged as a jailbreak attempt",
}
_ID_BAD = re.compile(r"[^A-Za-z0-9_-]")


def _flagged(ratings: list[SafetyRating] | None) -> str:
    names = [r.category.removeprefix("HARM_CATEGORY_").lower() for r in ratings or () if r.blocked]
    return f" (flagged: {', '.join(names)})" if names else ""


def finish_error(reason: str, message: str | None = None, ratings: list[SafetyRating] | None = None) -> str:
    """A readable explanation of a finish reason that is not a normal stop."""
    why = _WHY.get(reason, f"the model stopped with finish reason {reason}")
    text = f"Gemini stopped the response: {why}{_flagged(ratings)}"
    return f"{text}: {message}" if message else text


class GeminiDecoder(StreamDecoder):
    """Turns Gemini response chunks into aiwire events."""

    def __init__(self, model: Model, options: Options | None = None) -> None:
        super().__init__(model, options)
        self._text: TextContent | None = None
        self._text_i = -1
        self._think: ThinkingContent | None = None
        self._think_i = -1
        self._ids: set[str] = set()
        self._id_prefix = ""
        self._reason: str | None = None
        self._reason_message: str | None = None
        self._ratings: list[SafetyRating] | None = None
        self._usage: UsageMetadata | None = None

    # -- input ------------------------------------------------------------------

    def feed(self, event: str, data: bytes) -> None:
        self.feed_chunk(decode_chunk(data))

    def feed_chunk(self, chunk: Chunk) -> None:
        """Handle one already-decoded response chunk."""
        if chunk.error is not None:
            err = chunk.error
            self.fail(f"Gemini error: {err.message}", status=err.code, error_type=err.status)
            return
        if chunk.usage_metadata is not None:
            self._usage = chunk.usage_metadata
        if self.message.id is None and chunk.response_id:
            self.message.id = chunk.response_id
        candidates = chunk.candidates
        if candidates:
            cand = candidates[0]
            content = cand.content
            if content is not None:
                for part in content.parts:
                    self._part(part)
            if cand.finish_reason is not None:
                self._reason = cand.finish_reason
                self._reason_message = cand.finish_message
                self._ratings = cand.safety_ratings
            if cand.grounding_metadata:
                data = self.message.provider_data or {}
                data["groundingMetadata"] = cand.grounding_metadata
                self.message.provider_data = data
        feedback = chunk.prompt_feedback
        if feedback is not None and feedback.block_reason:
            why = _BLOCKED.get(feedback.block_reason, feedback.block_reason)
            detail = feedback.block_reason_message
            self.fail(
                f"Gemini blocked the prompt because {why}{_flagged(feedback.safety_ratings)}"
                + (f": {detail}" if detail else ""),
                error_type=f"blocked_prompt:{feedback.block_reason}",
            )

    def end_of_stream(self) -> None:
        if self.terminated:
            return
        reason = self._reason
        if reason is None:
            self.fail("the Gemini stream ended without a finish reason (the response is incomplete)")
            return
        done = _DONE.get(reason)
        if done is not None:
            self.finish(done)
        else:
            self.fail(
                finish_error(reason, self._reason_message, self._ratings),
                error_type=reason.lower(),
            )

    # -- parts --------------------------------------------------------------------

    def _part(self, part: Part) -> None:
        sig = part.thought_signature
        if part.function_call is not None:
            self._tool_call(part.function_call, sig)
            return
        text = part.text
        if text is not None:
            if part.thought:
                self._thought(text, sig)
            else:
                self._add_text(text, sig)
            return
        for kind in OTHER_PART_KINDS:
            value = getattr(part, kind)
            if value is not None:
                self._other(WIRE_NAMES[kind], value, sig)
                return
        if sig is not None:
            # A signature on a part of no known kind: keep it on the open block.
            self._sign_open(sig)

    def _add_text(self, text: str, sig: str | None) -> None:
        block = self._text
        if block is not None and sig is not None and block.signature is not None:
            self._close_text()
            block = None
        if block is None:
            if not text and sig is None:
                return
            self._close_thinking()
            self._text_i = self.open_text()
            block = self._text = TextContent(text="")
            self.message.content[self._text_i] = block
        if text:
            self.add_text(self._text_i, text)
        if sig is not None:
            block.signature = sig

    def _thought(self, text: str, sig: str | None) -> None:
        block = self._think
        if block is not None and sig is not None and block.signature is not None:
            self._close_thinking()
            block = None
        if block is None:
            if not text and sig is None:
                return
            self._close_text()
            self._think_i = self.open_thinking()
            block = self._think = ThinkingContent(thinking="")
            self.message.content[self._think_i] = block
        if text:
            self.add_thinking(self._think_i, text)
        if sig is not None:
            block.signature = sig

    def _sign_open(self, sig: str) -> None:
        if self._text is not None and self._text.signature is None:
            self._text.signature = sig
        elif self._think is not None and self._think.signature is None:
            self._think.signature = sig

    def _close_text(self) -> None:
        if self._text is not None:
            self.close_block(self._text_i)
            self._text = None

    def _close_thinking(self) -> None:
        if self._think is not None:
            self.close_block(self._think_i)
            self._think = None

    def _tool_call(self, call: FunctionCall, sig: str | None) -> None:
        self._close_text()
        self._close_thinking()
        i = self.open_tool_call(self._call_id(call), call.name, signature=sig)
        self.add_tool_arguments(i, msgspec.json.encode(call.args or {}).decode())
        self.close_block(i)

    def _call_id(self, call: FunctionCall) -> str:
        ids = self._ids
        cid = call.id
        if not cid or cid in ids:
            if not self._id_prefix:
                rid = _ID_BAD.sub("", self.message.id or "")[:24]
                self._id_prefix = rid or secrets.token_hex(6)
            base = cid or f"call_{self._id_prefix}"
            cid = f"{base}_{len(ids)}"
            while cid in ids:
                cid += "_"
        ids.add(cid)
        return cid

    def _other(self, kind: str, value: dict[str, object], sig: str | None) -> None:
        self._close_text()
        self._close_thinking()
        data: dict[str, object] = {kind: value}
        if sig is not None:
            data["thoughtSignature"] = sig
        text = None
        if kind == "executableCode":
            text = f"```{str(value.get('language', '')).lower()}\n{value.get('code', '')}\n```"
        elif kind == "codeExecutionResult":
            text = f"Code execution result ({value.get('outcome', '')}):\n{value.get('output', '')}"
        self.add_block(ProviderContent(api=API, kind=kind, data=data, text=text))

    # -- end ------------------------------------------------------------------------

    def _apply_usage(self) -> None:
        u = self._usage
        # Some chunks carry output counts without promptTokenCount (every
        # field of usageMetadata is optional): any count is worth keeping.
        if u is None or not (
            u.prompt_token_count or u.total_token_count or u.candidates_token_count or u.thoughts_token_count
        ):
            return
        self._usage = None
        cached = u.cached_content_token_count
        self.set_usage(
            input=max(0, u.prompt_token_count - cached) + u.tool_use_prompt_token_count,
            output=u.candidates_token_count + u.thoughts_token_count,
            cache_read=cached,
            reasoning=u.thoughts_token_count or None,
        )

    def finish(self, stop_reason: Literal["stop", "length", "tool_use"]) -> None:
        if not self.terminated:
            self._apply_usage()
        super().finish(stop_reason)

    def fail(
        self,
        message: str,
        *,
        status: int | None = None,
        error_type: str | None = None,
        aborted: bool = False,
    ) -> None:
        if not self.terminated:
            self._apply_usage()
        super().fail(message, status=status, error_type=error_type, aborted=aborted)


def parse_message(model: Model, options: Options | None, body: bytes) -> AssistantMessage:
    """Decode a whole ``generateContent`` body into the final message."""
    dec = GeminiDecoder(model, options)
    dec.feed_chunk(decode_chunk(body))
    dec.end_of_stream()
    return dec.message
