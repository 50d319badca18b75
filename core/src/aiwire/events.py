"""The streaming protocol every provider emits.

A stream is::

    start
    ( text_start  text_delta*     text_end
    | thinking_start thinking_delta* thinking_end
    | toolcall_start toolcall_delta* toolcall_end )*   (blocks may interleave)
    done | error                                       (exactly one, always last)

``content_index`` is the block's index in the assistant message's content.
Deltas of different blocks may interleave; each block's own events are in
order. ``done`` and ``error`` carry the final :class:`AssistantMessage`; an
``error`` message keeps whatever content arrived before the failure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, SupportsIndex

import msgspec

from aiwire.types import AssistantMessage, ToolCall

if TYPE_CHECKING:
    from aiwire.errors import ProviderError

__all__ = [
    "Done",
    "Error",
    "Event",
    "Start",
    "TextDelta",
    "TextEnd",
    "TextStart",
    "ThinkingDelta",
    "ThinkingEnd",
    "ThinkingStart",
    "ToolCallDelta",
    "ToolCallEnd",
    "ToolCallStart",
]


class _Event(msgspec.Struct, kw_only=True, gc=False, tag_field="type"):
    pass


class Start(_Event, tag="start"):
    """The provider accepted the request; ``message`` is the partial message."""

    type: ClassVar[str] = "start"

    message: AssistantMessage


class TextStart(_Event, tag="text_start"):
    """A text block opened at ``content_index``."""

    type: ClassVar[str] = "text_start"
    content_index: int


class TextDelta(_Event, tag="text_delta"):
    """More text for the block at ``content_index``."""

    type: ClassVar[str] = "text_delta"
    content_index: int
    delta: str


class TextEnd(_Event, tag="text_end"):
    """The block is complete; ``content`` is its whole text."""

    type: ClassVar[str] = "text_end"

    content_index: int
    content: str


class ThinkingStart(_Event, tag="thinking_start"):
    """A thinking block opened at ``content_index``."""

    type: ClassVar[str] = "thinking_start"
    content_index: int


class ThinkingDelta(_Event, tag="thinking_delta"):
    """More thinking for the block at ``content_index``."""

    type: ClassVar[str] = "thinking_delta"
    content_index: int
    delta: str


class ThinkingEnd(_Event, tag="thinking_end"):
    """The thinking block closed: ``content`` is its whole text (empty when ``redacted``)."""

    type: ClassVar[str] = "thinking_end"
    content_index: int
    content: str
    redacted: bool = False


class ToolCallStart(_Event, tag="toolcall_start"):
    """A tool call opened: its ``id`` and tool ``name``."""

    type: ClassVar[str] = "toolcall_start"
    content_index: int
    id: str
    name: str


class ToolCallDelta(_Event, tag="toolcall_delta"):
    """``delta`` is the raw JSON fragment; ``arguments`` the best-effort
    parse of everything received so far.

    ``arguments`` is computed when read: a stream whose deltas nobody reads
    it from never runs the partial parser. The call keeps one parser, which
    each read advances over the fragments received since the last one, so
    reading it on every delta stays linear in the argument size. It is a
    live view, the same object for every delta of a call: it may already
    hold fragments received after this delta, and it keeps changing. Copy it
    (``dict(e.arguments)``) to keep a snapshot; the final value is
    ``toolcall_end.tool_call.arguments``.

    ``repr``, ``==`` and encoders (``aiwire.dumps``, ``msgspec``) see the
    live object as it was last brought up to date: read ``e.arguments``
    first for the current value. A delta built by hand holds what it was
    given."""

    type: ClassVar[str] = "toolcall_delta"

    content_index: int
    delta: str
    arguments: Any


class ToolCallEnd(_Event, tag="toolcall_end"):
    """The tool call closed: ``tool_call`` has the parsed arguments."""

    type: ClassVar[str] = "toolcall_end"
    content_index: int
    tool_call: ToolCall


class Done(_Event, tag="done"):
    """The turn ended normally (``reason``: stop, length or tool_use); ``message`` is final."""

    type: ClassVar[str] = "done"
    reason: Literal["stop", "length", "tool_use"]
    message: AssistantMessage


class Error(_Event, tag="error"):
    """The turn failed (``reason`` error) or was cancelled (``aborted``)."""

    type: ClassVar[str] = "error"

    reason: Literal["error", "aborted"]
    message: AssistantMessage

    def exception(self) -> ProviderError:
        """The typed exception for this failure (``RateLimitError``,
        ``ContextOverflowError``...): raise it, or match on its class."""
        msg = self.message
        if msg.stop_reason != self.reason:  # a hand-built event whose message says otherwise
            msg = msgspec.structs.replace(msg, stop_reason=self.reason)
        exc = msg.exception()
        assert exc is not None
        return exc


Event = (
    Start
    | TextStart
    | TextDelta
    | TextEnd
    | ThinkingStart
    | ThinkingDelta
    | ThinkingEnd
    | ToolCallStart
    | ToolCallDelta
    | ToolCallEnd
    | Done
    | Error
)
"""Any stream event; match on the class or on ``event.type``."""


class _ArgumentSource(Protocol):
    def resolve(self, root: dict[str, Any]) -> Any: ...


class _LiveArguments(dict[str, Any]):
    """The live root of a streamed call's partial arguments: a dict to every
    encoder, with the call's parser attached, so that reading
    ``ToolCallDelta.arguments`` brings it up to date. Copies and pickles
    are plain dicts."""

    __slots__ = ("_source",)

    def __init__(self, source: _ArgumentSource) -> None:
        super().__init__()
        self._source = source

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        return (dict, (dict(self),))


# ``arguments`` stays a msgspec field (constructor, encoding, ``==``, repr use
# its slot directly); reading it from Python goes through this property, which
# resolves a live root. msgspec reaches fields by offset, not by attribute.
_arguments_slot = ToolCallDelta.__dict__["arguments"]


def _read_arguments(self: ToolCallDelta) -> Any:
    value = _arguments_slot.__get__(self, ToolCallDelta)
    if type(value) is _LiveArguments:
        return value._source.resolve(value)
    return value


setattr(  # noqa: B010 (mypy must keep seeing the field)
    ToolCallDelta,
    "arguments",
    property(_read_arguments, _arguments_slot.__set__, doc="The best-effort parse of the arguments so far (live)."),
)
