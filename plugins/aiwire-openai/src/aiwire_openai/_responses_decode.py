"""Decoding Responses API streams (and whole responses) into aiwire events.

Every event decodes into one flat Struct that names the fields we read; the
big ``item`` and ``response`` objects stay plain dicts because they arrive
a handful of times per response. State is keyed by ``item_id`` so parallel
items never mix.

Round-trip data kept on the blocks: a reasoning item's whole JSON (with
``encrypted_content``) is the thinking signature; a message item's id and
``phase`` are the text signature; a tool call's id is ``call_id|item_id``.
Items only this api understands (web search, code interpreter...) become
:class:`~aiwire.types.ProviderContent`.
"""

from __future__ import annotations

from typing import Any

import msgspec

from aiwire.plugin import Options, StreamDecoder
from aiwire.types import Model, ProviderContent, TextContent, ThinkingContent

from ._common import error_from, price_tier
from .compat import resolve_compat

__all__ = ["API", "ResponsesDecoder", "tool_ids"]

API = "openai-responses"


class _Event(msgspec.Struct):
    type: str = ""
    delta: str | None = None
    item_id: str | None = None
    summary_index: int | None = None
    item: dict[str, Any] | None = None
    response: dict[str, Any] | None = None
    part: dict[str, Any] | None = None
    arguments: str | None = None
    message: str | None = None
    code: Any = None
    error: Any = None


_decode_event = msgspec.json.Decoder(_Event).decode
_encode = msgspec.json.encode


def _signature_text(item: dict[str, Any]) -> str | None:
    if not item.get("id"):
        return None
    sig: dict[str, Any] = {"v": 1, "id": item["id"]}
    if item.get("phase"):
        sig["phase"] = item["phase"]
    return _encode(sig).decode()


