"""Cross-provider handoff: adapt a conversation to the model it is sent to.

A :class:`~aiwire.types.Context` built with one provider can be sent to any
other, and back. The core runs :func:`transform_context` before every
``codec.build_request``, so codecs always receive a context that fits their
model:

- assistant turns that ended in ``error`` or ``aborted`` are dropped;
- thinking from another model becomes plain text, or is dropped when empty
  or redacted; signatures (thinking, text, tool calls) are kept only for the
  exact same provider, api and model;
- a block only another api understands becomes its ``text``, or is dropped;
- tool-call ids are rewritten with the target codec's ``tool_call_id`` so
  they fit its rules, never empty and never colliding, and tool results are
  remapped to match;
- a tool call without a result gets a synthetic error result before the
  next turn; a tool result whose call is gone becomes user text;
- images sent to a model without image input become a short placeholder;
- unpaired UTF-16 surrogates are removed from every outgoing string.

Everything here is a pure function: nothing passed in is modified, and
unchanged messages are reused as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec

from aiwire._wire.codec import normalize_tool_call_id
from aiwire.types import (
    AssistantContent,
    AssistantMessage,
    Context,
    ImageContent,
    Message,
    Model,
    TextContent,
    ThinkingContent,
    Tool,
    ToolCall,
    ToolResultMessage,
    UserContent,
    UserMessage,
)

__all__ = ["IMAGE_PLACEHOLDER", "NO_RESULT", "sanitize_text", "transform_context"]

IMAGE_PLACEHOLDER = "[image omitted: this model does not accept images]"
NO_RESULT = "No result provided"

_SURROGATE = "[\ud800-\udfff]"
_PAIR = "[\ud800-\udbff][\udc00-\udfff]"


def sanitize_text(text: str) -> str:
    """``text`` without unpaired UTF-16 surrogates (a surrogate pair left as
    two code points is joined into the character it encodes)."""
    if re.search(_SURROGATE, text) is None:
        return text
    text = re.sub(_PAIR, lambda m: m.group().encode("utf-16-le", "surrogatepass").decode("utf-16-le"), text)
    return re.sub(_SURROGATE, "", text)


def _sanitize_value(value: Any) -> Any:
    if isinstance(value, str):
        return sanitize_text(value)
    if isinstance(value, dict):
        return {sanitize_text(k): _sanitize_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sanitize_value(v) for v in value]
    return value


def _needs_sanitizing(value: Any) -> bool:
    if isinstance(value, str):
        return re.search(_SURROGATE, value) is not None
    if isinstance(value, dict):
        return any(_needs_sanitizing(k) or _needs_sanitizing(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_needs_sanitizing(v) for v in value)
    return False


class _Ids:
    """Original tool-call id -> the id sent to the target, unique per context."""

    __slots__ = ("current", "make", "used")

    def __init__(self, make: Callable[[str], str]) -> None:
        self.make = make
        self.used: set[str] = set()
        self.current: dict[str, str] = {}

    def assign(self, original: str) -> str:
        candidate = self.make(original)
        n = 0
        while not candidate or candidate in self.used:
            n += 1
            seed = f"{original}#{n}"
            candidate = self.make(seed) if n < 50 else normalize_tool_call_id(seed)
        self.used.add(candidate)
        self.current[original] = candidate
        return candidate


def transform_context(context: Context, model: Model, codec: Any = None) -> Context:
    """``context`` adapted to ``model`` (see the module docstring).

    ``codec`` supplies ``tool_call_id``; by default the codec registered for
    ``model.api``.
    """
    if codec is None:
        from aiwire._plugins.registry import get_registry

        codec = get_registry().codec(model.api)
    return _Transform(model, codec.tool_call_id).run(context)


class _Transform:
    __slots__ = ("deferred", "ids", "images", "model", "out", "pending")

    def __init__(self, model: Model, make_id: Callable[[str], str]) -> None:
        self.model = model
        self.images = "image" in model.input
        self.ids = _Ids(make_id)
        self.out: list[Message] = []
        self.pending: dict[str, ToolCall] = {}  # sent id -> call still waiting for its result
        self.deferred: list[Message] = []  # orphan results, placed after the pending results

    def run(self, context: Context) -> Context:
        for msg in context.messages:
            if isinstance(msg, UserMessage):
                self.flush()
                self.out.append(self.user(msg))
            elif isinstance(msg, AssistantMessage):
                self.flush()
                if msg.stop_reason in ("error", "aborted"):
                    continue
                kept = self.assistant(msg)
                if kept is not None:
                    self.out.append(kept)
            else:
                self.tool_result(msg)
        self.flush()
        system = context.system_prompt
        tools = context.tools
        if any(_needs_sanitizing(t.description) or _needs_sanitizing(t.parameters) for t in tools):
            tools = [
                Tool(name=t.name, description=sanitize_text(t.description), parameters=_sanitize_value(t.parameters))
                for t in tools
            ]
        return Context(
            system_prompt=sanitize_text(system) if system is not None else None, messages=self.out, tools=list(tools)
        )

    def flush(self) -> None:
        """Close the current tool-call block: synthetic results for unanswered
        calls, then any orphaned results as user text."""
        for sent_id, call in self.pending.items():
            self.out.append(
                ToolResultMessage(
                    tool_call_id=sent_id, tool_name=call.name, content=[TextContent(text=NO_RESULT)], is_error=True
                )
            )
        self.pending = {}
        self.out.extend(self.deferred)
        self.deferred = []

    # -- messages ------------------------------------------------------------------

    def content(self, blocks: list[UserContent]) -> list[UserContent]:
        out: list[UserContent] = []
        changed = False
        for b in blocks:
            if isinstance(b, ImageContent):
                if self.images:
                    out.append(b)
                else:
                    out.append(TextContent(text=IMAGE_PLACEHOLDER))
                    changed = True
            else:
                text = sanitize_text(b.text)
                changed = changed or text is not b.text
                out.append(b if text is b.text else msgspec.structs.replace(b, text=text))
        return out if changed else blocks

    def user(self, msg: UserMessage) -> UserMessage:
        if isinstance(msg.content, str):
            text = sanitize_text(msg.content)
            return msg if text is msg.content else msgspec.structs.replace(msg, content=text)
        content = self.content(msg.content)
        return msg if content is msg.content else msgspec.structs.replace(msg, content=content)

    def tool_result(self, msg: ToolResultMessage) -> None:
        sent_id = self.ids.current.get(msg.tool_call_id)
        if sent_id is not None and sent_id in self.pending:
            del self.pending[sent_id]
            content = self.content(msg.content)
            name = sanitize_text(msg.tool_name)
            if sent_id != msg.tool_call_id or content is not msg.content or name is not msg.tool_name:
                msg = msgspec.structs.replace(msg, tool_call_id=sent_id, content=content, tool_name=name)
            self.out.append(msg)
            return
        # Its call was dropped, answered already, or is not the previous turn's:
        # keep what the tool said, as text the target can always take.
        note = f"[result of tool {msg.tool_name} (call {msg.tool_call_id}){' - error' if msg.is_error else ''}]"
        blocks: list[UserContent] = [TextContent(text=sanitize_text(note)), *self.content(msg.content)]
        self.deferred.append(UserMessage(content=blocks, timestamp=msg.timestamp))

    def assistant(self, msg: AssistantMessage) -> AssistantMessage | None:
        m = self.model
        same = msg.provider == m.provider and msg.api == m.api and msg.model == m.id
        out: list[AssistantContent] = []
        changed = False
        for b in msg.content:
            new = self.block(b, same=same, api=msg.api)
            if new is not b:
                changed = True
            if new is not None:
                out.append(new)
        if not out:
            return None
        return msgspec.structs.replace(msg, content=out) if changed else msg

    def block(self, b: AssistantContent, *, same: bool, api: str) -> AssistantContent | None:
        if isinstance(b, TextContent):
            text = sanitize_text(b.text)
            if not text.strip() and not (same and b.signature):
                return None
            if same:
                return b if text is b.text else msgspec.structs.replace(b, text=text)
            return TextContent(text=text) if (b.signature or b.citations or text is not b.text) else b
        if isinstance(b, ThinkingContent):
            if same:
                if not b.thinking.strip() and not b.signature:
                    return None
                text = sanitize_text(b.thinking)
                return b if text is b.thinking else msgspec.structs.replace(b, thinking=text)
            if b.redacted or not b.thinking.strip():
                return None
            return TextContent(text=sanitize_text(b.thinking))
        if isinstance(b, ToolCall):
            sent_id = self.ids.assign(b.id)
            call = b
            args = _sanitize_value(b.arguments) if _needs_sanitizing(b.arguments) else b.arguments
            if sent_id != b.id or (b.signature and not same) or args is not b.arguments:
                call = msgspec.structs.replace(b, id=sent_id, arguments=args, signature=b.signature if same else None)
            self.pending[sent_id] = call
            return call
        # a ProviderContent block
        if b.api == self.model.api:
            if _needs_sanitizing(b.text) or _needs_sanitizing(b.data):
                clean = sanitize_text(b.text) if b.text is not None else None
                return msgspec.structs.replace(b, text=clean, data=_sanitize_value(b.data))
            return b
        if b.text and b.text.strip():
            return TextContent(text=sanitize_text(b.text))
        return None
