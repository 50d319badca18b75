"""The agent loop over replayed OpenAI Chat Completions traffic: a tool call
turn, the tool, then the answer, through the real codec both ways."""

from __future__ import annotations

from typing import Any

import pytest

import aiwire
from aiwire.agent import Agent, FunctionTool

MODEL = aiwire.custom_model("gpt-4o", provider="openai", api="openai-completions")


@pytest.mark.vcr("openai_agent_tool_turns_documented.yaml")
async def test_openai_agent_tool_call_then_answer() -> None:
    asked: list[str] = []
    bodies: list[dict[str, Any]] = []

    def get_time(timezone: str) -> str:
        """Local time in an IANA timezone."""
        asked.append(timezone)
        return "09:30"

    def on_payload(model: aiwire.Model, request: Any) -> None:
        bodies.append(request.json)

    tool = FunctionTool(get_time, parameters={"type": "object", "properties": {"timezone": {"type": "string"}}})
    agent = Agent(MODEL, tools=[tool], stream_options={"api_key": "test-key", "on_payload": on_payload})
    await agent.prompt("What time is it in SF?")

    assert asked == ["America/Los_Angeles"]
    roles = [type(m).__name__ for m in agent.state.messages]
    assert roles == ["UserMessage", "AssistantMessage", "ToolResultMessage", "AssistantMessage"]
    first, answer = agent.state.messages[1], agent.state.messages[3]
    assert isinstance(first, aiwire.AssistantMessage) and first.stop_reason == "tool_use"
    assert isinstance(answer, aiwire.AssistantMessage) and answer.stop_reason == "stop"
    assert answer.text == "It is 09:30 in San Francisco, 18 °C and sunny."
    assert answer.usage is not None and (answer.usage.input, answer.usage.output) == (190, 14)

    assert len(bodies) == 2 and bodies[0]["tools"][0]["function"]["name"] == "get_time"
    sent = bodies[1]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool"]
    [call] = sent[1]["tool_calls"]
    assert call["id"] == "call_DocAgentTime" and call["function"]["name"] == "get_time"
    assert aiwire.loads(call["function"]["arguments"].encode(), dict) == {"timezone": "America/Los_Angeles"}
    assert sent[2]["tool_call_id"] == "call_DocAgentTime" and "09:30" in str(sent[2]["content"])