class ResponsesDecoder(StreamDecoder):
    """One Responses API response."""

    def __init__(self, model: Model, options: Options | None = None) -> None:
        super().__init__(model, options)
        self._text: dict[str, int] = {}  # message item id -> open text block
        self._thinking: dict[str, int] = {}  # reasoning item id -> thinking block
        self._summary: dict[str, int] = {}  # reasoning item id -> last summary index seen
        self._tools: dict[str, int] = {}  # function_call item id -> tool block
        self._streamed: set[int] = set()  # blocks that received deltas

    def feed(self, event: str, data: bytes) -> None:
        if data[:1] == b"[":  # some gateways add "[DONE]" after response.completed
            return
        ev = _decode_event(data)
        kind = ev.type or event
        if kind == "response.output_text.delta" or kind == "response.refusal.delta":
            self._add_text(ev.item_id or "", ev.delta or "")
        elif kind == "response.reasoning_summary_text.delta" or kind == "response.reasoning_text.delta":
            self._add_thinking(ev.item_id or "", ev.delta or "", ev.summary_index)
        elif kind == "response.function_call_arguments.delta":
            i = self._tools.get(ev.item_id or "")
            if i is not None and ev.delta:
                self._streamed.add(i)
                self.add_tool_arguments(i, ev.delta)
        elif kind == "response.output_item.added" and ev.item is not None:
            self.item_added(ev.item)
        elif kind == "response.output_item.done" and ev.item is not None:
            self.item_done(ev.item)
        elif kind == "response.function_call_arguments.done":
            i = self._tools.get(ev.item_id or "")
            if i is not None and i not in self._streamed and ev.arguments:
                self._streamed.add(i)
                self.add_tool_arguments(i, ev.arguments)
        elif kind in ("response.created", "response.in_progress") and ev.response and self.message.id is None:
            self.message.id = ev.response.get("id")
        elif kind in ("response.completed", "response.incomplete", "response.failed", "response.done"):
            self.completed(ev.response or {})
        elif kind == "error":
            info = error_from({"error": ev.error} if ev.error is not None else {"message": ev.message, "code": ev.code})
            self.fail(info.message, error_type=info.type)

    # -- items -------------------------------------------------------------------

    def item_added(self, item: dict[str, Any]) -> None:
        kind = item.get("type")
        iid = item.get("id") or ""
        if kind == "function_call" and iid not in self._tools:
            call_id = item.get("call_id") or iid
            self._tools[iid] = self.open_tool_call(f"{call_id}|{iid}" if iid else call_id, item.get("name") or "")
        elif kind == "reasoning" and iid not in self._thinking:
            self._thinking[iid] = self.open_thinking()

    def item_done(self, item: dict[str, Any]) -> None:
        kind = item.get("type")
        iid = item.get("id") or ""
        if kind == "message":
            i = self._text.pop(iid, None)
            if i is None:
                text = "".join(
                    p.get("text") or p.get("refusal") or ""
                    for p in item.get("content") or ()
                    if isinstance(p, dict) and p.get("type") in ("output_text", "refusal")
                )
                if not text:
                    return
                i = self.open_text(text)
            block = self.block(i)
            if isinstance(block, TextContent):
                block.signature = _signature_text(item)
                annotations = [
                    a
                    for p in item.get("content") or ()
                    if isinstance(p, dict)
                    for a in p.get("annotations") or ()
                    if isinstance(a, dict)
                ]
                if annotations:
                    block.citations = annotations
            self.close_block(i)
        elif kind == "reasoning":
            i = self._thinking.pop(iid, None)
            if i is None:
                i = self.open_thinking()
            if i not in self._streamed:
                parts = [s.get("text", "") for s in item.get("summary") or () if isinstance(s, dict)]
                parts += [c.get("text", "") for c in item.get("content") or () if isinstance(c, dict)]
                text = "\n\n".join(p for p in parts if p)
                if text:
                    self.add_thinking(i, text)
            block = self.block(i)
            if isinstance(block, ThinkingContent):
                block.signature = _encode(item).decode()
            self.close_block(i)
        elif kind == "function_call":
            self.item_added(item)
            i = self._tools.pop(iid)
            if i not in self._streamed and item.get("arguments"):
                self.add_tool_arguments(i, item["arguments"])
            self.close_block(i)
        elif kind is not None:
            self.add_block(ProviderContent(api=API, kind=str(kind), data=item))

    def _add_text(self, item_id: str, delta: str) -> None:
        i = self._text.get(item_id)
        if i is None:
            i = self._text[item_id] = self.open_text()
        self._streamed.add(i)
        self.add_text(i, delta)

    def _add_thinking(self, item_id: str, delta: str, summary: int | None) -> None:
        i = self._thinking.get(item_id)
        if i is None:
            i = self._thinking[item_id] = self.open_thinking()
        if summary is not None:
            last = self._summary.get(item_id)
            if last is not None and summary != last:
                self.add_thinking(i, "\n\n")
            self._summary[item_id] = summary
        self._streamed.add(i)
        if delta:
            self.add_thinking(i, delta)

    # -- end -----------------------------------------------------------------------

    def completed(self, response: dict[str, Any]) -> None:
        if response.get("id") and self.message.id is None:
            self.message.id = response["id"]
        if self._open:
            # A whole response (or a host that skipped some *.done events):
            # items still open are completed from the final output.
            for item in response.get("output") or ():
                if isinstance(item, dict) and (item.get("id") in self._text or item.get("id") in self._thinking):
                    self.item_done(item)
        usage = response.get("usage")
        if isinstance(usage, dict):
            self.usage(usage)
        tier = response.get("service_tier")
        if tier:
            self.message.provider_data = {**(self.message.provider_data or {}), "service_tier": tier}
            price_tier(self.message.usage, tier, resolve_compat(self.model.provider, self.model.compat))
        status = response.get("status")
        if status == "failed" or response.get("error"):
            info = error_from({"error": response.get("error") or {"message": "the response failed"}})
            self.fail(info.message, error_type=info.type)
        elif status == "incomplete":
            reason = (response.get("incomplete_details") or {}).get("reason")
            if reason == "content_filter":
                self.fail("the provider stopped the answer (content_filter)", error_type=reason)
            else:
                self.finish("length")
        elif status in ("cancelled",):
            self.fail("the response was cancelled", aborted=True)
        else:
            self.finish("stop")

    def usage(self, u: dict[str, Any]) -> None:
        cached = (u.get("input_tokens_details") or {}).get("cached_tokens") or 0
        reasoning = (u.get("output_tokens_details") or {}).get("reasoning_tokens")
        self.set_usage(
            input=max(0, (u.get("input_tokens") or 0) - cached),
            output=u.get("output_tokens") or 0,
            cache_read=cached,
            reasoning=reasoning,
        )

    def whole(self, response: dict[str, Any]) -> None:
        """Decode a non-streamed response object."""
        for item in response.get("output") or ():
            if isinstance(item, dict):
                self.item_added(item)
                self.item_done(item)
        self.completed(response)


def tool_ids(id: str) -> tuple[str, str | None]:
    """``(call_id, item_id)`` from an aiwire tool-call id."""
    call_id, sep, item_id = id.partition("|")
    return call_id, (item_id if sep and item_id.startswith("fc") else None)
