"""Turning an agent transcript into model messages.

Only the agent-specific part lives here: which messages the model sees at all.
Making the result valid for the target provider (dropping failed or aborted
turns, answering tool calls left without a result, orphaned results) is done by
the core on every call, in :func:`aiwire.handoff.transform_context`.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiwire.agent._types import AgentMessage
from aiwire.types import AssistantMessage, Message, ToolResultMessage, UserMessage

__all__ = ["default_convert_to_llm"]


def default_convert_to_llm(messages: Sequence[AgentMessage]) -> list[Message]:
    """Keep user, assistant and tool-result messages; drop custom ones."""
    return [m for m in messages if isinstance(m, (UserMessage, AssistantMessage, ToolResultMessage))]
