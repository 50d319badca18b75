"""The tool-using agent loop, on top of :func:`aiwire.stream`.

    from aiwire.agent import Agent, FunctionTool

    def add(a: int, b: int) -> str:
        "Add two integers."
        return str(a + b)

    tool = FunctionTool(add, parameters={
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
    })
    agent = Agent("demo/aiwire-demo", tools=[tool])
    agent.subscribe(lambda event: print(event.type))
    await agent.prompt("what is 2 plus 3?")

:class:`Agent` keeps the state; :func:`agent_loop` and
:func:`agent_loop_continue` are the stateless loop as event iterators, and
:func:`run_agent_loop` / :func:`run_agent_loop_continue` its awaitable form.
See ``docs/agent.md``.
"""

from __future__ import annotations

from aiwire.agent._agent import Agent, AgentState, QueueMode
from aiwire.agent._events import (
    AgentEnd,
    AgentEvent,
    AgentStart,
    MessageEnd,
    MessageStart,
    MessageUpdate,
    ToolExecutionEnd,
    ToolExecutionStart,
    ToolExecutionUpdate,
    TurnEnd,
    TurnStart,
)
from aiwire.agent._llm import default_convert_to_llm
from aiwire.agent._loop import AgentLoopConfig, run_agent_loop
from aiwire.agent._run import AgentRun, agent_loop, agent_loop_continue, run_agent_loop_continue
from aiwire.agent._tool import AgentTool, CancelToken, FunctionTool, UpdateCallback
from aiwire.agent._types import (
    AfterToolCallContext,
    AfterToolCallResult,
    AgentContext,
    AgentError,
    AgentMessage,
    AgentToolResult,
    BeforeToolCallResult,
    CustomMessage,
    NextTurn,
    ToolCallContext,
    ToolExecution,
    TurnContext,
)

__all__ = [
    "AfterToolCallContext",
    "AfterToolCallResult",
    "Agent",
    "AgentContext",
    "AgentEnd",
    "AgentError",
    "AgentEvent",
    "AgentLoopConfig",
    "AgentMessage",
    "AgentRun",
    "AgentStart",
    "AgentState",
    "AgentTool",
    "AgentToolResult",
    "BeforeToolCallResult",
    "CancelToken",
    "CustomMessage",
    "FunctionTool",
    "MessageEnd",
    "MessageStart",
    "MessageUpdate",
    "NextTurn",
    "QueueMode",
    "ToolCallContext",
    "ToolExecution",
    "ToolExecutionEnd",
    "ToolExecutionStart",
    "ToolExecutionUpdate",
    "TurnContext",
    "TurnEnd",
    "TurnStart",
    "UpdateCallback",
    "agent_loop",
    "agent_loop_continue",
    "default_convert_to_llm",
    "run_agent_loop",
    "run_agent_loop_continue",
]
