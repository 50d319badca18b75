"""Turning a transcript into messages a provider accepts."""

from __future__ import annotations

from collections.abc import Sequence

from ..types import AssistantMessage, Message, TextContent, ToolResultMessage, UserMessage
from ._types import AgentMessage

__all__ = ["default_convert_to_llm", "sendable"]

INTERRUPTED = "No result: the tool call was interrupted before it ran."


def default_convert_to_llm(messages: Sequence[AgentMessage]) -> list[Message]:
    """Keep user, assistant and tool-result messages; drop custom ones."""
    return [m for m in messages if isinstance(m, (UserMessage, AssistantMessage, ToolResultMessage))]


def sendable(messages: Sequence[Message]) -> list[Message]:
    """Make a transcript valid for every provider without changing the saved one.

    Failed and aborted assistant turns are dropped (their partial content may
    hold half a tool call or unsigned thinking); a tool call left without a
    result gets an error result; a result whose call is gone is dropped.
    Providers reject either kind of orphan, so this is what lets the next
    prompt work after an abort or a pruning ``transform_context``.
    """
    out: list[Message] = []
    open_calls: dict[str, str] = {}

    def close_open() -> None:
        for call_id, name in open_calls.items():
            out.append(
                ToolResultMessage(
                    tool_call_id=call_id, tool_name=name, content=[TextContent(text=INTERRUPTED)], is_error=True
                )
            )
        open_calls.clear()

    for m in messages:
        if isinstance(m, ToolResultMessage):
            if open_calls.pop(m.tool_call_id, None) is not None:
                out.append(m)
            continue
        close_open()
        if isinstance(m, AssistantMessage):
            if m.stop_reason in ("error", "aborted"):
                continue
            open_calls = {c.id: c.name for c in m.tool_calls}
        out.append(m)
    close_open()
    return out
