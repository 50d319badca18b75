"""The events an agent run emits, in this shape::

    agent_start
    ( turn_start
        message_start message_end                  (prompts, steering, follow-ups)
        message_start message_update* message_end  (the assistant's turn)
        ( tool_execution_start tool_execution_update* tool_execution_end )*
        ( message_start message_end )*             (tool results, assistant order)
      turn_end )*
    agent_end

Every event is a msgspec Struct tagged by ``type``, so ``aiwire.dumps(event)``
gives a JSON line.
"""

from __future__ import annotations

from typing import Any

import msgspec

from aiwire import events as ev
from aiwire.agent._types import AgentMessage, AgentToolResult
from aiwire.types import AssistantMessage, ToolResultMessage

__all__ = [
    "AgentEnd",
    "AgentEvent",
    "AgentStart",
    "MessageEnd",
    "MessageStart",
    "MessageUpdate",
    "ToolExecutionEnd",
    "ToolExecutionStart",
    "ToolExecutionUpdate",
    "TurnEnd",
    "TurnStart",
]


class _AgentEvent(msgspec.Struct, kw_only=True, tag_field="type"):
    @property
    def type(self) -> str:
        """The event's tag (``agent_start``, ``message_update``...)."""
        tag: str = self.__struct_config__.tag  # type: ignore[assignment]
        return tag


class AgentStart(_AgentEvent, tag="agent_start"):
    """The agent run began."""


class AgentEnd(_AgentEvent, tag="agent_end"):
    """The run is over; ``messages`` are all the messages it added."""

    messages: list[AgentMessage]


class TurnStart(_AgentEvent, tag="turn_start"):
    """A turn began: one model call and the tool calls it asks for."""


class TurnEnd(_AgentEvent, tag="turn_end"):
    """One assistant message and the results of the tools it called."""

    message: AssistantMessage
    tool_results: list[ToolResultMessage]


class MessageStart(_AgentEvent, tag="message_start"):
    """A message enters the transcript. For the assistant this is the live
    partial message; read it whole at ``message_end``."""

    message: AgentMessage


class MessageUpdate(_AgentEvent, tag="message_update"):
    """One streaming event of the assistant's turn (text delta, tool call
    end...). ``Agent.state.streaming_message`` gives a snapshot on demand."""

    event: ev.Event


class MessageEnd(_AgentEvent, tag="message_end"):
    """A message is complete and was added to the transcript."""

    message: AgentMessage


class ToolExecutionStart(_AgentEvent, tag="tool_execution_start"):
    """A tool call started running with these arguments."""

    tool_call_id: str
    tool_name: str
    args: Any


class ToolExecutionUpdate(_AgentEvent, tag="tool_execution_update"):
    """Progress a running tool reported through ``on_update``."""

    tool_call_id: str
    tool_name: str
    args: Any
    partial_result: AgentToolResult


class ToolExecutionEnd(_AgentEvent, tag="tool_execution_end"):
    """A tool call finished; ``is_error`` says whether it failed."""

    tool_call_id: str
    tool_name: str
    result: AgentToolResult
    is_error: bool


AgentEvent = (
    AgentStart
    | AgentEnd
    | TurnStart
    | TurnEnd
    | MessageStart
    | MessageUpdate
    | MessageEnd
    | ToolExecutionStart
    | ToolExecutionUpdate
    | ToolExecutionEnd
)
"""Any event of an agent run; match on the class or on ``event.type``."""
