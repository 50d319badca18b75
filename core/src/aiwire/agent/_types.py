"""The agent's data: custom messages, tool results, context and hook payloads.

Messages and tool results are msgspec Structs so a transcript round-trips::

    data = aiwire.dumps(agent.state.messages)
    messages = aiwire.loads(data, list[AgentMessage])
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from aiwire.errors import AiwireError
from aiwire.types import (
    AssistantMessage,
    Message,
    Model,
    ReasoningLevel,
    ToolCall,
    ToolResultMessage,
    UserContent,
)

if TYPE_CHECKING:
    from aiwire.agent._tool import AgentTool

__all__ = [
    "AfterToolCallContext",
    "AfterToolCallResult",
    "AgentContext",
    "AgentError",
    "AgentMessage",
    "AgentToolResult",
    "BeforeToolCallResult",
    "CustomMessage",
    "NextTurn",
    "ToolCallContext",
    "ToolExecution",
    "TurnContext",
]

ToolExecution = Literal["parallel", "sequential"]
"""``parallel``: check calls in order, run them concurrently, keep results in
the assistant's order. ``sequential``: check and run one call at a time."""


class AgentError(AiwireError, RuntimeError):
    """The agent was asked for something its state does not allow
    (a prompt while running, continuing after an assistant message...)."""


def _now_ms() -> int:
    return int(time.time() * 1000)


class CustomMessage(msgspec.Struct, kw_only=True, omit_defaults=True, tag_field="role", tag="custom"):
    """An application-owned transcript entry (a note, a UI marker, a summary).

    The model never sees it unless ``convert_to_llm`` turns it into a
    message; the default conversion drops it. ``kind`` tells applications'
    entries apart; ``data`` is any JSON-encodable value.
    """

    kind: str
    data: Any = None
    text: str | None = None
    timestamp: int = msgspec.field(default_factory=_now_ms)


AgentMessage = Message | CustomMessage
"""What a transcript holds: the model's messages plus :class:`CustomMessage`."""


class AgentToolResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What a tool returns: ``content`` for the model, ``details`` for the
    application (logs, UI), and ``terminate`` to ask the agent to stop after
    this batch (it stops only when every result in the batch asks)."""

    content: list[UserContent] = msgspec.field(default_factory=list)
    details: Any = None
    terminate: bool = False


class AgentContext(msgspec.Struct):
    """What the loop works on: the system prompt, the transcript so far and
    the tools. The loop appends every new message to ``messages``."""

    system_prompt: str | None = None
    messages: list[AgentMessage] = msgspec.field(default_factory=list)
    tools: list[AgentTool] = msgspec.field(default_factory=list)


class ToolCallContext(msgspec.Struct):
    """Given to ``before_tool_call``: the call, its validated arguments, the
    assistant message that asked for it and the loop's context."""

    assistant_message: AssistantMessage
    tool_call: ToolCall
    args: dict[str, Any]
    context: AgentContext


class AfterToolCallContext(ToolCallContext):
    """Given to ``after_tool_call``: a :class:`ToolCallContext` plus the
    result as the tool produced it."""

    result: AgentToolResult = msgspec.field(default_factory=AgentToolResult)
    is_error: bool = False


class BeforeToolCallResult(msgspec.Struct):
    """``block=True`` skips the call; the model sees ``reason`` as an error result."""

    block: bool = False
    reason: str | None = None


class AfterToolCallResult(msgspec.Struct):
    """Field-wise replacement of a tool's result; fields left unset keep the
    tool's own value (no deep merge)."""

    content: list[UserContent] | None = None
    details: Any = msgspec.UNSET
    is_error: bool | None = None
    terminate: bool | None = None


class TurnContext(msgspec.Struct):
    """Given to ``should_stop_after_turn`` and ``prepare_next_turn`` once a
    turn ended: its assistant message, tool results, the context (already
    holding both) and every message this run added so far."""

    message: AssistantMessage
    tool_results: list[ToolResultMessage]
    context: AgentContext
    new_messages: list[AgentMessage]


class NextTurn(msgspec.Struct):
    """What ``prepare_next_turn`` may change for the following model call;
    ``None`` fields keep the current value."""

    model: Model | None = None
    reasoning: ReasoningLevel | None = None
    tools: list[AgentTool] | None = None
