"""The agent loop over replayed Anthropic traffic (real codec, both directions),
and a switch to OpenAI Chat Completions in the middle of a run."""

from __future__ import annotations

from typing import Any

import pytest
from anthropic_helpers import ROOT, replay

import aiwire
from aiwire.agent import Agent, FunctionTool, NextTurn, ToolExecutionEnd, TurnContext

MODEL = "anthropic/claude-sonnet-4-5"
OPENAI = aiwire.custom_model("gpt-4o", provider="openai", api="openai-completions")
OPENAI_TURNS = str(ROOT / "cassettes" / "aiwire-openai" / "openai_agent_tool_turns_documented.yaml")
WEATHER_PARAMS = {
    "type": "object",
    "properties": {"location": {"type": "string"}, "days": {"type": "integer", "minimum": 1, "maximum": 7}},
    "required": ["location"],
}
TIME_PARAMS = {"type": "object", "properties": {"timezone": {"type": "string"}}, "required": ["timezone"]}


def tools(calls: list[tuple[str, Any]]) -> list[FunctionTool]:
    async def get_weather(location: str, days: int = 1) -> str:
        """Forecast for a place."""
        calls.append(("get_weather", (location, days)))
        return f"{location}: 18 °C and sunny for {days} days"

    def get_time(timezone: str) -> str:
        """Local time in an IANA timezone."""
        calls.append(("get_time", timezone))
        return "09:30"

    return [FunctionTool(get_weather, parameters=WEATHER_PARAMS), FunctionTool(get_time, parameters=TIME_PARAMS)]


def agent_for(calls: list[tuple[str, Any]], bodies: list[dict[str, Any]], **kw: Any) -> Agent:
    def on_payload(model: aiwire.Model, request: Any) -> None:
        bodies.append(request.json)

    options = {"api_key": "test-key", "on_payload": on_payload}
    return Agent(MODEL, tools=tools(calls), stream_options=options, reasoning="medium", **kw)


@replay("agent_tool_turns")
async def test_tool_use_turn_then_answer() -> None:
    calls: list[tuple[str, Any]] = []
    bodies: list[dict[str, Any]] = []
    agent = agent_for(calls, bodies)
    ends: list[ToolExecutionEnd] = []
    agent.subscribe(lambda e: ends.append(e) if isinstance(e, ToolExecutionEnd) else None)
    await agent.prompt("Weather in SF for two days?")

    # the model sent "days": "2"; the validator read it as the integer the schema asks for
    assert calls == [("get_weather", ("San Francisco, CA", 2))]
    assert [e.is_error for e in ends] == [False]
    _, first, result, answer = agent.state.messages
    assert isinstance(first, aiwire.AssistantMessage) and first.stop_reason == "tool_use"
    assert first.thinking.startswith("I need the forecast") and first.text == "Let me check the forecast."
    assert [(c.id, c.arguments) for c in first.tool_calls] == [
        ("toolu_01DocAgentWeather", {"location": "San Francisco, CA", "days": "2"})
    ]
    assert isinstance(result, aiwire.ToolResultMessage) and result.tool_call_id == "toolu_01DocAgentWeather"
    assert isinstance(answer, aiwire.AssistantMessage) and answer.stop_reason == "stop"
    assert answer.text == "San Francisco: 18 °C and sunny for the next 2 days."
    assert answer.usage is not None and (answer.usage.input, answer.usage.output) == (530, 17)

    # the second request carries the first turn back in Anthropic's own shape
    assert len(bodies) == 2
    sent = bodies[1]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    thinking, text, tool_use = sent[1]["content"]
    assert thinking["type"] == "thinking" and thinking["signature"].startswith("EqQBCkYIBxgCKkBDocumentedAgent")
    assert text == {"type": "text", "text": "Let me check the forecast."}
    assert tool_use["id"] == "toolu_01DocAgentWeather" and tool_use["input"]["days"] == "2"
    [tool_result] = sent[2]["content"]
    assert tool_result["type"] == "tool_result" and tool_result["tool_use_id"] == "toolu_01DocAgentWeather"
    assert "18 °C and sunny for 2 days" in str(tool_result["content"])
    assert {t["name"] for t in bodies[1]["tools"]} == {"get_weather", "get_time"}


@replay("agent_tool_turns")
@pytest.mark.vcr(OPENAI_TURNS)
async def test_switch_to_openai_after_a_tool_turn() -> None:
    calls: list[tuple[str, Any]] = []
    bodies: list[dict[str, Any]] = []

    def to_openai(turn: TurnContext) -> NextTurn:
        return NextTurn(model=OPENAI)

    agent = agent_for(calls, bodies, prepare_next_turn=to_openai)
    await agent.prompt("Weather and time in SF?")

    assert calls == [("get_weather", ("San Francisco, CA", 2)), ("get_time", "America/Los_Angeles")]
    kinds = [(type(m).__name__, getattr(m, "provider", None)) for m in agent.state.messages]
    assert kinds == [
        ("UserMessage", None),
        ("AssistantMessage", "anthropic"),
        ("ToolResultMessage", None),
        ("AssistantMessage", "openai"),
        ("ToolResultMessage", None),
        ("AssistantMessage", "openai"),
    ]
    assert agent.state.messages[-1].text == "It is 09:30 in San Francisco, 18 °C and sunny."  # type: ignore[union-attr]

    # OpenAI got the Anthropic turn through the core's handoff: thinking from
    # another model as plain text, the tool call and its result paired by id.
    assert len(bodies) == 3 and "model" in bodies[1] and bodies[1]["model"] == "gpt-4o"
    sent = bodies[1]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool"]
    handed = sent[1]
    assert "I need the forecast" in str(handed["content"]) and "Let me check the forecast." in str(handed["content"])
    [call] = handed["tool_calls"]
    assert call["function"]["name"] == "get_weather" and sent[2]["tool_call_id"] == call["id"]
    last = bodies[2]["messages"]
    assert [m["role"] for m in last] == ["user", "assistant", "tool", "assistant", "tool"]
    assert last[3]["tool_calls"][0]["id"] == "call_DocAgentTime" == last[4]["tool_call_id"]
